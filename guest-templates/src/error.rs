use std::fmt;

/// What kind of failure an [`Error`] reports (shared with the host).
pub use wasmlive_types::TemplateErrorKind as ErrorKind;

/// A compile or render failure with the place in the template it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub template: String,
    /// 1-based; 0 when no position applies.
    pub line: u32,
    /// 1-based, in characters; 0 when no position applies.
    pub column: u32,
}

impl Error {
    /// An error at a position, before the template name is known; the
    /// compiler attaches the name once, in [`Error::in_template`].
    pub(crate) fn at(kind: ErrorKind, pos: Pos, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            template: String::new(),
            line: pos.line,
            column: pos.column,
        }
    }

    pub(crate) fn in_template(mut self, name: &str) -> Error {
        if self.template.is_empty() {
            self.template = name.to_string();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.template, self.line, self.column, self.message)
    }
}

impl std::error::Error for Error {}

/// A 1-based line and column in template source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}
