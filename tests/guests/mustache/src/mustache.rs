//! The Mustache dialect: a parser into a node tree and a renderer over the
//! JSON context, both independent of WIT so they test natively.

use serde_json::{Map, Value};

/// Partials nested deeper than this are a render error, not a stack overflow.
const MAX_PARTIAL_DEPTH: usize = 32;

/// What a failure is about (mapped onto the WIT `error-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Syntax,
    NotFound,
    Context,
    Render,
}

/// A located failure to compile or render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub template: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Variable { path: Vec<String>, escape: bool },
    Section { path: Vec<String>, inverted: bool, body: Vec<Node> },
    Partial { name: String, line: u32, column: u32 },
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    name: String,
    nodes: Vec<Node>,
}

/// Where a tag starts, 1-based, counted in characters.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: u32,
    column: u32,
}

fn position_of(source: &str, byte: usize) -> Position {
    let before = &source[..byte];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: before[line_start..].chars().count() as u32 + 1,
    }
}

/// An open section while parsing: its name, where it opened, and what came before it.
struct Open {
    raw_name: String,
    path: Vec<String>,
    inverted: bool,
    at: Position,
    outer: Vec<Node>,
}

impl Template {
    /// Parse `source`; `name` appears in errors.
    pub fn compile(name: &str, source: &str) -> Result<Template, Error> {
        let syntax = |at: Position, message: String| Error {
            kind: ErrorKind::Syntax,
            message,
            template: name.to_string(),
            line: at.line,
            column: at.column,
        };
        let mut nodes = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        let mut rest = 0;
        while let Some(found) = source[rest..].find("{{") {
            let start = rest + found;
            if start > rest {
                nodes.push(Node::Text(source[rest..start].to_string()));
            }
            let at = position_of(source, start);
            let (inner, end) = if source[start..].starts_with("{{{") {
                let close = source[start + 3..]
                    .find("}}}")
                    .ok_or_else(|| syntax(at, "unclosed tag: `{{{` without `}}}`".into()))?;
                (format!("&{}", &source[start + 3..start + 3 + close]), start + 3 + close + 3)
            } else {
                let close = source[start + 2..]
                    .find("}}")
                    .ok_or_else(|| syntax(at, "unclosed tag: `{{` without `}}`".into()))?;
                (source[start + 2..start + 2 + close].to_string(), start + 2 + close + 2)
            };
            rest = end;
            let inner = inner.trim();
            let (sigil, body) = match inner.chars().next() {
                Some(c @ ('#' | '^' | '/' | '!' | '&' | '>')) => (Some(c), inner[1..].trim()),
                _ => (None, inner),
            };
            if sigil == Some('!') {
                continue;
            }
            if body.is_empty() {
                return Err(syntax(at, "empty tag: a name is expected between the braces".into()));
            }
            if sigil != Some('>') && !valid_name(body) {
                return Err(syntax(at, format!("invalid name `{body}`: use letters, digits, `_`, `-` and dots")));
            }
            match sigil {
                Some('#') | Some('^') => open.push(Open {
                    raw_name: body.to_string(),
                    path: split_path(body),
                    inverted: sigil == Some('^'),
                    at,
                    outer: std::mem::take(&mut nodes),
                }),
                Some('/') => {
                    let section = open
                        .pop()
                        .ok_or_else(|| syntax(at, format!("`{{{{/{body}}}}}` closes a section that was never opened")))?;
                    if section.raw_name != body {
                        return Err(syntax(
                            at,
                            format!(
                                "`{{{{/{body}}}}}` closes `{}` opened on line {}",
                                section.raw_name, section.at.line
                            ),
                        ));
                    }
                    let body_nodes = std::mem::replace(&mut nodes, section.outer);
                    nodes.push(Node::Section {
                        path: section.path,
                        inverted: section.inverted,
                        body: body_nodes,
                    });
                }
                Some('>') => nodes.push(Node::Partial {
                    name: body.to_string(),
                    line: at.line,
                    column: at.column,
                }),
                Some('&') => nodes.push(Node::Variable {
                    path: split_path(body),
                    escape: false,
                }),
                _ => nodes.push(Node::Variable {
                    path: split_path(body),
                    escape: true,
                }),
            }
        }
        if rest < source.len() {
            nodes.push(Node::Text(source[rest..].to_string()));
        }
        if let Some(section) = open.pop() {
            return Err(syntax(
                section.at,
                format!("unclosed section `{}`: `{{{{/{}}}}}` is missing", section.raw_name, section.raw_name),
            ));
        }
        Ok(Template {
            name: name.to_string(),
            nodes,
        })
    }

