//! Django's builtin filters (and `l10n`'s), each with Django's argument
//! count, `is_safe` and `stringfilter` behaviour.
//!
//! `apply` does what `FilterExpression.resolve` does around a filter call:
//! a string filter gets `str(value)`, and an `is_safe` filter given a safe
//! string returns a safe string.

pub(crate) mod html;
mod lists;
mod numbers;
pub(crate) mod text;

use crate::host::Host;
use crate::value::{Value, build_str};

/// What a filter can see besides its input and argument.
pub(crate) struct FilterCx<'a> {
    pub autoescape: bool,
    pub host: &'a dyn Host,
    /// State of the `random` filter's generator, seeded per render.
    pub random_state: &'a mut u64,
}

/// A filter's failure: Python would raise, and the render fails with this message.
pub(crate) type FilterResult = Result<Value, String>;

macro_rules! filters {
    ($( $variant:ident = $name:literal, args $min:literal..=$max:literal, safe $safe:literal, string $string:literal, lib $lib:expr; )*) => {
        /// A builtin filter.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Filter { $($variant,)* }

        impl Filter {
            pub fn by_name(name: &str) -> Option<Filter> {
                match name {
                    $($name => Some(Filter::$variant),)*
                    _ => None,
                }
            }

            pub fn name(self) -> &'static str {
                match self { $(Filter::$variant => $name,)* }
            }

            /// (minimum, maximum) positional arguments counting the value, as
            /// Django's `args_check` reports them.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Filter::$variant => ($min, $max),)* }
            }

            fn is_safe(self) -> bool {
                match self { $(Filter::$variant => $safe,)* }
            }

            fn is_stringfilter(self) -> bool {
                match self { $(Filter::$variant => $string,)* }
            }

            /// Whether `{% load %}` must bring this filter in (it is not builtin).
            pub fn needs_load(self) -> bool {
                match self { $(Filter::$variant => $lib,)* }
            }
        }
    };
}

filters! {
    Add = "add", args 2..=2, safe false, string false, lib false;
    AddSlashes = "addslashes", args 1..=1, safe true, string true, lib false;
    Capfirst = "capfirst", args 1..=1, safe true, string true, lib false;
    Center = "center", args 2..=2, safe true, string true, lib false;
    Cut = "cut", args 2..=2, safe false, string true, lib false;
    Date = "date", args 1..=2, safe false, string false, lib false;
    Default = "default", args 2..=2, safe false, string false, lib false;
    DefaultIfNone = "default_if_none", args 2..=2, safe false, string false, lib false;
    DictSort = "dictsort", args 2..=2, safe false, string false, lib false;
    DictSortReversed = "dictsortreversed", args 2..=2, safe false, string false, lib false;
    DivisibleBy = "divisibleby", args 2..=2, safe false, string false, lib false;
    Escape = "escape", args 1..=1, safe true, string true, lib false;
    EscapeJs = "escapejs", args 1..=1, safe false, string true, lib false;
    EscapeSeq = "escapeseq", args 1..=1, safe true, string false, lib false;
    FileSizeFormat = "filesizeformat", args 1..=1, safe true, string false, lib false;
    First = "first", args 1..=1, safe false, string false, lib false;
    FloatFormat = "floatformat", args 1..=2, safe true, string false, lib false;
    ForceEscape = "force_escape", args 1..=1, safe true, string true, lib false;
    GetDigit = "get_digit", args 2..=2, safe false, string false, lib false;
    IriEncode = "iriencode", args 1..=1, safe true, string true, lib false;
    Join = "join", args 2..=3, safe true, string false, lib false;
    JsonScript = "json_script", args 1..=2, safe true, string false, lib false;
    Last = "last", args 1..=1, safe true, string false, lib false;
    Length = "length", args 1..=1, safe false, string false, lib false;
    Linebreaks = "linebreaks", args 1..=2, safe true, string true, lib false;
    LinebreaksBr = "linebreaksbr", args 1..=2, safe true, string true, lib false;
    LineNumbers = "linenumbers", args 1..=2, safe true, string true, lib false;
    Ljust = "ljust", args 2..=2, safe true, string true, lib false;
    Lower = "lower", args 1..=1, safe true, string true, lib false;
    MakeList = "make_list", args 1..=1, safe false, string true, lib false;
    Phone2Numeric = "phone2numeric", args 1..=1, safe true, string false, lib false;
    Pluralize = "pluralize", args 1..=2, safe false, string false, lib false;
    Pprint = "pprint", args 1..=1, safe true, string false, lib false;
    Random = "random", args 1..=1, safe true, string false, lib false;
    Rjust = "rjust", args 2..=2, safe true, string true, lib false;
    Safe = "safe", args 1..=1, safe true, string true, lib false;
    SafeSeq = "safeseq", args 1..=1, safe true, string false, lib false;
    Slice = "slice", args 2..=2, safe true, string false, lib false;
    Slugify = "slugify", args 1..=1, safe true, string true, lib false;
    StringFormat = "stringformat", args 2..=2, safe true, string false, lib false;
    StripTags = "striptags", args 1..=1, safe true, string true, lib false;
    Time = "time", args 1..=2, safe false, string false, lib false;
    TimeSince = "timesince", args 1..=2, safe false, string false, lib false;
    TimeUntil = "timeuntil", args 1..=2, safe false, string false, lib false;
    Title = "title", args 1..=1, safe true, string true, lib false;
    TruncateChars = "truncatechars", args 2..=2, safe true, string true, lib false;
    TruncateCharsHtml = "truncatechars_html", args 2..=2, safe true, string true, lib false;
    TruncateWords = "truncatewords", args 2..=2, safe true, string true, lib false;
    TruncateWordsHtml = "truncatewords_html", args 2..=2, safe true, string true, lib false;
    UnorderedList = "unordered_list", args 1..=2, safe true, string false, lib false;
    Upper = "upper", args 1..=1, safe false, string true, lib false;
    UrlEncode = "urlencode", args 1..=2, safe false, string true, lib false;
    Urlize = "urlize", args 1..=2, safe true, string true, lib false;
    UrlizeTrunc = "urlizetrunc", args 2..=3, safe true, string true, lib false;
    WordCount = "wordcount", args 1..=1, safe false, string true, lib false;
    WordWrap = "wordwrap", args 2..=2, safe true, string true, lib false;
    YesNo = "yesno", args 1..=2, safe false, string false, lib false;
    Localize = "localize", args 1..=2, safe false, string false, lib true;
    Unlocalize = "unlocalize", args 1..=1, safe false, string false, lib true;
}

