//! Walks a compiled template against a JSON context.

use crate::error::{Error, ErrorKind};
use crate::parser::{FilterExpr, ForNode, Node, Operand, Template};
use crate::value::{Rendered, escape_into, is_true, to_display};
use serde_json::{Map, Value, json};

impl Template {
    /// Render with a context given as JSON text (an object).
    pub fn render_json(&self, context: &str) -> Result<String, Error> {
        let invalid = |message: String| Error {
            kind: ErrorKind::InvalidContext,
            message,
            template: self.name.clone(),
            line: 0,
            column: 0,
        };
        match serde_json::from_str::<Value>(context) {
            Ok(Value::Object(map)) => self.render(map),
            Ok(other) => Err(invalid(format!(
                "the context must be a JSON object, not {}",
                kind_of(&other)
            ))),
            Err(e) => Err(invalid(format!("the context is not valid JSON: {e}"))),
        }
    }

    /// Render with a context object.
    pub fn render(&self, context: Map<String, Value>) -> Result<String, Error> {
        let mut scopes = Scopes { stack: vec![context] };
        let mut out = String::new();
        render_nodes(&self.nodes, &mut scopes, &mut out).map_err(|e| e.in_template(&self.name))?;
        Ok(out)
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The context stack: each `for` pushes a scope, popped when it ends.
struct Scopes {
    stack: Vec<Map<String, Value>>,
}

impl Scopes {
    fn lookup(&self, path: &[String]) -> Option<Value> {
        let (first, rest) = path.split_first()?;
        let mut value = self.stack.iter().rev().find_map(|scope| scope.get(first))?;
        for part in rest {
            value = match value {
                Value::Object(map) => map.get(part)?,
                Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value.clone())
    }
}

fn render_nodes(nodes: &[Node], scopes: &mut Scopes, out: &mut String) -> Result<(), Error> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Variable(expr) => {
                let r = eval(expr, scopes);
                let text = to_display(&r.value);
                if r.safe {
                    out.push_str(&text);
                } else {
                    escape_into(out, &text);
                }
            }
            Node::For(node) => render_for(node, scopes, out)?,
            Node::If(node) => {
                let truth = is_true(&eval(&node.condition, scopes).value) != node.negated;
                render_nodes(if truth { &node.then } else { &node.otherwise }, scopes, out)?;
            }
        }
    }
    Ok(())
}

fn render_for(node: &ForNode, scopes: &mut Scopes, out: &mut String) -> Result<(), Error> {
    let mut items = match eval(&node.iterable, scopes).value {
        Value::Array(items) => items,
        Value::Object(map) => map.into_iter().map(|(k, _)| Value::String(k)).collect(),
        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        Value::Null => Vec::new(),
        other => {
            return Err(Error::at(
                ErrorKind::Render,
                node.iterable.pos,
                format!("'{}' object is not iterable", python_type(&other)),
            ));
        }
    };
    if items.is_empty() {
        return render_nodes(&node.empty, scopes, out);
    }
    if node.reversed {
        items.reverse();
    }
    let len = items.len();
    scopes.stack.push(Map::new());
    let result = items.into_iter().enumerate().try_for_each(|(i, item)| {
        let scope = scopes.stack.last_mut().expect("pushed above");
        scope.insert(node.target.clone(), item);
        scope.insert(
            "forloop".into(),
            json!({
                "counter": i + 1, "counter0": i,
                "revcounter": len - i, "revcounter0": len - i - 1,
                "first": i == 0, "last": i + 1 == len,
            }),
        );
        render_nodes(&node.body, scopes, out)
    });
    scopes.stack.pop();
    result
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        _ => "object",
    }
}

fn eval(expr: &FilterExpr, scopes: &Scopes) -> Rendered {
    let mut current = operand(&expr.operand, scopes);
    for call in &expr.filters {
        let arg = call.arg.as_ref().map(|a| operand(a, scopes));
        current = call.filter.apply(current, arg);
    }
    current
}

fn operand(op: &Operand, scopes: &Scopes) -> Rendered {
    match op {
        // Django's string_if_invalid default: a failed lookup is the empty string.
        Operand::Lookup(path) => Rendered::new(scopes.lookup(path).unwrap_or(Value::String(String::new())), false),
        Operand::Literal(v) => Rendered::new(v.clone(), true),
    }
}


#[cfg(test)]
mod tests {
    use crate::{ErrorKind, Template};

    fn render(src: &str, ctx: &str) -> String {
        Template::compile("t", src).unwrap().render_json(ctx).unwrap()
    }

    #[test]
    fn variables_are_autoescaped() {
        assert_eq!(render("<p>{{ who }}</p>", r#"{"who": "<b>&'"}"#), "<p>&lt;b&gt;&amp;&#x27;</p>");
        assert_eq!(render("{{ who|safe }}", r#"{"who": "<b>"}"#), "<b>");
    }

    #[test]
    fn dotted_lookup_reaches_keys_and_indexes() {
        assert_eq!(render("{{ a.b.1 }}", r#"{"a": {"b": [1, 2]}}"#), "2");
        assert_eq!(render("[{{ missing.x }}]", "{}"), "[]");
    }

    #[test]
    fn filters_chain_with_arguments() {
        assert_eq!(render("{{ n|default:'none'|upper }}", r#"{"n": ""}"#), "NONE");
        assert_eq!(render("{{ xs|length }}", r#"{"xs": [1,2,3]}"#), "3");
    }

    #[test]
    fn for_and_if_render_bodies() {
        let src = "{% for x in xs reversed %}{{ forloop.counter }}={{ x }}{% if not forloop.last %},{% endif %}{% empty %}none{% endfor %}";
        assert_eq!(render(src, r#"{"xs": ["a", "b"]}"#), "1=b,2=a");
        assert_eq!(render(src, r#"{"xs": []}"#), "none");
    }

    #[test]
    fn context_must_be_an_object() {
        let t = Template::compile("t", "x").unwrap();
        let e = t.render_json("[1]").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidContext);
        assert!(t.render_json("{").unwrap_err().message.contains("not valid JSON"));
    }

    #[test]
    fn iterating_a_number_is_a_render_error() {
        let e = Template::compile("t", "\n {% for x in n %}{% endfor %}").unwrap().render_json(r#"{"n": 3}"#).unwrap_err();
        assert_eq!((e.kind, e.line, e.column), (ErrorKind::Render, 2, 2));
    }
}
