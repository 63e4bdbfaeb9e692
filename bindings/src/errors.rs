//! The Python exceptions of `wasmlive._host`, and how actor errors become them.
//!
//! Every class derives from `WasmliveError` and, where one fits, from the
//! built-in a caller would already catch (`TimeoutError`, `LookupError`,
//! `PermissionError`…). Exceptions raised by Python handlers are not
//! wrapped: they reach the caller as raised.

use pyo3::exceptions::{
    PyAttributeError, PyConnectionError, PyException, PyLookupError, PyPermissionError, PyTimeoutError, PyTypeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::types::PyString;
use wasmlive::actors::{ActorError, InfoError};
use wasmlive::pubsub::PubSubError;
use wasmlive::protocol::WireError;

pyo3::create_exception!(_host, WasmliveError, PyException, "Base class of every error wasmlive raises itself.");
pyo3::create_exception!(_host, MailboxFullError, WasmliveError, "An actor's mailbox was full and the request did not wait.");
pyo3::create_exception!(_host, ActorShutdownError, WasmliveError, "The actor has shut down (session ended, expired or removed).");
pyo3::create_exception!(_host, ActorPanicError, WasmliveError, "The actor panicked handling the request; it was restarted.");
pyo3::create_exception!(_host, TemplateError, WasmliveError, "A template failed to compile or render; see `template`, `line`, `column`.");
pyo3::create_exception!(_host, GuestFaultError, WasmliveError, "A guest engine faulted (`kind`); its instance was replaced, the view kept its state.");
pyo3::create_exception!(_host, VdomError, WasmliveError, "The VDOM guest's patches were refused by the host.");
pyo3::create_exception!(_host, InvalidParamsError, WasmliveError, "Event parameters are too large, too deep, or not JSON-like.");
pyo3::create_exception!(_host, NotConnectedError, WasmliveError, "The view has no live connection to push to (a first paint's or the POST fallback's view).");
pyo3::create_exception!(_host, EngineLoadError, WasmliveError, "A guest engine file cannot be read, compiled, or does not implement its world.");

// ActorTimeoutError (TimeoutError), ViewNotFoundError and ComponentNotFoundError
// (LookupError), HandlerNotFoundError (AttributeError) and EventRejectedError
// and LimitExceededError (PermissionError), InvalidTopicError and
// MessageTooLargeError (ValueError) and BackplaneError (ConnectionError)
// have two bases, so `define` makes them in Python.

/// Exception classes with two bases are made in Python (see `_define_errors`
/// in the module init); this finds them again.
fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("wasmlive._host")?.getattr(name)
}

/// Build an exception of class `name` with `message`, and attributes.
pub fn raise(py: Python<'_>, name: &str, message: impl Into<String>, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let message = message.into();
    let built = class(py, name).and_then(|cls| {
        let err = cls.call1((message.clone(),))?;
        for (k, v) in attrs {
            err.setattr(*k, v.bind(py))?;
        }
        Ok(PyErr::from_value(err))
    });
    built.unwrap_or_else(|e| e)
}

/// Define the exception classes with two bases (a wasmlive one and a builtin).
pub fn define(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("WasmliveError", py.get_type::<WasmliveError>())?;
    m.add("MailboxFullError", py.get_type::<MailboxFullError>())?;
    m.add("ActorShutdownError", py.get_type::<ActorShutdownError>())?;
    m.add("ActorPanicError", py.get_type::<ActorPanicError>())?;
    m.add("TemplateError", py.get_type::<TemplateError>())?;
    m.add("GuestFaultError", py.get_type::<GuestFaultError>())?;
    m.add("VdomError", py.get_type::<VdomError>())?;
    m.add("InvalidParamsError", py.get_type::<InvalidParamsError>())?;
    m.add("EngineLoadError", py.get_type::<EngineLoadError>())?;
    m.add("NotConnectedError", py.get_type::<NotConnectedError>())?;
    let base = py.get_type::<WasmliveError>();
    let types = py.import("builtins")?.getattr("type")?;
    let doc = |d: &str| -> PyResult<Bound<'_, PyDict>> {
        let ns = PyDict::new(py);
        ns.set_item("__doc__", d)?;
        ns.set_item("__module__", "wasmlive._host")?;
        Ok(ns)
    };
    for (name, builtin, text) in [
        ("ActorTimeoutError", py.get_type::<PyTimeoutError>(), "No reply within the configured message timeout."),
        ("ViewNotFoundError", py.get_type::<PyLookupError>(), "No view with this id is mounted in this session."),
        ("ComponentNotFoundError", py.get_type::<PyLookupError>(), "No component with this id exists in the view."),
        ("HandlerNotFoundError", py.get_type::<PyAttributeError>(), "The event names no handler of the view."),
        ("EventRejectedError", py.get_type::<PyPermissionError>(), "The event names something that is not an @event_handler."),
        ("LimitExceededError", py.get_type::<PyPermissionError>(), "A connection or process limit was reached (views per connection, …)."),
        ("InvalidTopicError", py.get_type::<PyValueError>(), "A PubSub topic is empty, too long, or has a space or a control character."),
        ("MessageTooLargeError", py.get_type::<PyValueError>(), "A PubSub or timer message is larger than `pubsub['max_message_bytes']`."),
        ("BackplaneError", py.get_type::<PyConnectionError>(), "The PubSub backplane (Redis) cannot be reached or used: nothing was published or subscribed."),
    ] {
        let cls = types.call1((name, (base.clone(), builtin), doc(text)?))?;
        m.add(name, cls)?;
    }
    Ok(())
}

