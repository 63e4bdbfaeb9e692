//! The smallest useful template engine: `{name}` is replaced by the
//! context's `name`, HTML-escaped; `{{` and `}}` print braces. The guide
//! (docs/guests.md) walks through this file.

use exports::wasmlive::engine::templates::{self as wit, GuestTemplate};

// Bindings for the world this engine implements, from the WIT package the
// host ships (copy `wit/` next to your crate, or point at it).
wit_bindgen::generate!({ path: "../../wit", world: "wasmlive:engine/template-engine@0.1.0", generate_all });

struct Engine;

impl wit::Guest for Engine {
    type Template = Template;
}

/// A compiled template: literal text and placeholders, in order.
struct Template {
    name: String,
    parts: Vec<Part>,
}

enum Part {
    Text(String),
    Field(String),
}

impl GuestTemplate for Template {
    fn compile(name: String, source: String) -> Result<wit::Template, wit::TemplateError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.char_indices().peekable();
        let (mut line, mut column) = (1, 0);
        while let Some((_, c)) = chars.next() {
            column += 1;
            match c {
                '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let (at_line, at_column) = (line, column);
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, c)) if c.is_alphanumeric() || c == '_' => field.push(c),
                            _ => {
                                return Err(wit::TemplateError {
                                    kind: wit::ErrorKind::Syntax,
                                    message: "`{` opens a field: a name and `}` must follow (write `{{` for a brace)".into(),
                                    template: name,
                                    line: at_line,
                                    column: at_column,
                                });
                            }
                        }
                    }
                    column += field.chars().count() as u32 + 1;
                    parts.push(Part::Text(std::mem::take(&mut text)));
                    parts.push(Part::Field(field));
                }
                '\n' => {
                    text.push(c);
                    line += 1;
                    column = 0;
                }
                c => text.push(c),
            }
        }
        parts.push(Part::Text(text));
        Ok(wit::Template::new(Template { name, parts }))
    }

    fn name(&self) -> String {
        self.name.clone()
    }

    fn render(&self, context: String) -> Result<String, wit::TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(field) => escape(&string_field(&context, field), &mut out),
            }
        }
        Ok(out)
    }
}

/// The string value of `"field"` in the JSON context (top level, simple
/// strings only: enough for the example; a real engine parses the JSON).
fn string_field(context: &str, field: &str) -> String {
    let key = format!("\"{field}\":");
    let Some(start) = context.find(&key) else { return String::new() };
    let rest = context[start + key.len()..].trim_start();
    let Some(rest) = rest.strip_prefix('"') else { return String::new() };
    rest.split('"').next().unwrap_or_default().to_string()
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

export!(Engine);