impl Filter {
    /// Apply to `value` with the optional argument, as `FilterExpression.resolve` would.
    pub fn apply(self, value: Value, arg: Option<Value>, cx: &mut FilterCx) -> FilterResult {
        let input_safe = value.is_safe();
        let value = if self.is_stringfilter() {
            match value {
                Value::Str(..) => value,
                other => Value::str(other.to_py_str()),
            }
        } else {
            value
        };
        let out = self.call(value, arg, cx)?;
        Ok(if self.is_safe() && input_safe { mark_safe(out) } else { out })
    }

    fn call(self, value: Value, arg: Option<Value>, cx: &mut FilterCx) -> FilterResult {
        use Filter::*;
        let s = || value.as_str().unwrap_or_default();
        let arg_or_empty = || arg.clone().unwrap_or_else(Value::empty);
        Ok(match self {
            Add => numbers::add(&value, &arg_or_empty()),
            AddSlashes => Value::str(s().replace('\\', "\\\\").replace('"', "\\\"").replace('\'', "\\'")),
            Capfirst => Value::str(text::capfirst(s())),
            Center | Ljust | Rjust => {
                let width = int_arg(&arg_or_empty())?;
                Value::str(text::justify(s(), width, self))
            }
            Cut => {
                let a = arg_or_empty().to_py_str();
                let out = s().replace(&a, "");
                if value.is_safe() && a != ";" { Value::safe(out) } else { Value::str(out) }
            }
            Date | Time => numbers::date_or_time(&value, arg.as_ref(), self == Time)?,
            Default => {
                if value.truth() { value } else { arg_or_empty() }
            }
            DefaultIfNone => {
                if matches!(value, Value::None) { arg_or_empty() } else { value }
            }
            DictSort | DictSortReversed => lists::dictsort(&value, &arg_or_empty(), self == DictSortReversed),
            DivisibleBy => numbers::divisibleby(&value, &arg_or_empty())?,
            Escape => {
                if value.is_safe() { value } else { Value::Str(build_str(|b| crate::render::escape_into(b, s())), true) }
            }
            ForceEscape => Value::Str(build_str(|b| crate::render::escape_into(b, s())), true),
            EscapeJs => Value::safe(html::escapejs(s())),
            EscapeSeq => lists::escapeseq(&value)?,
            FileSizeFormat => Value::safe(numbers::filesizeformat(&value)),
            First => lists::first(&value)?,
            Last => lists::last(&value)?,
            FloatFormat => numbers::floatformat(&value, arg.as_ref()),
            GetDigit => numbers::get_digit(&value, &arg_or_empty())?,
            IriEncode => Value::str(html::quote(s(), "/#%[]=:;$&()+,!?*@'~")),
            Join => lists::join(&value, &arg_or_empty(), cx.autoescape),
            JsonScript => Value::safe(html::json_script(&value, arg.as_ref())?),
            Length => Value::Int(value.len().unwrap_or(0) as i64),
            Linebreaks => {
                let escape = cx.autoescape && !value.is_safe();
                Value::safe(html::linebreaks(s(), escape))
            }
            LinebreaksBr => {
                let mut v = text::normalize_newlines(s());
                if cx.autoescape && !value.is_safe() {
                    v = html::escape(&v);
                }
                Value::safe(v.replace('\n', "<br>"))
            }
            LineNumbers => Value::safe(text::linenumbers(s(), cx.autoescape && !value.is_safe())),
            Lower => Value::Str(text::map_case(s(), false), false),
            Upper => Value::Str(text::map_case(s(), true), false),
            MakeList => Value::List(std::rc::Rc::new(s().chars().map(|c| Value::str(c.to_string())).collect())),
            Phone2Numeric => match &value {
                Value::Str(s, _) => Value::str(text::phone2numeric(s)),
                other => return Err(format!("'{}' object has no attribute 'lower'", other.type_name())),
            },
            Pluralize => numbers::pluralize(&value, arg.as_ref()),
            Pprint => Value::str(lists::pformat(&value)),
            Random => lists::random(&value, cx.random_state)?,
            Safe => match value {
                Value::Str(s, _) => Value::Str(s, true),
                other => Value::safe(other.to_py_str()),
            },
            SafeSeq => lists::safeseq(&value)?,
            Slice => lists::slice(&value, &arg_or_empty()),
            Slugify => Value::str(text::slugify(s())),
            StringFormat => numbers::stringformat(&value, &arg_or_empty()),
            StripTags => Value::str(html::strip_tags(s())),
            TimeSince | TimeUntil => {
                if !value.truth() {
                    return Ok(Value::empty());
                }
                let now = match arg.as_ref().filter(|a| a.truth()) {
                    Some(a) => a.clone(),
                    None => crate::host::now_value(cx.host, &value),
                };
                Value::str(crate::formats::timesince(&value, &now, self == TimeUntil).unwrap_or_default())
            }
            Title => Value::str(text::title(s())),
            TruncateChars | TruncateCharsHtml | TruncateWords | TruncateWordsHtml => {
                let Some(n) = crate::value::py_int(&arg_or_empty()) else {
                    if let Value::Str(..) = arg_or_empty() {
                        return Ok(value);
                    }
                    return Err(format!("int() argument must be a string, a bytes-like object or a real number, not '{}'", arg_or_empty().type_name()));
                };
                Value::str(match self {
                    TruncateChars => text::truncate_chars(s(), n),
                    TruncateWords => text::truncate_words(s(), n),
                    TruncateCharsHtml => html::truncate_html(s(), n, false),
                    _ => html::truncate_html(s(), n, true),
                })
            }
            UnorderedList => Value::safe(lists::unordered_list(&value, cx.autoescape)?),
            UrlEncode => {
                let safe = match &arg {
                    Some(a) => a.to_py_str(),
                    None => "/".into(),
                };
                Value::str(html::quote(s(), &safe))
            }
            Urlize => Value::safe(html::urlize(s(), value.is_safe(), None, cx.autoescape)),
            UrlizeTrunc => {
                let limit = int_arg(&arg_or_empty())?;
                Value::safe(html::urlize(s(), value.is_safe(), Some(limit), cx.autoescape))
            }
            WordCount => Value::Int(s().split_whitespace().count() as i64),
            WordWrap => Value::str(text::wrap(s(), int_arg(&arg_or_empty())?)),
            YesNo => numbers::yesno(value, arg.as_ref()),
            Localize | Unlocalize => Value::str(crate::render::localize(&value)?.into_owned()),
        })
    }
}

/// `mark_safe(x)`: a safe string of `str(x)`.
pub(crate) fn mark_safe(v: Value) -> Value {
    match v {
        Value::Str(s, _) => Value::Str(s, true),
        other => Value::safe(other.to_py_str()),
    }
}

/// `int(arg)` where Python raises on failure.
fn int_arg(arg: &Value) -> Result<i64, String> {
    match crate::value::py_int(arg) {
        Some(n) => Ok(n.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i64),
        None => Err(match arg {
            Value::Str(s, _) => format!("invalid literal for int() with base 10: {}", crate::parser::py_str_repr(s)),
            other => format!("int() argument must be a string, a bytes-like object or a real number, not '{}'", other.type_name()),
        }),
    }
}
