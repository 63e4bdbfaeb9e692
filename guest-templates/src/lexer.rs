//! Splits template source into tokens the way Django's `Lexer` does: a tag is
//! `{%…%}`, `{{…}}` or `{#…#}` on a single line, matched non-greedily;
//! anything else, including an unterminated `{{`, is text. Between
//! `{% verbatim [name] %}` and its `{% endverbatim [name] %}` every tag is
//! text, also as in Django.

use crate::error::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Text,
    Variable,
    Block,
    Comment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'s> {
    pub kind: TokenKind,
    /// For tags, the inside of the delimiters, stripped of surrounding whitespace.
    pub contents: &'s str,
    /// The whole token as written, delimiters included.
    pub raw: &'s str,
    pub pos: Pos,
}

/// Tokenize, then turn tags inside verbatim sections into text tokens.
pub(crate) fn tokenize(source: &str) -> Vec<Token<'_>> {
    let mut tokens = split(source);
    let mut verbatim: Option<String> = None;
    for t in &mut tokens {
        if t.kind == TokenKind::Text {
            continue;
        }
        if let Some(end) = &verbatim {
            if t.kind == TokenKind::Block && t.contents == end {
                verbatim = None;
            } else {
                t.kind = TokenKind::Text;
                t.contents = t.raw;
            }
        } else if t.kind == TokenKind::Block && (t.contents == "verbatim" || t.contents.starts_with("verbatim ")) {
            verbatim = Some(format!("end{}", t.contents));
        }
    }
    tokens
}

fn split(source: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let bytes = source.as_bytes();
    let mut text_start = 0;
    let mut i = 0;
    let mut cursor = Cursor::default();
    while i + 1 < bytes.len() {
        let close = match (bytes[i], bytes[i + 1]) {
            (b'{', b'{') => Some(("}}", TokenKind::Variable)),
            (b'{', b'%') => Some(("%}", TokenKind::Block)),
            (b'{', b'#') => Some(("#}", TokenKind::Comment)),
            _ => None,
        };
        let Some((end, kind)) = close else {
            i += 1;
            continue;
        };
        // Django's pattern has no DOTALL: the closing delimiter must come before a newline.
        let line_end = source[i + 2..].find('\n').map_or(source.len(), |n| i + 2 + n);
        let Some(rel) = source[i + 2..line_end].find(end) else {
            i += 1;
            continue;
        };
        if text_start < i {
            tokens.push(Token {
                kind: TokenKind::Text,
                contents: &source[text_start..i],
                raw: &source[text_start..i],
                pos: cursor.advance_to(source, text_start),
            });
        }
        let inner = &source[i + 2..i + 2 + rel];
        tokens.push(Token {
            kind,
            contents: inner.trim(),
            raw: &source[i..i + 2 + rel + 2],
            pos: cursor.advance_to(source, i),
        });
        i += 2 + rel + 2;
        text_start = i;
    }
    if text_start < source.len() {
        tokens.push(Token {
            kind: TokenKind::Text,
            contents: &source[text_start..],
            raw: &source[text_start..],
            pos: cursor.advance_to(source, text_start),
        });
    }
    tokens
}

/// Tracks line and column incrementally, so positions cost O(n) overall.
#[derive(Default)]
struct Cursor {
    offset: usize,
    line: u32,
    column: u32,
}

impl Cursor {
    fn advance_to(&mut self, source: &str, offset: usize) -> Pos {
        if self.line == 0 {
            self.line = 1;
            self.column = 1;
        }
        for ch in source[self.offset..offset].chars() {
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = offset;
        Pos {
            line: self.line,
            column: self.column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, &str, u32, u32)> {
        tokenize(src)
            .into_iter()
            .map(|t| (t.kind, t.contents, t.pos.line, t.pos.column))
            .collect()
    }

    #[test]
    fn splits_text_variables_tags_and_comments() {
        assert_eq!(
            kinds("a {{ x }}\n{% if y %}é{# c #}"),
            vec![
                (TokenKind::Text, "a ", 1, 1),
                (TokenKind::Variable, "x", 1, 3),
                (TokenKind::Text, "\n", 1, 10),
                (TokenKind::Block, "if y", 2, 1),
                (TokenKind::Text, "é", 2, 11),
                (TokenKind::Comment, "c", 2, 12),
            ]
        );
    }

    #[test]
    fn a_tag_spanning_lines_is_text() {
        assert_eq!(kinds("{{ a\n}}"), vec![(TokenKind::Text, "{{ a\n}}", 1, 1)]);
    }

    #[test]
    fn verbatim_sections_are_text() {
        assert_eq!(
            kinds("{% verbatim x %}{{ a }}{% endverbatim %}{% endverbatim x %}{{ b }}"),
            vec![
                (TokenKind::Block, "verbatim x", 1, 1),
                (TokenKind::Text, "{{ a }}", 1, 17),
                (TokenKind::Text, "{% endverbatim %}", 1, 24),
                (TokenKind::Block, "endverbatim x", 1, 41),
                (TokenKind::Variable, "b", 1, 60),
            ]
        );
    }

    #[test]
    fn matching_is_non_greedy() {
        assert_eq!(
            kinds("{{a}}{{b}}"),
            vec![(TokenKind::Variable, "a", 1, 1), (TokenKind::Variable, "b", 1, 6)]
        );
    }
}
