//! A view handling what it was told: everything its inbox queued, plus
//! what it missed while it lagged (read from the topics' streams), each
//! message once, through its logic's `handle_info`, then one render,
//! pushed. Nobody awaits this work: a failure is logged (with the view and
//! the topics) and leaves the state as it was.

use super::ViewActor;
use crate::actors::info::Info;
use crate::actors::error::ActorError;
use crate::actors::logic::Handled;
use crate::pubsub::Notice;

impl ViewActor {
    /// Handle the inbox's batch; whether it went well (for the stats).
    pub(super) async fn handle_infos(&mut self) -> bool {
        let (queued, lagging) = self.inbox.take();
        let mut infos: Vec<Info> = Vec::with_capacity(queued.len());
        for info in queued {
            self.keep_fresh(info, &mut infos);
        }
        for (topic, from) in lagging {
            let missed = match self.shared.pubsub() {
                Ok(pubsub) => pubsub.since(&topic, &from).await,
                Err(e) => Err(e),
            };
            match missed {
                Ok(notices) => {
                    for notice in notices {
                        let info = match notice {
                            Notice::Message(m) => Info::from_message(&m),
                            Notice::Gap { topic, missed } => Info::Gap { topic, missed },
                        };
                        self.keep_fresh(info, &mut infos);
                    }
                }
                Err(e) => {
                    tracing::warn!(%topic, error = %e, "a view that fell behind could not read what it missed: it is told of a gap");
                    infos.push(Info::Gap { topic, missed: None });
                }
            }
        }
        if infos.is_empty() {
            return true;
        }
        match self.handle_then_push(&infos).await {
            Ok(()) => true,
            Err(e) => {
                let topics: Vec<&str> = infos.iter().filter_map(Info::topic).collect();
                tracing::error!(view = %self.view_path, view_id = %self.view_id, ?topics, error = %e, "a view failed to handle its messages; its state is as before them");
                false
            }
        }
    }

    /// Keep `info` unless it is a message this view handled already.
    fn keep_fresh(&mut self, info: Info, infos: &mut Vec<Info>) {
        if let Info::Message { topic, seq, .. } = &info {
            match self.applied.get(topic) {
                Some(last) if last.epoch == seq.epoch && seq.n <= last.n => return,
                _ => {
                    self.applied.insert(topic.clone(), seq.clone());
                }
            }
        }
        infos.push(info);
    }

    /// Run the logic on a copy of the state, then render and push once.
    async fn handle_then_push(&mut self, infos: &[Info]) -> Result<(), ActorError> {
        self.catch_up().await?;
        let saved = self.state.clone();
        let result = async {
            match self.logic.handle_info(infos, &mut self.state).await? {
                // The logic delivers the new state itself (`ViewHandle::push`).
                Handled::Later(done) => {
                    self.busy = Some(done);
                    Ok(())
                }
                Handled::Now if self.outbound.is_none() => {
                    self.logic.take_events();
                    // Nobody to push to: the next answer is the whole HTML.
                    self.stale = true;
                    Ok(())
                }
                Handled::Now => {
                    let queued = self.logic.take_events();
                    self.events.extend(queued);
                    if self.stale {
                        self.changed_unseen();
                        Ok(())
                    } else {
                        self.push_render().await
                    }
                }
            }
        }
        .await;
        if result.is_err() {
            self.state = saved;
        }
        result
    }
}
