//! The types the host and the default guests share, declared once: a VDOM
//! [`Patch`] (the guest-vdom crate makes them, the host checks and
//! serializes them) and a template error's [`TemplateErrorKind`] (the
//! template guest reports it, the host and the Python bindings name it).
//! Both mirror `wit/`; each side converts from its generated bindings.

/// One step of turning the client's tree into the new one: `patch` in
/// `wit/vdom.wit`, as the VDOM guest makes it and the host checks and sends it
/// (the `op` field and kebab-case names on the wire, docs/reference/protocol.md).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(tag = "op", rename_all = "kebab-case"))]
pub enum Patch {
    SetText { path: Vec<u32>, text: String },
    SetAttribute { path: Vec<u32>, name: String, value: String },
    RemoveAttribute { path: Vec<u32>, name: String },
    ReplaceNode { path: Vec<u32>, html: String },
    InsertChild { parent: Vec<u32>, index: u32, html: String, count: u32 },
    RemoveChild { parent: Vec<u32>, index: u32, count: u32 },
    MoveChild { parent: Vec<u32>, from: u32, to: u32, count: u32 },
}

/// Deeper paths than this are refused: browsers flatten HTML nested past
/// 512 levels, so no page the client patches is this deep.
pub const MAX_PATH_DEPTH: usize = 4096;

impl Patch {
    /// Why the page could never apply this patch, whatever the tree: the
    /// structural checks the host makes on a guest's output before sending
    /// it (a patch that is well-formed but does not fit the page is caught
    /// by the client, which then asks for the full HTML).
    pub fn problem(&self) -> Option<String> {
        let (path, count) = match self {
            Patch::SetText { path, .. } | Patch::ReplaceNode { path, .. } => (path, None),
            Patch::SetAttribute { path, name, .. } | Patch::RemoveAttribute { path, name } => {
                if let Some(why) = attribute_name_problem(name) {
                    return Some(format!("attribute name {name:?} {why}"));
                }
                (path, None)
            }
            Patch::InsertChild { parent, count, .. } | Patch::RemoveChild { parent, count, .. } | Patch::MoveChild { parent, count, .. } => {
                (parent, Some(*count))
            }
        };
        if path.len() > MAX_PATH_DEPTH {
            return Some(format!("a path {} levels deep (at most {MAX_PATH_DEPTH})", path.len()));
        }
        match count {
            Some(0) => Some("a count of 0 nodes (at least 1)".into()),
            None if path.is_empty() => Some("the fragment root as its target (only a parent may be the root)".into()),
            _ => None,
        }
    }

    /// Bytes of payload this patch carries, for the output limit.
    pub fn payload_len(&self) -> usize {
        match self {
            Patch::SetText { path, text } => path.len() * 4 + text.len(),
            Patch::SetAttribute { path, name, value } => path.len() * 4 + name.len() + value.len(),
            Patch::RemoveAttribute { path, name } => path.len() * 4 + name.len(),
            Patch::ReplaceNode { path, html } => path.len() * 4 + html.len(),
            Patch::InsertChild { parent, html, .. } => parent.len() * 4 + 8 + html.len(),
            Patch::RemoveChild { parent, .. } => parent.len() * 4 + 8,
            Patch::MoveChild { parent, .. } => parent.len() * 4 + 12,
        }
    }
}

/// Why an HTML parser could never produce `name` as an attribute name, if
/// it could not: empty, or holding whitespace, `/`, `>`, NUL, an ASCII
/// capital (names are lowercased) or a `=` after the first character.
fn attribute_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    for (i, c) in name.char_indices() {
        match c {
            '\t' | '\n' | '\x0C' | '\r' | ' ' => return Some("holds whitespace"),
            '/' | '>' | '\0' => return Some("holds `/`, `>` or NUL"),
            '=' if i > 0 => return Some("holds `=`"),
            c if c.is_ascii_uppercase() => return Some("holds an ASCII capital (HTML lowercases them)"),
            _ => {}
        }
    }
    None
}

/// What kind of failure a template error is; mirrors `error-kind` in `wit/templates.wit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateErrorKind {
    Syntax,
    UnknownTag,
    UnknownFilter,
    UnknownLibrary,
    TemplateNotFound,
    InvalidContext,
    Render,
}

impl TemplateErrorKind {
    /// The kind as a stable identifier (the WIT's spelling), as clients and
    /// Python's `TemplateError.kind` see it.
    pub fn name(self) -> &'static str {
        match self {
            TemplateErrorKind::Syntax => "syntax",
            TemplateErrorKind::UnknownTag => "unknown-tag",
            TemplateErrorKind::UnknownFilter => "unknown-filter",
            TemplateErrorKind::UnknownLibrary => "unknown-library",
            TemplateErrorKind::TemplateNotFound => "template-not-found",
            TemplateErrorKind::InvalidContext => "invalid-context",
            TemplateErrorKind::Render => "render",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structurally_impossible_patches_are_named() {
        let attr = |name: &str| Patch::SetAttribute { path: vec![0], name: name.into(), value: String::new() };
        for ok in ["class", "@click", "data-x", "=odd", "a<b", "x:y", "é"] {
            assert_eq!(attr(ok).problem(), None, "{ok}");
        }
        for bad in ["", "on click", "a/b", "a>b", "Class", "a=b", "a\0"] {
            assert!(attr(bad).problem().is_some(), "{bad:?}");
        }
        let remove = |count| Patch::RemoveChild { parent: vec![], index: 0, count };
        assert_eq!(remove(1).problem(), None);
        assert!(remove(0).problem().unwrap().contains("count of 0"));
        let text = |depth| Patch::SetText { path: vec![0; depth], text: String::new() };
        assert_eq!(text(MAX_PATH_DEPTH).problem(), None);
        assert!(text(MAX_PATH_DEPTH + 1).problem().unwrap().contains("levels deep"));
        assert!(text(0).problem().unwrap().contains("fragment root"));
    }
}
