//! Rendering: walks the nodes against a context as Django's `Node.render`
//! methods do, with Django's render-time state (cycles, `ifchanged`, the
//! block context of an extends chain) kept per render.

use crate::condition::{Condition, Op};
use crate::context::{Context, Scope};
use crate::error::{Error, ErrorKind, Pos};
use crate::expr::{FilterExpr, Operand};
use crate::filters::FilterCx;
use crate::formats::{Temporal, format_temporal, localize_number, named_format};
use crate::host::Host;
use crate::nodes::*;
use crate::parser::Template;
use crate::value::{Dict, DictViewKind, Object, Value, py_cmp, py_contains, py_eq, py_float, py_int};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// How deep include and extends may nest before rendering stops.
const MAX_DEPTH: usize = 64;

impl Template {
    /// Render with a context given as JSON text (see `wit/templates.wit`).
    pub fn render_json(&self, context: &str, host: &dyn Host) -> Result<String, Error> {
        let vars = crate::value::json::decode_context(context).map_err(|message| Error {
            kind: ErrorKind::InvalidContext,
            message,
            template: self.name.to_string(),
            line: 0,
            column: 0,
        })?;
        self.render(vars, host)
    }

    /// Render with top-level variables.
    pub fn render(&self, vars: Scope, host: &dyn Host) -> Result<String, Error> {
        let mut r = Renderer {
            host,
            frames: vec![Frame::default()],
            loop_serials: Vec::new(),
            next_serial: 1,
            depth: 0,
            random_state: seed(&vars),
            blocks_in_render: Vec::new(),
            template_name: self.name.clone(),
        };
        let mut ctx = Context::new(vars);
        let mut out = String::with_capacity(self.last_len.get() + self.last_len.get() / 8);
        r.render_nodes(&self.nodes, &mut ctx, &mut out).map_err(|e| e.in_template(&self.name))?;
        self.last_len.set(out.len());
        Ok(out)
    }
}

/// A seed for `random` and `{% lorem random %}`: the same context renders the same choice.
fn seed(vars: &Scope) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for (k, _) in vars {
        for b in k.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3);
        }
    }
    h | 1
}

/// Django's `RenderContext` layer: one per template rendered in isolation.
#[derive(Default)]
struct Frame {
    cycles: HashMap<usize, usize>,
    ifchanged: HashMap<(usize, u64), Changed>,
    /// The extends chain's blocks by name, innermost override last.
    blocks: Option<HashMap<Rc<str>, Vec<Rc<BlockNode>>>>,
}

enum Changed {
    Values(Vec<Value>),
    Output(String),
}

struct Renderer<'h> {
    host: &'h dyn Host,
    frames: Vec<Frame>,
    /// One serial per running `for` loop, for `ifchanged` state.
    loop_serials: Vec<u64>,
    next_serial: u64,
    depth: usize,
    random_state: u64,
    /// The `block` variables handed out, to recognise `{{ block.super }}`.
    blocks_in_render: Vec<(Rc<Object>, Rc<BlockNode>, bool)>,
    /// The template being rendered, for relative include names.
    template_name: Rc<str>,
}

type R<T> = Result<T, Error>;

fn render_error(pos: Pos, message: impl Into<String>) -> Error {
    Error::at(ErrorKind::Render, pos, message)
}

