//! Templates loaded by name for `include` and `extends`: asked of the host
//! once per render, compiled once per source text and kept for later renders.

use crate::error::{Error, ErrorKind};
use crate::host::Host;
use crate::parser::Template;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// How many loaded templates a guest keeps compiled.
const CACHE_LIMIT: usize = 512;

thread_local! {
    static CACHE: RefCell<HashMap<String, (String, Rc<Template>)>> = RefCell::new(HashMap::new());
}

/// Load and compile `name` through the host; the compiled template is reused
/// while the host returns the same source.
pub(crate) fn load(host: &dyn Host, name: &str) -> Result<Rc<Template>, Error> {
    let source = host.load_template(name).map_err(|message| Error {
        kind: ErrorKind::TemplateNotFound,
        message,
        template: String::new(),
        line: 0,
        column: 0,
    })?;
    if let Some(t) = CACHE.with(|c| c.borrow().get(name).filter(|(s, _)| *s == source).map(|(_, t)| t.clone())) {
        return Ok(t);
    }
    let template = Rc::new(Template::compile(name, &source)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(name.to_string(), (source, template.clone()));
    });
    Ok(template)
}
