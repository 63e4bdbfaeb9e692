//! Builtin filters. Each takes the value so far (with its safe mark) and an
//! optional argument, and returns the new value and whether it is safe.

use crate::value::{Rendered, escape_into, is_true, to_display};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    Default,
    Escape,
    Length,
    Lower,
    Safe,
    Upper,
}

impl Filter {
    pub fn by_name(name: &str) -> Option<Filter> {
        Some(match name {
            "default" => Filter::Default,
            "escape" => Filter::Escape,
            "length" => Filter::Length,
            "lower" => Filter::Lower,
            "safe" => Filter::Safe,
            "upper" => Filter::Upper,
            _ => return None,
        })
    }

    pub fn takes_arg(self) -> bool {
        matches!(self, Filter::Default)
    }

    pub fn apply(self, input: Rendered, arg: Option<Rendered>) -> Rendered {
        match self {
            Filter::Default => match arg {
                Some(arg) if !is_true(&input.value) => arg,
                _ => input,
            },
            Filter::Escape => {
                // escape on an already-safe string does nothing (conditional_escape).
                if input.safe {
                    return input;
                }
                let mut out = String::new();
                escape_into(&mut out, &to_display(&input.value));
                Rendered::new(Value::String(out), true)
            }
            Filter::Length => {
                let n = match &input.value {
                    Value::String(s) => s.chars().count(),
                    Value::Array(a) => a.len(),
                    Value::Object(o) => o.len(),
                    _ => 0,
                };
                Rendered::new(Value::from(n), true)
            }
            Filter::Lower => Rendered::new(Value::String(to_display(&input.value).to_lowercase()), false),
            Filter::Upper => Rendered::new(Value::String(to_display(&input.value).to_uppercase()), false),
            Filter::Safe => Rendered::new(input.value, true),
        }
    }
}