impl Renderer<'_> {
    fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a render always has a frame")
    }

    fn render_nodes(&mut self, nodes: &[Node], ctx: &mut Context, out: &mut String) -> R<()> {
        for node in nodes {
            self.render_node(node, ctx, out)?;
        }
        Ok(())
    }

    fn render_to_string(&mut self, nodes: &[Node], ctx: &mut Context) -> R<String> {
        let mut s = String::new();
        self.render_nodes(nodes, ctx, &mut s)?;
        Ok(s)
    }

    fn render_node(&mut self, node: &Node, ctx: &mut Context, out: &mut String) -> R<()> {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Var(expr) => {
                let v = self.eval(expr, ctx, false)?;
                write_value(out, &v, ctx.autoescape).map_err(|m| render_error(expr.pos, m))?;
            }
            Node::If(branches) => {
                for (cond, body) in branches {
                    let matched = match cond {
                        Some(c) => self.condition(c, ctx).unwrap_or(false),
                        None => true,
                    };
                    if matched {
                        return self.render_nodes(body, ctx, out);
                    }
                }
            }
            Node::For(f) => self.render_for(f, ctx, out)?,
            Node::With(assignments, body) => {
                let mut scope = Vec::with_capacity(assignments.len());
                for (name, expr) in assignments {
                    scope.push((name.clone(), self.eval(expr, ctx, false)?));
                }
                ctx.push(scope);
                let r = self.render_nodes(body, ctx, out);
                ctx.pop();
                r?;
            }
            Node::Include(inc) => self.render_include(inc, ctx, out)?,
            Node::Extends(ext) => self.render_extends(ext, ctx, out)?,
            Node::Block(b) => self.render_block(b, ctx, out)?,
            Node::Autoescape(on, body) => {
                let old = ctx.autoescape;
                ctx.autoescape = *on;
                let r = self.render_nodes(body, ctx, out);
                ctx.autoescape = old;
                r?;
            }
            Node::Filter(filters, pos, body) => {
                let output = self.render_to_string(body, ctx)?;
                let mut v = Value::safe(output);
                for call in filters {
                    let arg = match &call.arg {
                        Some(a) => Some(self.operand_arg(a, ctx, *pos)?),
                        None => None,
                    };
                    v = self.apply_filter(call.filter, v, arg, ctx, *pos)?;
                }
                out.push_str(&v.to_py_str());
            }
            Node::FirstOf(exprs, asvar) => {
                let mut first = String::new();
                for e in exprs {
                    let v = self.eval(e, ctx, true)?;
                    if v.truth() {
                        write_value(&mut first, &v, ctx.autoescape).map_err(|m| render_error(e.pos, m))?;
                        break;
                    }
                }
                match asvar {
                    Some(name) => ctx.set(name, Value::safe(first)),
                    None => out.push_str(&first),
                }
            }
            Node::Cycle(c) => {
                let i = *self.frame().cycles.entry(c.id).or_insert(0);
                self.frame().cycles.insert(c.id, (i + 1) % c.values.len().max(1));
                let v = match c.values.get(i) {
                    Some(e) => self.eval(e, ctx, false)?,
                    None => Value::empty(),
                };
                if let Some(name) = &c.name {
                    ctx.set_upward(name, v.clone());
                }
                if !c.silent {
                    let pos = c.values.first().map(|e| e.pos).unwrap_or_default();
                    write_value(out, &v, ctx.autoescape).map_err(|m| render_error(pos, m))?;
                }
            }
            Node::ResetCycle(c) => {
                self.frame().cycles.insert(c.id, 0);
            }
            Node::IfChanged(n) => self.render_ifchanged(n, ctx, out)?,
            Node::Spaceless(body) => {
                let s = self.render_to_string(body, ctx)?;
                out.push_str(&strip_spaces_between_tags(s.trim()));
            }
            Node::Literal(t) => out.push_str(t),
            Node::WidthRatio(w) => {
                let max = self.eval(&w.max, ctx, false)?;
                let width = self.eval(&w.width, ctx, false)?;
                let Some(width) = py_int(&width) else {
                    return Err(render_error(w.width.pos, "widthratio final argument must be a number"));
                };
                let value = self.eval(&w.value, ctx, false)?;
                let result = match (py_float(&value), py_float(&max)) {
                    (Some(_), Some(m)) if m == 0.0 => "0".to_string(),
                    (Some(v), Some(m)) => {
                        let ratio = v / m * width as f64;
                        if ratio.is_finite() { format!("{}", round_half_even(ratio)) } else { String::new() }
                    }
                    _ => String::new(),
                };
                match &w.asvar {
                    Some(name) => ctx.set(name, Value::str(result)),
                    None => out.push_str(&result),
                }
            }
            Node::Now(format, asvar) => {
                let now = self.host.now();
                let f = named_format(format).unwrap_or(format);
                let s = format_temporal(&Temporal::DateTime(&now), f).unwrap_or_default();
                match asvar {
                    Some(name) => ctx.set(name, Value::str(s)),
                    None => escape_if(out, &s, ctx.autoescape),
                }
            }
            Node::Regroup(g) => self.render_regroup(g, ctx)?,
            Node::Lorem(l) => {
                let count = py_int(&self.eval(&l.count, ctx, false)?).unwrap_or(1).clamp(0, 10_000) as usize;
                let mut rng = crate::lorem::Rng(self.random_state);
                let text = if l.method == 'w' {
                    crate::lorem::words(count, !l.random, &mut rng)
                } else {
                    let paras = crate::lorem::paragraphs(count, !l.random, &mut rng);
                    let paras: Vec<String> = if l.method == 'p' { paras.into_iter().map(|p| format!("<p>{p}</p>")).collect() } else { paras };
                    paras.join("\n\n")
                };
                self.random_state = rng.0;
                out.push_str(&text);
            }
            Node::CsrfToken => {
                if let Some(token) = ctx.get("csrf_token").filter(|t| t.truth()) {
                    let text = token.to_py_str();
                    if text != "NOTPROVIDED" {
                        // format_html: conditional_escape of the token.
                        out.push_str("<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"");
                        if token.is_safe() { out.push_str(&text) } else { escape_into(out, &text) }
                        out.push_str("\">");
                    }
                }
            }
            Node::Url(u) => self.render_url(u, ctx, out)?,
            Node::Static(path, asvar) => {
                let p = self.eval(path, ctx, false)?.to_py_str();
                let url = self.host.static_url(&p).map_err(|m| render_error(path.pos, m))?;
                let url = if ctx.autoescape { html_escape(&url) } else { url };
                match asvar {
                    Some(name) => ctx.set(name, Value::safe(url)),
                    None => out.push_str(&url),
                }
            }
            Node::StaticPrefix(asvar) => {
                let prefix = self.host.static_url("").unwrap_or_default();
                match asvar {
                    Some(name) => ctx.set(name, Value::str(prefix)),
                    None => out.push_str(&prefix),
                }
            }
            Node::Trans(t) => self.render_trans(t, ctx, out)?,
            Node::BlockTrans(b) => self.render_blocktrans(b, ctx, out)?,
            Node::CurrentLanguage(bidi, name) => {
                let code = self.host.current_language();
                let v = if *bidi {
                    let base = code.split('-').next().unwrap_or("");
                    Value::Bool(["he", "ar", "ar-dz", "ckb", "fa", "ug", "ur"].contains(&code.as_str()) || ["he", "ar", "fa", "ur", "ug", "ckb"].contains(&base))
                } else {
                    Value::str(code)
                };
                ctx.set(name, v);
            }
            Node::Localize(body) => self.render_nodes(body, ctx, out)?,
        }
        Ok(())
    }

    fn render_for(&mut self, f: &ForNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let parentloop = ctx.get("forloop").cloned().unwrap_or_else(|| Value::Dict(Rc::new(Dict::default())));
        ctx.push(Vec::with_capacity(2));
        let result = self.render_for_inner(f, parentloop, ctx, out);
        ctx.pop();
        result
    }

    fn render_for_inner(&mut self, f: &ForNode, parentloop: Value, ctx: &mut Context, out: &mut String) -> R<()> {
        let seq = self.eval(&f.sequence, ctx, true)?;
        let items: Cow<[Value]> = match &seq {
            Value::None => Cow::Owned(Vec::new()),
            Value::List(v) | Value::Tuple(v) => Cow::Borrowed(&v[..]),
            other => match other.iter_items() {
                Some(items) => Cow::Owned(items),
                None => return Err(render_error(f.sequence.pos, format!("'{}' object is not iterable", other.type_name()))),
            },
        };
        let len = items.len();
        if len == 0 {
            return self.render_nodes(&f.empty, ctx, out);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        self.loop_serials.push(serial);
        let forloop_key = loop_key(7);
        let unpack = f.loopvars.len() > 1;
        let mut result = Ok(());
        let key = |i| Value::Str(loop_key(i), false);
        let mut forloop = Rc::new(Dict {
            entries: vec![
                (key(0), parentloop),
                (key(1), Value::Int(0)),
                (key(2), Value::Int(1)),
                (key(3), Value::Int(len as i64)),
                (key(4), Value::Int(len as i64 - 1)),
                (key(5), Value::Bool(true)),
                (key(6), Value::Bool(len == 1)),
            ],
        });
        for n in 0..len {
            let i = if f.reversed { len - 1 - n } else { n };
            let item = &items[i];
            if n > 0 {
                // Drop the context's reference so the dict can be updated in
                // place; if a template kept it (`{% with f=forloop %}`), copy.
                ctx.set(&forloop_key, Value::None);
                let d = Rc::make_mut(&mut forloop);
                d.entries[1].1 = Value::Int(n as i64);
                d.entries[2].1 = Value::Int(n as i64 + 1);
                d.entries[3].1 = Value::Int((len - n) as i64);
                d.entries[4].1 = Value::Int((len - n - 1) as i64);
                d.entries[5].1 = Value::Bool(false);
                d.entries[6].1 = Value::Bool(n == len - 1);
            }
            ctx.set(&forloop_key, Value::Dict(forloop.clone()));
            if unpack {
                let parts = item.iter_items().filter(|_| !matches!(item, Value::Str(..)) || item.len() != Some(1));
                let parts = match (item, parts) {
                    (Value::Str(s, _), _) if s.chars().count() == f.loopvars.len() => item.iter_items().expect("str iterates"),
                    (_, Some(p)) => p,
                    _ => vec![item.clone()],
                };
                if parts.len() != f.loopvars.len() {
                    result = Err(render_error(
                        f.sequence.pos,
                        format!("Need {} values to unpack in for loop; got {}. ", f.loopvars.len(), parts.len()),
                    ));
                    break;
                }
                ctx.push(f.loopvars.iter().cloned().zip(parts).collect());
                result = self.render_nodes(&f.body, ctx, out);
                ctx.pop();
            } else {
                ctx.set(&f.loopvars[0], item.clone());
                result = self.render_nodes(&f.body, ctx, out);
            }
            if result.is_err() {
                break;
            }
        }
        self.loop_serials.pop();
        result
    }

    fn render_ifchanged(&mut self, n: &IfChangedNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let serial = if ctx.contains("forloop") { self.loop_serials.last().copied().unwrap_or(0) } else { 0 };
        let key = (n.id, serial);
        let (compare, rendered) = if n.exprs.is_empty() {
            let s = self.render_to_string(&n.then, ctx)?;
            (Changed::Output(s.clone()), Some(s))
        } else {
            let mut vals = Vec::with_capacity(n.exprs.len());
            for e in &n.exprs {
                vals.push(self.eval(e, ctx, true)?);
            }
            (Changed::Values(vals), None)
        };
        let same = match (self.frame().ifchanged.get(&key), &compare) {
            (Some(Changed::Values(a)), Changed::Values(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| py_eq(x, y)),
            (Some(Changed::Output(a)), Changed::Output(b)) => a == b,
            _ => false,
        };
        if !same {
            self.frame().ifchanged.insert(key, compare);
            match rendered.filter(|s| !s.is_empty()) {
                Some(s) => out.push_str(&s),
                None => self.render_nodes(&n.then, ctx, out)?,
            }
        } else if !n.otherwise.is_empty() {
            self.render_nodes(&n.otherwise, ctx, out)?;
        }
        Ok(())
    }

    fn render_regroup(&mut self, g: &RegroupNode, ctx: &mut Context) -> R<()> {
        let target = self.eval(&g.target, ctx, true)?;
        if matches!(target, Value::None) {
            ctx.set(&g.var_name, Value::List(Rc::new(Vec::new())));
            return Ok(());
        }
        let items = target.iter_items().ok_or_else(|| render_error(g.target.pos, format!("'{}' object is not iterable", target.type_name())))?;
        let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
        for item in items {
            ctx.set(&g.var_name, item.clone());
            let key = self.eval(&g.expression, ctx, true)?;
            match groups.last_mut() {
                Some((k, list)) if py_eq(k, &key) => list.push(item),
                _ => groups.push((key, vec![item])),
            }
        }
        let grouped: Vec<Value> = groups
            .into_iter()
            .map(|(grouper, list)| {
                let list = Value::List(Rc::new(list));
                let repr = format!("GroupedResult(grouper={}, list={})", grouper.repr(), list.repr());
                Value::Object(Rc::new(Object {
                    str: Rc::from(repr.as_str()),
                    repr: Rc::from(repr.as_str()),
                    truth: true,
                    attrs: Dict { entries: vec![(Value::str("grouper"), grouper.clone()), (Value::str("list"), list.clone())] },
                    items: Some(vec![grouper, list]),
                }))
            })
            .collect();
        ctx.set(&g.var_name, Value::List(Rc::new(grouped)));
        Ok(())
    }

    fn render_url(&mut self, u: &UrlNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let mut args = Vec::with_capacity(u.args.len());
        for a in &u.args {
            args.push(self.eval(a, ctx, false)?.to_py_str());
        }
        let mut kwargs = Vec::with_capacity(u.kwargs.len());
        for (k, v) in &u.kwargs {
            kwargs.push((k.to_string(), self.eval(v, ctx, false)?.to_py_str()));
        }
        let view = self.eval(&u.view_name, ctx, false)?.to_py_str();
        let url = match self.host.reverse_url(&view, &args, &kwargs) {
            Ok(url) => url,
            Err(_) if u.asvar.is_some() => String::new(),
            Err(m) => return Err(render_error(u.view_name.pos, m)),
        };
        match &u.asvar {
            Some(name) => ctx.set(name, Value::str(url)),
            None => out.push_str(&if ctx.autoescape { html_escape(&url) } else { url }),
        }
        Ok(())
    }

    fn translate(&self, msg: &str, context: Option<&str>) -> String {
        self.host.translate(msg, context)
    }

    fn render_trans(&mut self, t: &TransNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let message_context = match &t.context {
            Some(c) => Some(self.eval(c, ctx, false)?.to_py_str()),
            None => None,
        };
        let base = self.operand(&t.message.operand, ctx, false, t.message.pos)?;
        let mut v = if t.noop {
            base
        } else {
            let safe = base.is_safe();
            let msgid = base.to_py_str().replace('%', "%%");
            let translated = self.translate(&msgid, message_context.as_deref());
            if safe { Value::safe(translated) } else { Value::str(translated) }
        };
        for call in &t.message.filters {
            let arg = match &call.arg {
                Some(a) => Some(self.operand_arg(a, ctx, t.message.pos)?),
                None => None,
            };
            v = self.apply_filter(call.filter, v, arg, ctx, t.message.pos)?;
        }
        let mut s = String::new();
        write_value(&mut s, &v, ctx.autoescape).map_err(|m| render_error(t.message.pos, m))?;
        let s = s.replace("%%", "%");
        match &t.asvar {
            Some(name) => ctx.set(name, Value::Str(Rc::from(s), true)),
            None => out.push_str(&s),
        }
        Ok(())
    }

    fn render_blocktrans(&mut self, b: &BlockTransNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let message_context = match &b.context {
            Some(c) => Some(self.eval(c, ctx, false)?.to_py_str()),
            None => None,
        };
        let mut scope = Vec::with_capacity(b.extra.len());
        for (name, expr) in &b.extra {
            scope.push((name.clone(), self.eval(expr, ctx, false)?));
        }
        ctx.push(scope);
        let result = self.blocktrans_body(b, message_context.as_deref(), ctx);
        ctx.pop();
        let s = result?;
        match &b.asvar {
            Some(name) => ctx.set(name, Value::safe(s)),
            None => out.push_str(&s),
        }
        Ok(())
    }

    fn blocktrans_body(&mut self, b: &BlockTransNode, message_context: Option<&str>, ctx: &mut Context) -> R<String> {
        let (singular, mut vars) = token_list(&b.singular, b.trimmed);
        let mut untranslated = singular.clone();
        let translated = match &b.counter {
            Some((name, expr)) if !b.plural.is_empty() => {
                let count = self.eval(expr, ctx, false)?;
                if !matches!(count, Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Decimal(_) | Value::Bool(_)) {
                    return Err(render_error(b.pos, format!("'{name}' argument to '{}' tag must be a number.", b.tag_name)));
                }
                ctx.set(name, count.clone());
                let (plural, plural_vars) = token_list(&b.plural, b.trimmed);
                vars.extend(plural_vars);
                let n = py_int(&count).unwrap_or(0).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
                if py_float(&count) != Some(1.0) {
                    untranslated = plural.clone();
                }
                self.host.translate_plural(&singular, &plural, n, message_context)
            }
            _ => self.translate(&singular, message_context),
        };
        let mut data: HashMap<String, String> = HashMap::new();
        for var in vars {
            let v = ctx.get(&var).cloned().unwrap_or_else(Value::empty);
            let mut s = String::new();
            write_value(&mut s, &v, ctx.autoescape).map_err(|m| render_error(b.pos, m))?;
            data.insert(var, s);
        }
        match percent_substitute(&translated, &data).or_else(|| percent_substitute(&untranslated, &data)) {
            Some(s) => Ok(s),
            None => Err(render_error(b.pos, format!("'{}' is unable to format string returned by gettext: '{translated}'", b.tag_name))),
        }
    }

    fn render_include(&mut self, inc: &IncludeNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let target = self.eval(&inc.template, ctx, false)?;
        let names: Vec<String> = match &target {
            Value::Str(s, _) if !s.is_empty() => vec![relative_name(&self.template_name, s)],
            Value::List(v) | Value::Tuple(v) => v.iter().map(|n| n.to_py_str()).collect(),
            v if !v.truth() => Vec::new(),
            other => vec![other.to_py_str()],
        };
        if names.is_empty() {
            return Err(Error::at(ErrorKind::TemplateNotFound, inc.template.pos, "No template names provided"));
        }
        let mut template = None;
        for name in &names {
            match crate::engine::load(self.host, name) {
                Ok(t) => {
                    template = Some(t);
                    break;
                }
                Err(e) if e.kind == ErrorKind::TemplateNotFound => continue,
                Err(e) => return Err(e),
            }
        }
        let template = template.ok_or_else(|| Error::at(ErrorKind::TemplateNotFound, inc.template.pos, names.join(", ")))?;
        let mut values = Vec::with_capacity(inc.extra.len());
        for (name, expr) in &inc.extra {
            values.push((name.clone(), self.eval(expr, ctx, false)?));
        }
        self.enter(inc.template.pos)?;
        let saved_name = std::mem::replace(&mut self.template_name, template.name.clone());
        self.frames.push(Frame::default());
        let result = if inc.only {
            let mut isolated = ctx.isolated(values);
            self.render_nodes(&template.nodes, &mut isolated, out)
        } else {
            ctx.push(values);
            let r = self.render_nodes(&template.nodes, ctx, out);
            ctx.pop();
            r
        };
        self.frames.pop();
        self.template_name = saved_name;
        self.depth -= 1;
        result.map_err(|e| e.in_template(&template.name))
    }

    fn enter(&mut self, pos: Pos) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(render_error(pos, format!("include and extends nest deeper than {MAX_DEPTH} templates (a template includes or extends itself?)")));
        }
        Ok(())
    }

    fn render_extends(&mut self, ext: &ExtendsNode, ctx: &mut Context, out: &mut String) -> R<()> {
        let parent_name = self.eval(&ext.parent, ctx, false)?;
        if !parent_name.truth() {
            return Err(render_error(ext.parent.pos, format!("Invalid template name in 'extends' tag: {}.", parent_name.repr())));
        }
        let name = relative_name(&self.template_name, &parent_name.to_py_str());
        let parent = crate::engine::load(self.host, &name).map_err(|mut e| {
            if e.kind == ErrorKind::TemplateNotFound {
                e.line = ext.parent.pos.line;
                e.column = ext.parent.pos.column;
            }
            e
        })?;
        let frame = self.frame();
        let blocks = frame.blocks.get_or_insert_with(HashMap::new);
        for b in &ext.blocks {
            blocks.entry(b.name.clone()).or_default().insert(0, b.clone());
        }
        let first_non_text = parent.nodes.iter().find(|n| !matches!(n, Node::Text(_)));
        if !matches!(first_non_text, Some(Node::Extends(_))) {
            for b in &parent.blocks {
                blocks.entry(b.name.clone()).or_default().insert(0, b.clone());
            }
        }
        self.enter(ext.parent.pos)?;
        let saved_name = std::mem::replace(&mut self.template_name, parent.name.clone());
        let result = self.render_nodes(&parent.nodes, ctx, out);
        self.template_name = saved_name;
        self.depth -= 1;
        result.map_err(|e| e.in_template(&parent.name))
    }

    fn render_block(&mut self, node: &Rc<BlockNode>, ctx: &mut Context, out: &mut String) -> R<()> {
        let has_context = self.frame().blocks.is_some();
        let popped = if has_context { self.pop_block(&node.name) } else { None };
        let block = popped.clone().unwrap_or_else(|| node.clone());
        let marker = Rc::new(Object {
            str: Rc::from(format!("<Block Node: {}. Contents: …>", block.name)),
            repr: Rc::from(format!("<Block Node: {}. Contents: …>", block.name)),
            truth: true,
            attrs: Dict::default(),
            items: None,
        });
        self.blocks_in_render.push((marker.clone(), block.clone(), has_context));
        ctx.push(vec![(Rc::from("block"), Value::Object(marker))]);
        let result = self.render_nodes(&block.body, ctx, out);
        ctx.pop();
        self.blocks_in_render.pop();
        if let Some(p) = popped {
            self.frame().blocks.as_mut().expect("had a block context").entry(node.name.clone()).or_default().push(p);
        }
        result
    }

    fn pop_block(&mut self, name: &str) -> Option<Rc<BlockNode>> {
        self.frame().blocks.as_mut()?.get_mut(name)?.pop()
    }

    /// `{{ block.super }}` for the block whose `block` variable is `marker`.
    fn block_super(&mut self, marker: &Rc<Object>, ctx: &mut Context, pos: Pos) -> R<Value> {
        let Some((_, block, has_context)) = self.blocks_in_render.iter().rev().find(|(m, _, _)| Rc::ptr_eq(m, marker)).cloned() else {
            return Ok(Value::empty());
        };
        if !has_context {
            return Err(render_error(pos, "'BlockNode' object has no attribute 'context'. Did you use {{ block.super }} in a base template?"));
        }
        let has_parent = self.frame().blocks.as_ref().and_then(|b| b.get(&block.name)).is_some_and(|v| !v.is_empty());
        if !has_parent {
            return Ok(Value::empty());
        }
        let mut s = String::new();
        self.render_block(&block, ctx, &mut s)?;
        Ok(Value::safe(s))
    }

    fn condition(&mut self, c: &Condition, ctx: &mut Context) -> Option<bool> {
        Some(self.cond_value(c, ctx)?.truth())
    }

    /// Evaluate a condition to a value; `None` where Python would raise (then false).
    fn cond_value(&mut self, c: &Condition, ctx: &mut Context) -> Option<Value> {
        match c {
            Condition::Value(e) => self.eval(e, ctx, true).ok(),
            Condition::Not(inner) => Some(Value::Bool(!self.cond_value(inner, ctx).is_some_and(|v| v.truth()))),
            Condition::Binary(op, l, r) => {
                let result = (|| -> Option<Value> {
                    match op {
                        Op::Or => {
                            let a = self.cond_value(l, ctx)?;
                            if a.truth() { Some(a) } else { self.cond_value(r, ctx) }
                        }
                        Op::And => {
                            let a = self.cond_value(l, ctx)?;
                            if !a.truth() { Some(a) } else { self.cond_value(r, ctx) }
                        }
                        _ => {
                            let a = self.cond_value(l, ctx)?;
                            let b = self.cond_value(r, ctx)?;
                            Some(Value::Bool(match op {
                                Op::In => py_contains(&b, &a)?,
                                Op::NotIn => !py_contains(&b, &a)?,
                                Op::Is => is_same(&a, &b),
                                Op::IsNot => !is_same(&a, &b),
                                Op::Eq => py_eq(&a, &b),
                                Op::Ne => !py_eq(&a, &b),
                                Op::Lt => py_cmp(&a, &b)?.is_lt(),
                                Op::Le => py_cmp(&a, &b)?.is_le(),
                                Op::Gt => py_cmp(&a, &b)?.is_gt(),
                                Op::Ge => py_cmp(&a, &b)?.is_ge(),
                                Op::Or | Op::And | Op::Not => unreachable!("handled above"),
                            }))
                        }
                    }
                })();
                Some(result.unwrap_or(Value::Bool(false)))
            }
        }
    }

    /// `FilterExpression.resolve(context, ignore_failures)`.
    fn eval(&mut self, expr: &FilterExpr, ctx: &mut Context, ignore_failures: bool) -> R<Value> {
        let mut v = self.operand(&expr.operand, ctx, ignore_failures, expr.pos)?;
        for call in &expr.filters {
            let arg = match &call.arg {
                Some(a) => Some(self.operand_arg(a, ctx, expr.pos)?),
                None => None,
            };
            v = self.apply_filter(call.filter, v, arg, ctx, expr.pos)?;
        }
        Ok(v)
    }

    fn apply_filter(&mut self, f: crate::filters::Filter, v: Value, arg: Option<Value>, ctx: &Context, pos: Pos) -> R<Value> {
        let mut cx = FilterCx { autoescape: ctx.autoescape, host: self.host, random_state: &mut self.random_state };
        f.apply(v, arg, &mut cx).map_err(|m| render_error(pos, m))
    }

    /// A filter argument: a missing variable is an error, as `Variable.resolve` raises.
    fn operand_arg(&mut self, op: &Operand, ctx: &mut Context, pos: Pos) -> R<Value> {
        match op {
            Operand::Lookup(path) => match self.lookup(path, ctx, pos)? {
                Some(v) => Ok(v),
                None => Err(render_error(pos, format!("Failed lookup for key [{}]", path.join(".")))),
            },
            other => self.operand(other, ctx, false, pos),
        }
    }

    fn operand(&mut self, op: &Operand, ctx: &mut Context, ignore_failures: bool, pos: Pos) -> R<Value> {
        match op {
            Operand::Literal(v) => Ok(v.clone()),
            Operand::Translated(msg) => Ok(Value::str(self.translate(&msg.replace('%', "%%"), None))),
            Operand::Lookup(path) => Ok(self.lookup(path, ctx, pos)?.unwrap_or(if ignore_failures { Value::None } else { Value::empty() })),
        }
    }

    /// Django's `Variable._resolve_lookup`; `None` for a failed lookup.
    fn lookup(&mut self, path: &[Rc<str>], ctx: &mut Context, pos: Pos) -> R<Option<Value>> {
        let Some(mut cur) = ctx.get(&path[0]).cloned() else { return Ok(None) };
        for bit in &path[1..] {
            if let (Value::Object(o), "super") = (&cur, &**bit) {
                if self.blocks_in_render.iter().any(|(m, _, _)| Rc::ptr_eq(m, o)) {
                    let marker = o.clone();
                    cur = self.block_super(&marker, ctx, pos)?;
                    continue;
                }
            }
            match attribute(&cur, bit) {
                Some(v) => cur = v,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }
}

thread_local! {
    /// The keys of `forloop`, in Django's order, and "forloop" itself: shared, not allocated per iteration.
    static LOOP_KEYS: [Rc<str>; 8] = ["parentloop", "counter0", "counter", "revcounter", "revcounter0", "first", "last", "forloop"].map(Rc::from);
}

fn loop_key(i: usize) -> Rc<str> {
    LOOP_KEYS.with(|k| k[i].clone())
}

/// One step of a dotted lookup: key, then attribute (called if a method), then index.
fn attribute(cur: &Value, bit: &str) -> Option<Value> {
    let index = |len: usize| -> Option<usize> {
        let i: i64 = py_int(&Value::str(bit))?.try_into().ok()?;
        let i = if i < 0 { len as i64 + i } else { i };
        usize::try_from(i).ok().filter(|i| *i < len)
    };
    match cur {
        Value::Dict(d) => d
            .get_str(bit)
            .cloned()
            .or_else(|| match bit {
                "items" => Some(Value::DictView(d.clone(), DictViewKind::Items)),
                "keys" => Some(Value::DictView(d.clone(), DictViewKind::Keys)),
                "values" => Some(Value::DictView(d.clone(), DictViewKind::Values)),
                "copy" => Some(cur.clone()),
                "get" | "pop" | "setdefault" | "update" | "fromkeys" | "popitem" => Some(Value::empty()),
                "clear" => Some(Value::None),
                _ => None,
            })
            .or_else(|| py_int(&Value::str(bit)).and_then(|i| d.get(&crate::value::int_value(i)).cloned())),
        Value::List(items) | Value::Tuple(items) => match bit {
            "copy" if matches!(cur, Value::List(_)) => Some(cur.clone()),
            "count" | "index" => Some(Value::empty()),
            "append" | "extend" | "insert" | "remove" if matches!(cur, Value::List(_)) => Some(Value::empty()),
            "clear" | "reverse" | "sort" if matches!(cur, Value::List(_)) => Some(Value::None),
            "pop" if matches!(cur, Value::List(_)) => items.last().cloned(),
            _ => index(items.len()).map(|i| items[i].clone()),
        },
        Value::Str(s, _) => str_method(s, bit).or_else(|| {
            let chars: Vec<char> = s.chars().collect();
            index(chars.len()).map(|i| Value::str(chars[i].to_string()))
        }),
        Value::Date(d) => date_attr(Some(*d), None, bit, cur),
        Value::Time(t) => date_attr(None, Some(*t), bit, cur),
        Value::DateTime(dt) => date_attr(Some(dt.date), Some(dt.time), bit, cur),
        Value::Object(o) => o.attrs.get_str(bit).cloned().or_else(|| o.items.as_ref().and_then(|items| index(items.len()).map(|i| items[i].clone()))),
        _ => None,
    }
}

fn date_attr(d: Option<crate::value::Date>, t: Option<crate::value::Time>, bit: &str, whole: &Value) -> Option<Value> {
    let int = |n: i64| Some(Value::Int(n));
    match (bit, d, t) {
        ("year", Some(d), _) => int(i64::from(d.year)),
        ("month", Some(d), _) => int(i64::from(d.month)),
        ("day", Some(d), _) => int(i64::from(d.day)),
        ("weekday", Some(d), _) => int(i64::from(d.weekday())),
        ("isoweekday", Some(d), _) => int(i64::from(d.weekday()) + 1),
        ("hour", _, Some(t)) => int(i64::from(t.hour)),
        ("minute", _, Some(t)) => int(i64::from(t.minute)),
        ("second", _, Some(t)) => int(i64::from(t.second)),
        ("microsecond", _, Some(t)) => int(i64::from(t.microsecond)),
        ("date", Some(d), Some(_)) => Some(Value::Date(d)),
        ("time", Some(_), Some(t)) => Some(Value::Time(t)),
        ("isoformat", _, _) => Temporal::from_value(whole).map(|tv| Value::str(crate::formats::isoformat(&tv))),
        _ => None,
    }
}

/// Python's no-argument `str` methods, which Django calls when looked up.
fn str_method(s: &str, name: &str) -> Option<Value> {
    let b = |v: bool| Some(Value::Bool(v));
    match name {
        "upper" => Some(Value::str(s.to_uppercase())),
        "lower" | "casefold" => Some(Value::str(s.to_lowercase())),
        "title" => Some(Value::str(crate::filters::text::py_title(s))),
        "capitalize" => {
            let mut c = s.chars();
            Some(Value::str(match c.next() {
                Some(f) => f.to_uppercase().chain(c.as_str().to_lowercase().chars()).collect::<String>(),
                None => String::new(),
            }))
        }
        "swapcase" => Some(Value::str(s.chars().flat_map(|c| if c.is_uppercase() { c.to_lowercase().collect::<Vec<_>>() } else { c.to_uppercase().collect() }).collect::<String>())),
        "strip" => Some(Value::str(s.trim())),
        "lstrip" => Some(Value::str(s.trim_start())),
        "rstrip" => Some(Value::str(s.trim_end())),
        "split" => Some(Value::List(Rc::new(s.split_whitespace().map(Value::str).collect()))),
        "splitlines" => Some(Value::List(Rc::new(s.lines().map(Value::str).collect()))),
        "isdigit" | "isdecimal" | "isnumeric" => b(!s.is_empty() && s.chars().all(|c| c.is_numeric())),
        "isalpha" => b(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => b(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => b(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "islower" => b(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase)),
        "isupper" => b(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase)),
        "isascii" => b(s.is_ascii()),
        "count" | "find" | "index" | "rfind" | "rindex" | "startswith" | "endswith" | "replace" | "join" | "format" | "center" | "ljust" | "rjust" | "zfill" | "partition" | "rpartition" | "encode" => Some(Value::empty()),
        _ => None,
    }
}

fn is_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y && (-5..=256).contains(x),
        (Value::Str(x, _), Value::Str(y, _)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Python's `round(x)`: to the nearest integer, ties to even.
fn round_half_even(x: f64) -> i64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 {
        let t = x.trunc();
        if (t as i64) % 2 == 0 { t as i64 } else { r as i64 }
    } else {
        r as i64
    }
}

/// `construct_relative_path` for names resolved at render time.
fn relative_name(current: &str, name: &str) -> String {
    if !(name.starts_with("./") || name.starts_with("../")) {
        return name.to_string();
    }
    let base = current.trim_start_matches('/');
    let dir = base.rfind('/').map_or("", |i| &base[..i]);
    let mut parts: Vec<&str> = if dir.is_empty() { Vec::new() } else { dir.split('/').collect() };
    for p in name.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// `render_value_in_context`: localize, `str()`, then escape unless safe or autoescape is off.
fn write_value(out: &mut String, v: &Value, autoescape: bool) -> Result<(), String> {
    match v {
        Value::Str(s, safe) => {
            if autoescape && !safe {
                escape_into(out, s);
            } else {
                out.push_str(s);
            }
        }
        Value::Int(i) => {
            use std::fmt::Write;
            let _ = write!(out, "{i}");
        }
        other => {
            let s = localize(other)?;
            if autoescape { escape_into(out, &s) } else { out.push_str(&s) }
        }
    }
    Ok(())
}

/// `formats.localize(value)` then `str()`, for the English locale; an error
/// where Django's formatting raises.
pub(crate) fn localize(v: &Value) -> Result<Cow<'_, str>, String> {
    if let Some(s) = localize_number(v) {
        return s.map(Cow::Owned);
    }
    Ok(match v {
        Value::Str(s, _) => Cow::Borrowed(s),
        Value::Date(_) | Value::Time(_) | Value::DateTime(_) => {
            let t = Temporal::from_value(v).expect("temporal");
            let f = match v {
                Value::Date(_) => "N j, Y",
                Value::Time(_) => "P",
                _ => "N j, Y, P",
            };
            Cow::Owned(format_temporal(&t, f).unwrap_or_default())
        }
        other => Cow::Owned(other.to_py_str()),
    })
}

/// Django's `escape()`: the five HTML-significant characters.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

fn escape_if(out: &mut String, s: &str, autoescape: bool) {
    if autoescape { escape_into(out, s) } else { out.push_str(s) }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// `re.sub(r">\s+<", "><", value)`.
fn strip_spaces_between_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('>') {
        out.push_str(&rest[..=i]);
        let after = &rest[i + 1..];
        let trimmed = after.trim_start();
        if trimmed.len() < after.len() && trimmed.starts_with('<') {
            rest = trimmed;
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A blocktrans body as a `%(name)s` message and the names it uses.
fn token_list(parts: &[TransPart], trimmed: bool) -> (String, Vec<String>) {
    let mut msg = String::new();
    let mut vars = Vec::new();
    for p in parts {
        match p {
            TransPart::Text(t) => msg.push_str(&t.replace('%', "%%")),
            TransPart::Var(v) => {
                msg.push_str(&format!("%({v})s"));
                vars.push(v.to_string());
            }
        }
    }
    if trimmed {
        msg = trim_whitespace(&msg);
    }
    (msg, vars)
}

/// `translation.trim_whitespace`: lines stripped and joined with single spaces.
fn trim_whitespace(s: &str) -> String {
    let lines: Vec<&str> = s.trim().split('\n').map(str::trim).collect();
    lines.join(" ").trim().to_string()
}

/// `msg % data` for `%(name)s` and `%%`; `None` where Python raises.
fn percent_substitute(msg: &str, data: &HashMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(') {
            let close = r.find(')')?;
            let name = &r[..close];
            let r2 = r[close + 1..].strip_prefix('s')?;
            out.push_str(data.get(name)?);
            rest = r2;
        } else {
            return None;
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaceless_strips_between_tags_only() {
        assert_eq!(strip_spaces_between_tags("<p>\n  <a> x </a>\n</p>"), "<p><a> x </a></p>");
    }

    #[test]
    fn percent_substitution_like_python() {
        let mut data = HashMap::new();
        data.insert("n".to_string(), "3".to_string());
        assert_eq!(percent_substitute("%(n)s items, 100%%", &data).unwrap(), "3 items, 100%");
        assert!(percent_substitute("%(m)s", &data).is_none());
    }

    #[test]
    fn rounds_half_to_even() {
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(87.5), 88);
    }
}
