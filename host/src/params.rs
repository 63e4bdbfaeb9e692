//! What a client may send: event names and params, checked before any
//! handler runs. The Django integration (through the Python bindings) and
//! `wasmlive serve` apply the same rules, written once here.

use serde_json::{Map, Value};

/// Methods the framework calls itself; never events, whatever a class declares.
pub const LIFECYCLE: &[&str] = &[
    "mount",
    "unmount",
    "get_context_data",
    "get_template",
    "get_template_names",
    "render",
    "render_to_response",
    "dispatch",
    "setup",
    "as_view",
    "http_method_not_allowed",
    "send_parent",
    "update_props",
    "push_render",
];

/// Longest event name accepted.
pub const MAX_EVENT_NAME: usize = 100;

/// Limits on a client's params (an event's or a mount's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamLimits {
    /// Deepest nesting of lists and objects.
    pub depth: usize,
    /// Most values in all (every list item, object entry and scalar counts).
    pub items: usize,
    /// Most bytes of strings and keys in all.
    pub bytes: usize,
}

impl Default for ParamLimits {
    fn default() -> Self {
        use crate::settings::{MAX_PARAM_BYTES, MAX_PARAM_DEPTH, MAX_PARAM_ITEMS};
        ParamLimits { depth: MAX_PARAM_DEPTH, items: MAX_PARAM_ITEMS, bytes: MAX_PARAM_BYTES }
    }
}

/// Why `name` can be no event of any view, or `None` when it may be one.
pub fn refuse_event_name(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("an event name cannot be empty".to_string())
    } else if name.len() > MAX_EVENT_NAME {
        Some(format!("event names are at most {MAX_EVENT_NAME} characters"))
    } else if name.starts_with('_') {
        Some(format!("`{name}` is private: event names cannot start with `_`"))
    } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.as_bytes()[0].is_ascii_digit() {
        Some(format!("`{}` is not a valid event name (letters, digits and `_`)", name.escape_default()))
    } else {
        None
    }
}

/// Check a client's params (already JSON) against `limits`. Keys starting
/// with `$` are refused at any depth: they are the tags of the server's own
/// values (`{"$safe": …}` renders unescaped), which a client must never
/// be able to forge. A top-level `self` is refused too (params become
/// keyword arguments of a method).
pub fn check(params: &Map<String, Value>, limits: ParamLimits) -> Result<(), String> {
    if params.contains_key("self") {
        return Err("a param cannot be named `self`".into());
    }
    let mut budget = Budget { items: 0, bytes: 0, limits };
    budget.object(params, 1)
}

struct Budget {
    items: usize,
    bytes: usize,
    limits: ParamLimits,
}

impl Budget {
    fn count(&mut self, bytes: usize) -> Result<(), String> {
        self.items += 1;
        self.bytes += bytes;
        if self.items > self.limits.items {
            return Err(format!("params hold more than {} values", self.limits.items));
        }
        if self.bytes > self.limits.bytes {
            return Err(format!("params hold more than {} bytes of text", self.limits.bytes));
        }
        Ok(())
    }

    fn object(&mut self, map: &Map<String, Value>, depth: usize) -> Result<(), String> {
        if depth > self.limits.depth {
            return Err(format!("params nest deeper than {} levels", self.limits.depth));
        }
        for (k, v) in map {
            if k.starts_with('$') {
                return Err(format!("param names cannot start with `$` (`{}`): they are reserved for the server's tagged values", k.escape_default()));
            }
            self.count(k.len())?;
            self.value(v, depth)?;
        }
        Ok(())
    }

    fn value(&mut self, v: &Value, depth: usize) -> Result<(), String> {
        match v {
            Value::String(s) => self.count(s.len()),
            Value::Array(items) => {
                if depth + 1 > self.limits.depth {
                    return Err(format!("params nest deeper than {} levels", self.limits.depth));
                }
                self.count(0)?;
                items.iter().try_for_each(|item| self.value(item, depth + 1))
            }
            Value::Object(map) => {
                self.count(0)?;
                self.object(map, depth + 1)
            }
            // Numbers in a serde_json value are always finite.
            _ => self.count(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn plain_params_pass_and_each_limit_says_which() {
        let limits = ParamLimits::default();
        assert_eq!(check(&map(json!({"a": 1, "b": [true, null, 1.5], "c": {"d": "e"}})), limits), Ok(()));
        let deep = json!({"a": [[[[[[[[[[1]]]]]]]]]]});
        assert!(check(&map(deep), limits).unwrap_err().contains("deeper than 8"));
        let many: Map<String, Value> = (0..1001).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(check(&many, limits).unwrap_err().contains("more than 1000 values"));
        let big = json!({"s": "x".repeat(300 << 10)});
        assert!(check(&map(big), limits).unwrap_err().contains("bytes of text"));
        assert!(check(&map(json!({"self": 1})), limits).unwrap_err().contains("`self`"));
    }

    #[test]
    fn tagged_values_cannot_be_forged_at_any_depth() {
        let limits = ParamLimits::default();
        for forged in [json!({"$safe": "<img>"}), json!({"name": {"$safe": "<img>"}}), json!({"l": [{"x": {"$int": "1"}}]})] {
            assert!(check(&map(forged), limits).unwrap_err().contains("reserved for the server's tagged values"));
        }
        assert_eq!(check(&map(json!({"price": "$5", "a$": 1})), limits), Ok(()));
    }

    #[test]
    fn event_names() {
        for bad in ["", "_x", "__class__", "a b", "1a", "bump;drop"] {
            assert!(refuse_event_name(bad).is_some(), "{bad}");
        }
        assert!(refuse_event_name(&"x".repeat(101)).unwrap().contains("at most 100"));
        assert_eq!(refuse_event_name("increment_by_2"), None);
    }
}
