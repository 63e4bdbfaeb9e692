//! Request/reply plumbing shared by every actor handle.
//!
//! A request carries a [`Reply`]: a oneshot sender that, if dropped without
//! being used, still answers — with `Panicked` while unwinding, `Shutdown`
//! otherwise — so no caller ever waits on a reply that cannot come.

use super::error::ActorError;
use super::stats::Mailbox;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The reply half of a request.
pub(crate) struct Reply<T> {
    tx: Option<oneshot::Sender<Result<T, ActorError>>>,
    /// Behind a reference: every message in a mailbox slot carries a reply,
    /// and a mailbox keeps its slots for as long as its actor lives.
    actor: &'static &'static str,
}

impl<T> Reply<T> {
    /// Answer the request. A caller that stopped waiting is not an error.
    pub fn send(mut self, result: Result<T, ActorError>) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(result);
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let error = if std::thread::panicking() {
                ActorError::Panicked {
                    actor: *self.actor,
                    message: "see the log for the panic message".into(),
                }
            } else {
                ActorError::Shutdown { actor: *self.actor }
            };
            let _ = tx.send(Err(error));
        }
    }
}

/// Whether a request waits for mailbox space or fails at once when full:
/// the argument every handle's request method takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Await space (backpressure), within the message timeout.
    Wait,
    /// Fail with `ActorError::MailboxFull` if the mailbox is full. Never
    /// waits, so it also serves threads outside Tokio (one poll delivers).
    FailFast,
}

/// The sending half of an actor's mailbox, with its name, timeout and stats.
pub(crate) struct Outbox<M> {
    tx: mpsc::Sender<M>,
    actor: &'static &'static str,
    timeout: Duration,
    mailbox: Mailbox,
}

impl<M> Clone for Outbox<M> {
    fn clone(&self) -> Self {
        Outbox {
            tx: self.tx.clone(),
            actor: self.actor,
            timeout: self.timeout,
            mailbox: self.mailbox.clone(),
        }
    }
}

/// An [`Outbox`] that does not keep its actor alive (for what the actor
/// itself owns, such as its logic).
pub(crate) struct WeakOutbox<M> {
    tx: mpsc::WeakSender<M>,
    actor: &'static &'static str,
    timeout: Duration,
    mailbox: Mailbox,
}

impl<M> Clone for WeakOutbox<M> {
    fn clone(&self) -> Self {
        WeakOutbox { tx: self.tx.clone(), actor: self.actor, timeout: self.timeout, mailbox: self.mailbox.clone() }
    }
}

impl<M> WeakOutbox<M> {
    /// The outbox, while the actor runs.
    pub fn upgrade(&self) -> Option<Outbox<M>> {
        Some(Outbox { tx: self.tx.upgrade()?, actor: self.actor, timeout: self.timeout, mailbox: self.mailbox.clone() })
    }
}

impl<M: Send + 'static> Outbox<M> {
    /// A handle that does not keep the actor alive.
    pub fn downgrade(&self) -> WeakOutbox<M> {
        WeakOutbox { tx: self.tx.downgrade(), actor: self.actor, timeout: self.timeout, mailbox: self.mailbox.clone() }
    }

    pub fn new(tx: mpsc::Sender<M>, actor: &'static &'static str, timeout: Duration, mailbox: Mailbox) -> Outbox<M> {
        Outbox {
            tx,
            actor,
            timeout,
            mailbox,
        }
    }

    /// Send a request built around a fresh reply, and await its answer.
    pub async fn request<T>(&self, delivery: Delivery, make: impl FnOnce(Reply<T>) -> M) -> Result<T, ActorError> {
        self.send(delivery, make).await?.answer().await
    }

    /// Deliver a request built around a fresh reply, without awaiting the
    /// answer: callers that must keep their requests in order deliver one
    /// after the other, then await the answers in any order.
    ///
    /// With [`Delivery::FailFast`] the future is ready at its first poll
    /// and needs no runtime: a thread outside Tokio polls it once (the
    /// bindings' fast path).
    pub async fn send<T>(&self, delivery: Delivery, make: impl FnOnce(Reply<T>) -> M) -> Result<Pending<T>, ActorError> {
        let started = tokio::time::Instant::now();
        let (tx, rx) = oneshot::channel();
        let message = make(Reply {
            tx: Some(tx),
            actor: self.actor,
        });
        match delivery {
            Delivery::FailFast => self.try_deliver(message).map_err(|(error, _)| error)?,
            Delivery::Wait => match tokio::time::timeout(self.timeout, self.tx.send(message)).await {
                Ok(Ok(())) => self.observe(),
                Ok(Err(_)) => return Err(ActorError::Shutdown { actor: *self.actor }),
                Err(_) => return Err(self.timed_out()),
            },
        }
        Ok(Pending {
            rx,
            actor: self.actor,
            deadline: started + self.timeout,
            timeout: self.timeout,
        })
    }

    /// Deliver `message` now, or give it back with the reason it could not be.
    fn try_deliver(&self, message: M) -> Result<(), (ActorError, M)> {
        self.tx.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(m) => (
                ActorError::MailboxFull {
                    actor: *self.actor,
                    capacity: self.tx.max_capacity(),
                },
                m,
            ),
            mpsc::error::TrySendError::Closed(m) => (ActorError::Shutdown { actor: *self.actor }, m),
        })?;
        self.observe();
        Ok(())
    }

    fn observe(&self) {
        self.mailbox.observe(self.tx.max_capacity() - self.tx.capacity());
    }

    fn timed_out(&self) -> ActorError {
        ActorError::Timeout {
            actor: *self.actor,
            timeout_ms: self.timeout.as_millis() as u64,
        }
    }

    /// Whether a message fits in the mailbox now.
    pub fn has_room(&self) -> bool {
        self.tx.capacity() > 0
    }

    /// Whether the actor has stopped receiving.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// The answer to a delivered request, still to come: awaiting it gives