    /// The name given at compile time.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn valid_name(name: &str) -> bool {
    name == "." || name.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-'))
}

fn split_path(name: &str) -> Vec<String> {
    if name == "." { Vec::new() } else { name.split('.').map(str::to_string).collect() }
}

/// Render `template` with the JSON `context`; `partials` answers `{{> name}}`.
pub fn render(template: &Template, context: &str, partials: &dyn Fn(&str) -> Result<String, String>) -> Result<String, Error> {
    let root: Value = serde_json::from_str(context).map_err(|e| Error {
        kind: ErrorKind::Context,
        message: format!("the context is not JSON: {e}"),
        template: template.name.clone(),
        line: 0,
        column: 0,
    })?;
    if !root.is_object() {
        return Err(Error {
            kind: ErrorKind::Context,
            message: "the context must be a JSON object".into(),
            template: template.name.clone(),
            line: 0,
            column: 0,
        });
    }
    let mut out = String::with_capacity(256);
    let mut stack = vec![&root];
    Renderer { partials, depth: 0 }.nodes(template, &template.nodes, &mut stack, &mut out)?;
    Ok(out)
}

struct Renderer<'p> {
    partials: &'p dyn Fn(&str) -> Result<String, String>,
    depth: usize,
}

impl Renderer<'_> {
    fn nodes<'v>(&mut self, template: &Template, nodes: &[Node], stack: &mut Vec<&'v Value>, out: &mut String) -> Result<(), Error> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Variable { path, escape } => {
                    if let Some(value) = lookup(stack, path) {
                        let (text, safe) = display(value);
                        if *escape && !safe { escape_into(&text, out) } else { out.push_str(&text) }
                    }
                }
                Node::Section { path, inverted, body } => {
                    let value = lookup(stack, path);
                    let items = value.map(unwrap_tuple);
                    match (items, inverted) {
                        (Some(Value::Array(items)), false) => {
                            for item in items {
                                stack.push(item);
                                self.nodes(template, body, stack, out)?;
                                stack.pop();
                            }
                        }
                        (Some(v), false) if truthy(v) => {
                            stack.push(v);
                            self.nodes(template, body, stack, out)?;
                            stack.pop();
                        }
                        (v, true) if !v.is_some_and(truthy) => self.nodes(template, body, stack, out)?,
                        _ => {}
                    }
                }
                Node::Partial { name, line, column } => {
                    let error = |kind, message| Error {
                        kind,
                        message,
                        template: template.name.clone(),
                        line: *line,
                        column: *column,
                    };
                    if self.depth >= MAX_PARTIAL_DEPTH {
                        return Err(error(ErrorKind::Render, format!("partials nest deeper than {MAX_PARTIAL_DEPTH} (`{name}` includes itself?)")));
                    }
                    let source = (self.partials)(name).map_err(|m| error(ErrorKind::NotFound, format!("partial `{name}`: {m}")))?;
                    let partial = Template::compile(name, &source)?;
                    self.depth += 1;
                    self.nodes(&partial, &partial.nodes, stack, out)?;
                    self.depth -= 1;
                }
            }
        }
        Ok(())
    }
}

/// `{"$tuple": [...]}` iterates like a list.
fn unwrap_tuple(value: &Value) -> &Value {
    match value.as_object().and_then(|o| if o.len() == 1 { o.get("$tuple") } else { None }) {
        Some(items) => items,
        None => value,
    }
}

fn lookup<'v>(stack: &[&'v Value], path: &[String]) -> Option<&'v Value> {
    let Some((first, rest)) = path.split_first() else {
        return stack.last().copied();
    };
    let mut value = stack.iter().rev().find_map(|frame| member(frame, first))?;
    for key in rest {
        value = member(value, key)?;
    }
    Some(value)
}

fn member<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    match value {
        Value::Object(map) => match map.get("$object") {
            Some(_) => map.get("attrs").and_then(|a| a.get(key)),
            None => map.get(key),
        },
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Number(_) => true,
        Value::Object(map) => tagged(map).is_none_or(|(tag, v)| match tag {
            "$object" => map.get("bool").and_then(Value::as_bool).unwrap_or(true),
            "$safe" => v.as_str().is_some_and(|s| !s.is_empty()),
            _ => true,
        }),
    }
}

fn tagged(map: &Map<String, Value>) -> Option<(&str, &Value)> {
    map.iter().next().filter(|(k, _)| k.starts_with('$')).map(|(k, v)| (k.as_str(), v))
}

