//! Quarantine bookkeeping: how many faults in a row, and until when calls
//! are refused. One [`Health`] per view instance (its calls) and one per
//! loaded component (its instances' start-ups); the policy is
//! [`QuarantinePolicy`].

use super::config::QuarantinePolicy;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub(crate) struct Health {
    /// Faults since the last success.
    in_a_row: u32,
    /// Quarantines since the last success; each doubles the next one.
    quarantines: u32,
    until: Option<Instant>,
}

impl Health {
    /// How much longer calls are refused, if they are. Reads the clock only
    /// after a quarantine has started, so healthy calls never do.
    pub fn refused_for(&self) -> Option<Duration> {
        let until = self.until?;
        until.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }

    /// Faults in a row so far.
    pub fn in_a_row(&self) -> u32 {
        self.in_a_row
    }

    pub fn succeeded(&mut self) {
        *self = Health::default();
    }

    /// Count a fault; the length of the quarantine it starts, if any. Once
    /// the threshold is reached every further fault (the trial call after a
    /// quarantine) starts another, twice as long.
    pub fn faulted(&mut self, policy: &QuarantinePolicy, now: Instant) -> Option<Duration> {
        self.in_a_row = self.in_a_row.saturating_add(1);
        if policy.after_faults == 0 || self.in_a_row < policy.after_faults {
            return None;
        }
        let period = policy
            .first
            .saturating_mul(1u32 << self.quarantines.min(16))
            .min(policy.longest);
        self.quarantines = self.quarantines.saturating_add(1);
        self.until = Some(now + period);
        Some(period)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> QuarantinePolicy {
        QuarantinePolicy {
            after_faults: 3,
            first: Duration::from_secs(5),
            longest: Duration::from_secs(12),
        }
    }

    #[test]
    fn the_third_fault_in_a_row_starts_a_quarantine_that_doubles_up_to_the_longest() {
        let (p, t0) = (policy(), Instant::now());
        let mut h = Health::default();
        assert_eq!(h.faulted(&p, t0), None);
        assert_eq!(h.faulted(&p, t0), None);
        assert_eq!(h.faulted(&p, t0), Some(Duration::from_secs(5)));
        let left = h.refused_for().unwrap();
        assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5), "{left:?}");
        // Started in the past: over by now.
        let mut old = Health::default();
        for _ in 0..3 {
            old.faulted(&p, t0 - Duration::from_secs(6));
        }
        assert_eq!(old.refused_for(), None);
        // The trial call faults too: at once another, longer quarantine.
        let t1 = t0 + Duration::from_secs(6);
        assert_eq!(h.faulted(&p, t1), Some(Duration::from_secs(10)));
        assert_eq!(h.faulted(&p, t1), Some(Duration::from_secs(12)));
        assert_eq!(h.in_a_row(), 5);
    }

    #[test]
    fn a_success_forgets_everything() {
        let (p, t0) = (policy(), Instant::now());
        let mut h = Health::default();
        h.faulted(&p, t0);
        h.faulted(&p, t0);
        h.succeeded();
        assert_eq!(h.faulted(&p, t0), None);
        assert_eq!(h.refused_for(), None);
    }

    #[test]
    fn zero_turns_quarantines_off() {
        let p = QuarantinePolicy { after_faults: 0, ..policy() };
        let mut h = Health::default();
        for _ in 0..10 {
            assert_eq!(h.faulted(&p, Instant::now()), None);
        }
    }
}
