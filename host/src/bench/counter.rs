//! The seed's CounterView (Appendix A), in Rust: the view every benchmark uses.

use crate::actors::{HandlerError, LogicFuture, State, ViewLogic};
use serde_json::json;

/// The seed's counter template.
pub const TEMPLATE: &str = r#"<div data-liveview-root>
    <h1>Counter: {{ count }}</h1>
    <button @click="increment">+</button>
    <button @click="decrement">-</button>
</div>"#;

/// `increment` and `decrement` handlers over a `count` starting at 0.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counter;

impl ViewLogic for Counter {
    fn mount<'a>(&'a mut self, _params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        state.insert("count".into(), json!(0));
        Box::pin(async { Ok(()) })
    }

    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        _params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        let delta = match event {
            "increment" => 1,
            "decrement" => -1,
            _ => {
                let error = HandlerError::UnknownEvent {
                    view: "Counter".into(),
                    event: event.into(),
                };
                return Box::pin(async move { Err(error) });
            }
        };
        let count = state.get("count").and_then(|v| v.as_i64()).unwrap_or(0);
        state.insert("count".into(), json!(count + delta));
        Box::pin(async { Ok(()) })
    }
}