/// An actor error as the Python exception a caller can act on: the class
/// the protocol names it by ([`WireError::class_of`], what a client sees
/// under `serve` too), with `kind` for guest faults and template errors
/// and a template error's place.
pub fn to_py(py: Python<'_>, error: ActorError) -> PyErr {
    let wire = WireError::from(&error);
    let err = of_class(py, &wire.class, wire.message);
    let mut attrs: Vec<(&str, Py<PyAny>)> = Vec::new();
    if let Some(kind) = wire.kind {
        attrs.push(("kind", PyString::new(py, kind).into_any().unbind()));
    }
    if let ActorError::Template(t) = &error {
        attrs.push(("template", PyString::new(py, &t.template).into_any().unbind()));
        attrs.push(("message", PyString::new(py, &t.message).into_any().unbind()));
        attrs.push(("line", t.line.into_pyobject(py).expect("an int").into_any().unbind()));
        attrs.push(("column", t.column.into_pyobject(py).expect("an int").into_any().unbind()));
    }
    with_attrs(py, err, &attrs)
}

/// An exception of the class named `name`: one of `wasmlive._host`'s, a
/// builtin (what a handler raised, by its type's name), or else
/// `WasmliveError("name: message")`.
pub fn of_class(py: Python<'_>, name: &str, message: String) -> PyErr {
    let made = |module: &str| {
        py.import(module)
            .and_then(|m| m.getattr(name))
            .ok()
            .filter(|cls| cls.is_instance_of::<pyo3::types::PyType>())
            .and_then(|cls| cls.call1((message.clone(),)).ok())
            .filter(|e| e.is_instance_of::<pyo3::exceptions::PyBaseException>())
    };
    match made("wasmlive._host").or_else(|| made("builtins")) {
        Some(e) => PyErr::from_value(e),
        None => WasmliveError::new_err(format!("{name}: {message}")),
    }
}

fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let value = err.value(py);
    for (k, v) in attrs {
        let _ = value.setattr(*k, v.bind(py));
    }
    err
}

/// A PubSub failure as the exception a caller can act on.
pub fn pubsub_to_py(py: Python<'_>, error: PubSubError) -> PyErr {
    let class = match &error {
        PubSubError::InvalidTopic { .. } => "InvalidTopicError",
        PubSubError::TooLarge { .. } => "MessageTooLargeError",
        PubSubError::NotJson { .. } => return PyTypeError::new_err(error.to_string()),
        PubSubError::Unreachable { .. } | PubSubError::InvalidUrl { .. } => "BackplaneError",
    };
    raise(py, class, error.to_string(), &[])
}

/// Why a view could not subscribe or start a timer, as an exception.
pub fn info_to_py(py: Python<'_>, error: InfoError) -> PyErr {
    match error {
        InfoError::PubSub(e) => pubsub_to_py(py, e),
        InfoError::Closed => ActorShutdownError::new_err(error.to_string()),
        InfoError::TooManyTimers => raise(py, "LimitExceededError", error.to_string(), &[]),
        InfoError::InvalidInterval(_) => PyValueError::new_err(error.to_string()),
    }
}

/// Log `error` with its traceback on the `wasmlive` logger.
pub fn log_exception(py: Python<'_>, message: &str, error: &PyErr) {
    let logged = py
        .import("logging")
        .and_then(|logging| logging.call_method1("getLogger", ("wasmlive",)))
        .and_then(|logger| {
            let value = error.value(py);
            if let Some(traceback) = error.traceback(py) {
                value.setattr("__traceback__", traceback)?;
            }
            let kwargs = PyDict::new(py);
            kwargs.set_item("exc_info", value)?;
            logger.call_method("error", (message,), Some(&kwargs))
        });
    if let Err(e) = logged {
        e.print(py);
    }
}

/// Note on an exception raised by a view's own code (its mount, a handler,
/// its context) where it was raised: `_wasmlive_where = {"view", "event"}`.
/// The transports log such errors with their traceback and, under
/// `DEBUG`, show them in the page; errors the host raised about a client's
/// input carry no such note.
pub fn raised_in_view(py: Python<'_>, error: PyErr, view: &str, event: &str) -> PyErr {
    let value = error.value(py);
    if value.hasattr("_wasmlive_where").unwrap_or(false) {
        return error;
    }
    let place = PyDict::new(py);
    let noted = place
        .set_item("view", view)
        .and_then(|()| place.set_item("event", event))
        .and_then(|()| value.setattr("_wasmlive_where", place));
    if let Err(e) = noted {
        e.print(py);
    }
    error
}