/// the answer (within what is left of the message timeout).
///
/// Every handle's request method delivers, then gives this, so one call
/// reads `handle.render(Delivery::Wait).await?.await?`: the first `await`
/// is the delivery (requests delivered one after the other are handled in
/// that order), the second the answer.
pub struct Pending<T> {
    rx: oneshot::Receiver<Result<T, ActorError>>,
    actor: &'static &'static str,
    deadline: tokio::time::Instant,
    timeout: Duration,
}

impl<T> Pending<T> {
    /// The answer, if it has come (without waiting; from any thread).
    pub fn try_answer(&mut self) -> Option<Result<T, ActorError>> {
        match self.rx.try_recv() {
            Ok(result) => Some(result),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => Some(Err(ActorError::Shutdown { actor: *self.actor })),
        }
    }

    /// Await the answer, within what is left of the message timeout (what
    /// `.await` on the pending answer does).
    pub async fn answer(self) -> Result<T, ActorError> {
        self.await
    }
}

impl<T> std::future::IntoFuture for Pending<T> {
    type Output = Result<T, ActorError>;
    type IntoFuture = Answer<T>;

    fn into_future(self) -> Answer<T> {
        Answer {
            rx: tokio::time::timeout_at(self.deadline, self.rx),
            actor: self.actor,
            timeout: self.timeout,
        }
    }
}

pin_project_lite::pin_project! {
    /// A [`Pending`] answer being awaited.
    pub struct Answer<T> {
        #[pin]
        rx: tokio::time::Timeout<oneshot::Receiver<Result<T, ActorError>>>,
        actor: &'static &'static str,
        timeout: Duration,
    }
}

impl<T> std::future::Future for Answer<T> {
    type Output = Result<T, ActorError>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let actor = **this.actor;
        this.rx.poll(cx).map(|answered| match answered {
            Ok(result) => result.unwrap_or(Err(ActorError::Shutdown { actor })),
            Err(_) => Err(ActorError::Timeout {
                actor,
                timeout_ms: this.timeout.as_millis() as u64,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(capacity: usize, timeout_ms: u64) -> (Outbox<Reply<u32>>, mpsc::Receiver<Reply<u32>>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Outbox::new(tx, &"test", Duration::from_millis(timeout_ms), Mailbox::default()), rx)
    }

    #[tokio::test]
    async fn a_reply_dropped_unanswered_reports_shutdown() {
        let (outbox, mut rx) = outbox(4, 1_000);
        let request = tokio::spawn(async move { outbox.request(Delivery::Wait, |reply| reply).await });
        drop(rx.recv().await.unwrap());
        assert_eq!(request.await.unwrap(), Err(ActorError::Shutdown { actor: "test" }));
    }

    #[tokio::test]
    async fn a_reply_dropped_while_panicking_reports_the_panic() {
        let (outbox, mut rx) = outbox(4, 1_000);
        let request = tokio::spawn(async move { outbox.request(Delivery::Wait, |reply| reply).await });
        let reply = rx.recv().await.unwrap();
        let _ = std::thread::spawn(move || {
            let _reply = reply;
            panic!("handler blew up");
        })
        .join();
        assert!(matches!(request.await.unwrap(), Err(ActorError::Panicked { actor: "test", .. })));
    }

    #[tokio::test]
    async fn an_actor_that_never_runs_makes_requests_time_out() {
        // The mailbox is open but nothing reads it: no actor is running.
        let (outbox, _rx) = outbox(4, 50);
        let result = outbox.request(Delivery::Wait, |reply| reply).await;
        assert_eq!(result, Err(ActorError::Timeout { actor: "test", timeout_ms: 50 }));
    }

    #[tokio::test]
    async fn fail_fast_reports_a_full_mailbox_and_wait_times_out() {
        let (outbox, _rx) = outbox(1, 50);
        let (filler, _answer) = oneshot::channel();
        outbox.try_deliver(Reply { tx: Some(filler), actor: &"test" }).ok().unwrap();
        assert_eq!(
            outbox.request(Delivery::FailFast, |reply| reply).await,
            Err(ActorError::MailboxFull { actor: "test", capacity: 1 })
        );
        assert!(matches!(outbox.request(Delivery::Wait, |reply| reply).await, Err(ActorError::Timeout { .. })));
        assert_eq!(outbox.mailbox.high_water(), 1);
    }

    #[tokio::test]
    async fn a_closed_mailbox_is_shutdown() {
        let (outbox, rx) = outbox(1, 1_000);
        drop(rx);
        assert!(outbox.is_closed());
        assert_eq!(outbox.request(Delivery::Wait, |reply| reply).await, Err(ActorError::Shutdown { actor: "test" }));
    }
}
