//! View and component logic: what runs when an event arrives. Rust code
//! (the CLI, benchmarks, tests) implements these traits directly; the Python
//! bindings implement them over PyO3.

use super::error::HandlerError;
use super::info::Info;
use super::rendered::ClientEvent;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// A view's or component's state: a JSON object, which is also the
/// template context unless the logic says otherwise.
pub type State = Map<String, Value>;

/// A boxed `Send` future, the return type of logic methods (the traits are
/// used as trait objects, chosen at mount time).
pub type LogicFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The behaviour of a mounted view.
pub trait ViewLogic: Send + 'static {
    /// Set up the state at mount. Default: merge the mount params into it.
    fn mount<'a>(&'a mut self, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        merge(params, state);
        Box::pin(async { Ok(()) })
    }

    /// Handle `event` with `params`, changing `state`. An event the view
    /// does not declare must be refused with [`HandlerError::UnknownEvent`].
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>>;

    /// Handle what the view was told (its topics' messages, gaps in them,
    /// its timers' messages), in order, changing `state`; the view then
    /// renders once and pushes. Default: a message that is a JSON object
    /// is merged into the state (what a template-only view does); a gap
    /// changes nothing.
    fn handle_info<'a>(&'a mut self, infos: &'a [Info], state: &'a mut State) -> LogicFuture<'a, Result<Handled, HandlerError>> {
        for info in infos {
            if let Info::Message { payload, .. } | Info::Timer { payload } = info
                && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(payload)
            {
                merge(&fields, state);
            }
        }
        Box::pin(async { Ok(Handled::Now) })
    }

    /// Client events (`push_event`) the logic queued while it handled an
    /// event or what it was told: they go with the render that follows.
    fn take_events(&mut self) -> Vec<ClientEvent> {
        Vec::new()
    }

    /// The view is mounted: `view` reaches it (to push a render from a
    /// thread or a timer, [`super::ViewHandle::push`]) while it lives.
    fn attached(&mut self, view: super::WeakViewHandle) {
        let _ = view;
    }

    /// The view's state of record for its snapshot ([`crate::resume`]),
    /// taken after a render while snapshots are on; `None`: the view cannot
    /// resume on another process. A state that cannot be recorded fails
    /// here, saying which attribute and what to do. Default: the state.
    fn record<'a>(&'a mut self, state: &'a State) -> LogicFuture<'a, Result<Option<Record>, HandlerError>> {
        Box::pin(async move { Ok(Some(Record { data: Value::Object(state.clone()), version: 0 })) })
    }

    /// Carry on from a snapshot's record instead of mounting: `state` is
    /// made from it; `mount` is not called. Default: the record is the state.
    fn restore<'a>(&'a mut self, record: &'a Record, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            match (&record.data, record.version) {
                (Value::Object(fields), 0) => {
                    *state = fields.clone();
                    Ok(())
                }
                (_, 0) => Err(HandlerError::Raised { kind: "ResumeError".into(), message: "the snapshot's state is not a JSON object".into() }),
                (_, v) => Err(HandlerError::Raised { kind: "ResumeError".into(), message: format!("the snapshot's state is of version {v}; this view's is 0") }),
            }
        })
    }

    /// The template context for `state`. Default: the state itself,
    /// borrowed (it is serialized on every render; no copy is made).
    fn context<'a>(&self, state: &'a State) -> Result<Cow<'a, State>, HandlerError> {
        Ok(Cow::Borrowed(state))
    }
}

/// A view's state of record, as its snapshot keeps it: JSON (tagged JSON
/// for what JSON has no type for; never pickle), and the version of its shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub data: Value,
    pub version: u64,
}

/// What [`ViewLogic::handle_info`] did.
pub enum Handled {
    /// The state is the new one: render it and push.
    Now,
    /// The logic hands the new state to the view itself, later
    /// ([`super::ViewHandle::push`]): Django's Python views, whose code runs
    /// on a lane of threads the view's actor must not wait for. The view
    /// goes on answering its requests but takes nothing more from its
    /// inbox until the future is done: a slow `handle_info` makes its view
    /// lag (and catch up from the topics' streams), not queue without end.
    Later(LogicFuture<'static, ()>),
}

impl std::fmt::Debug for Handled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Handled::Now => "Now",
            Handled::Later(_) => "Later",
        })
    }
}

/// The seed's fallback for a view without logic: every event merges its
/// params into the state.
#[derive(Debug, Default, Clone, Copy)]
pub struct MergeParams;

impl ViewLogic for MergeParams {
    fn handle_event<'a>(
        &'a mut self,
        _event: &'a str,
        params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        merge(params, state);
        Box::pin(async { Ok(()) })
    }
}

/// Messages a component sends to its parent view's handlers.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ToParent {
    pub(crate) events: Vec<(String, State)>,
}

impl ToParent {
    /// Queue `event` with `data` for the parent view's handler; it runs
    /// after the component's handler returns.
    pub fn send(&mut self, event: impl Into<String>, data: State) {
        self.events.push((event.into(), data));
    }
}

/// The behaviour of a live component.
pub trait ComponentLogic: Send + 'static {
    /// Apply new props from the parent. Default: merge them into the state.
    fn update_props(&mut self, props: &State, state: &mut State) -> Result<(), HandlerError> {
        merge(props, state);
        Ok(())
    }

    /// Handle `event`, changing `state` and possibly messaging the parent.
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        params: &'a State,
        state: &'a mut State,
        parent: &'a mut ToParent,
    ) -> LogicFuture<'a, Result<(), HandlerError>>;
}

impl ComponentLogic for MergeParams {
    fn handle_event<'a>(
        &'a mut self,
        _event: &'a str,
        params: &'a State,
        state: &'a mut State,
        _parent: &'a mut ToParent,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        merge(params, state);
        Box::pin(async { Ok(()) })
    }
}

/// Copy every entry of `from` into `into`, replacing existing keys.
pub fn merge(from: &State, into: &mut State) {
    for (k, v) in from {
        into.insert(k.clone(), v.clone());
    }
}
