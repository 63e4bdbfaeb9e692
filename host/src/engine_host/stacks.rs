//! Fiber stacks for guest calls, whose pages an idle view gives back.
//!
//! wasmtime runs every async guest call on a fiber stack and keeps that
//! stack in the store between calls. With one store per view, each mounted
//! view holds the stack pages its last call touched (two pages for the
//! default guests) for as long as it lives, although only views in the middle
//! of a call use them. The engine therefore allocates fiber stacks itself
//! ([`GuestStacks`]) and records which store each one belongs to, so that
//! [`GuestStore::release_idle_memory`](super::GuestStore::release_idle_memory)
//! can hand an idle store's stack pages back to the kernel (`MADV_DONTNEED`):
//! the mapping stays, and the next call starts on fresh zero pages.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::{Arc, Mutex, Weak};
use wasmtime::{StackCreator, StackMemory};

/// One guard page below each stack turns an overflow into a fault instead of
/// a write into whatever lies below.
const GUARD: usize = 4096;

thread_local! {
    /// The store whose call is being polled on this thread: a stack made
    /// during that poll is that store's.
    static CLAIMANT: RefCell<Option<Arc<StackClaim>>> = const { RefCell::new(None) };
}

/// The fiber stack a store uses, once it has made one.
#[derive(Default)]
pub(crate) struct StackClaim(Mutex<Weak<Mapping>>);

impl StackClaim {
    /// Pages of the claimed stack resident now (`None` before a stack is made).
    #[cfg(test)]
    pub fn resident_pages(&self) -> Option<usize> {
        let stack = self.0.lock().unwrap().upgrade()?;
        Some(resident_pages(stack.usable()))
    }

    /// Run `f` with stacks made on this thread meanwhile recorded here.
    pub fn claiming<R>(self: &Arc<Self>, f: impl FnOnce() -> R) -> R {
        let previous = CLAIMANT.with(|c| c.replace(Some(self.clone())));
        let result = f();
        CLAIMANT.with(|c| *c.borrow_mut() = previous);
        result
    }

    /// Give the stack's pages back to the kernel; `false` if the store has
    /// no stack. Only call this while no call runs in the store (the
    /// store's lock is held): the pages are zeroed under any frame still on them.
    pub fn release_pages(&self) -> bool {
        let stack = self.0.lock().unwrap_or_else(|p| p.into_inner()).upgrade();
        stack.map(|stack| stack.release_pages()).is_some()
    }
}

/// The engine's [`StackCreator`]: `mmap`ed stacks with a guard page, each
/// recorded in the claim of the store that asked for it.
pub(crate) struct GuestStacks;

unsafe impl StackCreator for GuestStacks {
    fn new_stack(&self, size: usize, _zeroed: bool) -> wasmtime::Result<Box<dyn StackMemory>> {
        // Fresh anonymous pages are zero, so `zeroed` is always honoured.
        let mapping = Arc::new(Mapping::new(size)?);
        CLAIMANT.with(|c| {
            if let Some(claim) = c.borrow().as_ref() {
                *claim.0.lock().unwrap_or_else(|p| p.into_inner()) = Arc::downgrade(&mapping);
            }
        });
        Ok(Box::new(Stack(mapping)))
    }
}

struct Stack(Arc<Mapping>);

unsafe impl StackMemory for Stack {
    fn top(&self) -> *mut u8 {
        self.0.usable().end as *mut u8
    }

    fn range(&self) -> Range<usize> {
        self.0.usable()
    }

    fn guard_range(&self) -> Range<*mut u8> {
        let start = self.0.base as *mut u8;
        start..start.wrapping_add(GUARD)
    }
}

/// An anonymous mapping: a guard page, then the stack.
struct Mapping {
    base: usize,
    len: usize,
}

impl Mapping {
    fn new(size: usize) -> wasmtime::Result<Mapping> {
        let size = size.div_ceil(GUARD).max(1) * GUARD;
        let len = size + GUARD;
        // SAFETY: a fresh private mapping at an address the kernel picks.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(wasmtime::Error::msg(format!(
                "cannot map a {size}-byte guest stack: {}",
                std::io::Error::last_os_error()
            )));
        }
        let mapping = Mapping { base: base as usize, len };
        // SAFETY: within the mapping made above.
        let protected = unsafe {
            libc::mprotect((mapping.base + GUARD) as *mut libc::c_void, size, libc::PROT_READ | libc::PROT_WRITE)
        };
        if protected != 0 {
            return Err(wasmtime::Error::msg(format!(
                "cannot make a guest stack writable: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(mapping)
    }

    fn usable(&self) -> Range<usize> {
        self.base + GUARD..self.base + self.len
    }

    fn release_pages(&self) {
        let usable = self.usable();
        // SAFETY: the stack's own pages, not in use (see `StackClaim::release_pages`).
        // On failure the pages simply stay resident.
        unsafe {
            libc::madvise(usable.start as *mut libc::c_void, usable.len(), libc::MADV_DONTNEED);
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, no longer referenced.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

/// How many pages of `range` (a live mapping) are resident.
#[cfg(test)]
fn resident_pages(range: Range<usize>) -> usize {
    let mut status = vec![0u8; range.len() / GUARD];
    // SAFETY: the range is a live mapping; `status` has one byte per page.
    let result = unsafe { libc::mincore(range.start as *mut libc::c_void, range.len(), status.as_mut_ptr()) };
    assert_eq!(result, 0, "{}", std::io::Error::last_os_error());
    status.iter().filter(|b| **b & 1 == 1).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_made_while_claiming_is_recorded_and_its_pages_released() {
        let claim = Arc::new(StackClaim::default());
        let stack = claim.claiming(|| GuestStacks.new_stack(64 << 10, false)).unwrap();
        let usable = stack.range();
        assert_eq!(usable.len(), 64 << 10);
        assert_eq!(stack.top() as usize, usable.end);
        assert_eq!(stack.guard_range().end as usize, usable.start);
        // Touch the top two pages, as a call's frames would.
        unsafe {
            std::ptr::write_volatile((usable.end - 8) as *mut u64, 7);
            std::ptr::write_volatile((usable.end - GUARD - 8) as *mut u64, 7);
        }
        assert_eq!(resident_pages(usable.clone()), 2);
        claim.release_pages();
        assert_eq!(resident_pages(usable.clone()), 0);
        // The mapping stays usable, on zero pages.
        assert_eq!(unsafe { std::ptr::read_volatile((usable.end - 8) as *const u64) }, 0);
    }

    #[test]
    fn a_stack_made_outside_a_claim_belongs_to_no_store() {
        let claim = Arc::new(StackClaim::default());
        let stack = GuestStacks.new_stack(16 << 10, false).unwrap();
        assert!(claim.0.lock().unwrap().upgrade().is_none());
        // A dropped stack is unmapped, and a claim on it does nothing.
        let claimed = claim.claiming(|| GuestStacks.new_stack(16 << 10, false)).unwrap();
        drop(claimed);
        claim.release_pages();
        drop(stack);
    }
}