/// The text of a value and whether it is already safe HTML.
fn display(value: &Value) -> (String, bool) {
    match value {
        Value::Null => (String::new(), false),
        Value::String(s) => (s.clone(), false),
        Value::Object(map) => match tagged(map) {
            Some(("$safe", Value::String(s))) => (s.clone(), true),
            Some((_, Value::String(s))) => (s.clone(), false),
            _ => (value.to_string(), false),
        },
        other => (other.to_string(), false),
    }
}

fn escape_into(text: &str, out: &mut String) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn no_partials(name: &str) -> Result<String, String> {
        Err(format!("no template named {name}"))
    }

    fn render_str(source: &str, context: &str) -> Result<String, Error> {
        render(&Template::compile("t", source)?, context, &no_partials)
    }

    #[test]
    fn variables_are_escaped_unless_triple_or_ampersand_or_safe() {
        let ctx = r#"{"x": "<b>&</b>", "s": {"$safe": "<i>ok</i>"}, "n": 3, "f": 1.5, "b": true, "z": null}"#;
        assert_eq!(render_str("{{x}}|{{{x}}}|{{& x}}", ctx).unwrap(), "&lt;b&gt;&amp;&lt;/b&gt;|<b>&</b>|<b>&</b>");
        assert_eq!(render_str("{{s}} {{n}} {{f}} {{b}} [{{z}}] [{{missing}}]", ctx).unwrap(), "<i>ok</i> 3 1.5 true [] []");
    }

    #[test]
    fn sections_iterate_push_skip_and_invert() {
        let ctx = r#"{"items": [{"name": "a"}, {"name": "b"}], "user": {"name": "Ann", "admin": false}, "empty": []}"#;
        assert_eq!(render_str("{{#items}}<li>{{name}}</li>{{/items}}", ctx).unwrap(), "<li>a</li><li>b</li>");
        assert_eq!(render_str("{{#user}}{{name}}{{/user}} {{user.name}}", ctx).unwrap(), "Ann Ann");
        assert_eq!(render_str("{{#user.admin}}admin{{/user.admin}}{{^user.admin}}guest{{/user.admin}}", ctx).unwrap(), "guest");
        assert_eq!(render_str("{{^empty}}none{{/empty}}{{#empty}}x{{/empty}}", ctx).unwrap(), "none");
        assert_eq!(render_str(r#"{{#t}}{{.}},{{/t}}"#, r#"{"t": {"$tuple": [1, 2]}}"#).unwrap(), "1,2,");
    }

    #[test]
    fn outer_names_are_visible_inside_sections() {
        let ctx = r#"{"sep": "-", "items": ["a", "b"]}"#;
        assert_eq!(render_str("{{#items}}{{.}}{{sep}}{{/items}}", ctx).unwrap(), "a-b-");
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(render_str("a{{! anything }}b", "{}").unwrap(), "ab");
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = Template::compile("page.html", "ok\n  {{#list}}\n  x").unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::Syntax, 2, 3));
        assert!(e.message.contains("unclosed section `list`"), "{}", e.message);
        let e = Template::compile("t", "{{#a}}{{/b}}").unwrap_err();
        assert!(e.message.contains("closes `a` opened on line 1"), "{}", e.message);
        let e = Template::compile("t", "x {{name").unwrap_err();
        assert_eq!((e.line, e.column), (1, 3));
        let e = Template::compile("t", "{{/a}}").unwrap_err();
        assert!(e.message.contains("never opened"), "{}", e.message);
        assert!(Template::compile("t", "{{a b}}").unwrap_err().message.contains("invalid name"));
    }

    #[test]
    fn partials_load_through_the_host_and_cannot_recurse_forever() {
        let partials = |name: &str| match name {
            "row" => Ok("<td>{{name}}</td>".to_string()),
            "self" => Ok("{{> self}}".to_string()),
            _ => Err(format!("no template named {name}")),
        };
        let t = Template::compile("t", "{{#rows}}{{> row}}{{/rows}}").unwrap();
        assert_eq!(render(&t, r#"{"rows": [{"name": "x"}]}"#, &partials).unwrap(), "<td>x</td>");
        let t = Template::compile("t", "{{> self}}").unwrap();
        assert_eq!(render(&t, "{}", &partials).unwrap_err().kind, ErrorKind::Render);
        let t = Template::compile("t", "\n {{> nope}}").unwrap();
        let e = render(&t, "{}", &partials).unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::NotFound, 2, 2));
    }

    #[test]
    fn a_context_that_is_not_an_object_is_refused() {
        assert_eq!(render_str("x", "[1]").unwrap_err().kind, ErrorKind::Context);
        assert_eq!(render_str("x", "{").unwrap_err().kind, ErrorKind::Context);
    }
}
