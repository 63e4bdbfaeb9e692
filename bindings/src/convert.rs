//! Python values ↔ JSON, in one pass, with the template context encoding
//! of `wit/templates.wit`.
//!
//! Plain JSON types convert here directly. Everything else — `SafeString`,
//! `Decimal`, dates, tuples, dicts with non-string keys, arbitrary objects —
//! goes through `wasmlive.encoding.encode`, the one definition of the
//! tagged forms (`{"$safe": …}`, `{"$decimal": …}` …), whose JSON-ready
//! result is converted here in turn.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Contexts nest no deeper than this (the template engine's own limit is 64).
const MAX_DEPTH: usize = 64;

static ENCODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn encoder(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    Ok(ENCODE
        .get_or_try_init(py, || -> PyResult<_> { Ok(py.import("wasmlive.encoding")?.getattr("encode")?.unbind()) })?
        .bind(py))
}

/// A template context (a mapping) as a JSON object.
pub fn context(value: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    match to_json(value, 0)? {
        Value::Object(map) => Ok(map),
        _ => Err(PyTypeError::new_err(format!(
            "get_context_data() must return a dict, not {}",
            value.get_type().name()?
        ))),
    }
}

/// Any Python value as template JSON.
pub fn to_json(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyTypeError::new_err(format!("the context nests deeper than {MAX_DEPTH} levels")));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = value.cast_exact::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_owned()));
    }
    if let Ok(b) = value.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if value.is_exact_instance_of::<PyInt>() {
        if let Ok(i) = value.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
    } else if let Ok(f) = value.cast_exact::<PyFloat>() {
        let f = f.value();
        if let Some(n) = Number::from_f64(f) {
            return Ok(Value::Number(n));
        }
    } else if let Ok(list) = value.cast_exact::<PyList>() {
        let mut out = Vec::with_capacity(list.len());
        for item in list.iter() {
            out.push(to_json(&item, depth + 1)?);
        }
        return Ok(Value::Array(out));
    } else if let Ok(dict) = value.cast_exact::<PyDict>() {
        if let Some(map) = plain_dict(dict, depth)? {
            return Ok(Value::Object(map));
        }
    }
    // Everything else has a tagged form; the encoder's result is plain JSON-ready data.
    let encoded = encoder(value.py())?.call1((value,))?;
    plain(&encoded, depth)
}

/// A dict with string keys none of which starts with `$`, converted; `None`
/// when it needs the `$dict` form.
fn plain_dict(dict: &Bound<'_, PyDict>, depth: usize) -> PyResult<Option<Map<String, Value>>> {
    let mut map = Map::new();
    for (k, v) in dict.iter() {
        let Ok(k) = k.cast_exact::<PyString>() else { return Ok(None) };
        let k = k.to_str()?;
        if k.starts_with('$') {
            return Ok(None);
        }
        map.insert(k.to_owned(), to_json(&v, depth + 1)?);
    }
    Ok(Some(map))
}

/// The encoder's output (dicts, lists, str, int, float, bool, None) as JSON.
fn plain(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyTypeError::new_err(format!("the context nests deeper than {MAX_DEPTH} levels")));
    }
    if value.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = value.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if value.is_instance_of::<PyInt>() {
        Ok(Value::Number(value.extract::<i64>()?.into()))
    } else if let Ok(f) = value.cast::<PyFloat>() {
        Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err("the encoder returned a non-finite float"))
    } else if let Ok(s) = value.cast::<PyString>() {
        Ok(Value::String(s.to_str()?.to_owned()))
    } else if let Ok(list) = value.cast::<PyList>() {
        list.iter().map(|v| plain(&v, depth + 1)).collect::<PyResult<Vec<_>>>().map(Value::Array)
    } else if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in dict.iter() {
            map.insert(k.extract::<String>()?, plain(&v, depth + 1)?);
        }
        Ok(Value::Object(map))
    } else {
        Err(PyTypeError::new_err(format!(
            "the context encoder returned a {}",
            value.get_type().name()?
        )))
    }
}

pub use wasmlive::params::ParamLimits;

/// Event or mount params (a dict of JSON-like values) as a JSON object,
/// refused with a message naming the limit when it is too deep, too large
/// or not JSON. The limits themselves are the host's (`wasmlive::params`,
/// shared with `wasmlive serve`); here the conversion, which stops at the
/// depth limit so a self-referencing list cannot recurse forever.
pub fn params(value: &Bound<'_, PyAny>, limits: ParamLimits) -> Result<Map<String, Value>, String> {
    let dict = value
        .cast::<PyDict>()
        .map_err(|_| format!("params must be a dict, not {}", type_name(value)))?;
    let map = json_object(dict, 1, limits.depth)?;
    wasmlive::params::check(&map, limits)?;
    Ok(map)
}

fn deeper(depth: usize) -> String {
    format!("params nest deeper than {depth} levels")
}

fn json_object(dict: &Bound<'_, PyDict>, depth: usize, max: usize) -> Result<Map<String, Value>, String> {
    if depth > max {
        return Err(deeper(max));
    }
    let mut map = Map::new();
    for (k, v) in dict.iter() {
        let k = k
            .cast::<PyString>()
            .map_err(|_| format!("param names must be strings, not {}", type_name(&k)))?;
        let k = k.to_str().map_err(|e| e.to_string())?;
        map.insert(k.to_owned(), json_value(&v, depth, max)?);
    }
    Ok(map)
}

fn json_value(v: &Bound<'_, PyAny>, depth: usize, max: usize) -> Result<Value, String> {
    if v.is_none() {
        Ok(Value::Null)
    } else if let Ok(b) = v.cast::<PyBool>() {
        Ok(Value::Bool(b.is_true()))
    } else if v.is_instance_of::<PyInt>() {
        v.extract::<i64>()
            .map(|i| Value::Number(i.into()))
            .map_err(|_| "param integers must fit in 64 bits".to_string())
    } else if let Ok(f) = v.cast::<PyFloat>() {
        Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| "param numbers must be finite".to_string())
    } else if let Ok(s) = v.cast::<PyString>() {
        Ok(Value::String(s.to_str().map_err(|e| e.to_string())?.to_owned()))
    } else if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        if depth + 1 > max {
            return Err(deeper(max));
        }
        let mut out = Vec::new();
        for item in v.try_iter().map_err(|e| e.to_string())? {
            out.push(json_value(&item.map_err(|e| e.to_string())?, depth + 1, max)?);
        }
        Ok(Value::Array(out))
    } else if let Ok(d) = v.cast::<PyDict>() {
        Ok(Value::Object(json_object(d, depth + 1, max)?))
    } else {
        Err(format!("params must be JSON values, not {}", type_name(v)))
    }
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

/// JSON as Python values (for handlers' params and results).
pub fn to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any().unbind(),
            None => match n.as_u64() {
                Some(u) => u.into_pyobject(py)?.into_any().unbind(),
                None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any().unbind(),
            },
        },
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => dict(py, map)?.into_any().unbind(),
    })
}

/// A JSON object as a Python dict.
pub fn dict<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in map {
        d.set_item(k, to_py(py, v)?)?;
    }
    Ok(d)
}
