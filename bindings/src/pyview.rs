//! A Python view or component as both servers run it (Django through the
//! session handle, `serve` through its views file's handler classes): a
//! handler called with its params, and the context taken by one rule.
//! Which names are handlers is [`crate::handlers::HandlerTable`]'s rule.

use crate::convert;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

/// Call handler `name` with `params` as keyword arguments; a coroutine it
/// returns (an `async def` called as a plain method) runs to completion on
/// this thread.
pub fn call_handler(object: &Bound<'_, PyAny>, name: &str, params: &Map<String, Value>) -> PyResult<()> {
    let py = object.py();
    let kwargs = convert::dict(py, params)?;
    let returned = object.call_method(name, (), Some(&kwargs))?;
    if !returned.is_none() {
        py.import("wasmlive._bridge")?.getattr("finish_in_thread")?.call1((returned,))?;
    }
    Ok(())
}

/// The template context an object gives: its `get_context_data()`, or
/// else its instance attributes; names starting with `_` are left out
/// either way (Django's templates cannot name them).
pub fn context_of(object: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    let mut context = if object.hasattr("get_context_data")? {
        convert::context(&object.call_method0("get_context_data")?)?
    } else {
        let attrs = PyDict::new(object.py());
        if let Ok(d) = object.getattr("__dict__") {
            for (k, v) in d.cast::<PyDict>()?.iter() {
                if !k.extract::<String>()?.starts_with('_') {
                    attrs.set_item(k, v)?;
                }
            }
        }
        convert::context(attrs.as_any())?
    };
    context.retain(|k, _| !k.starts_with('_'));
    Ok(context)
}
