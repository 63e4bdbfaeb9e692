//! The render context: Django's `Context`, a stack of scopes searched from
//! the top, with `True`, `False` and `None` at the bottom.

use crate::value::Value;
use std::rc::Rc;

pub(crate) type Scope = Vec<(Rc<str>, Value)>;

pub(crate) struct Context {
    scopes: Vec<Scope>,
    pub autoescape: bool,
}

impl Context {
    pub fn new(vars: Scope) -> Context {
        Context { scopes: vec![vars], autoescape: true }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        for scope in self.scopes.iter().rev() {
            for (k, v) in scope.iter().rev() {
                if &**k == name {
                    return Some(v);
                }
            }
        }
        BUILTINS.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn push(&mut self, scope: Scope) {
        self.scopes.push(scope);
    }

    pub fn pop(&mut self) {
        self.scopes.pop();
    }

    /// `context[name] = value`: in the innermost scope.
    pub fn set(&mut self, name: &Rc<str>, value: Value) {
        let top = self.scopes.last_mut().expect("a context always has a scope");
        match top.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => top.push((name.clone(), value)),
        }
    }

    /// `context.set_upward(name, value)`: where the name already lives, else innermost.
    pub fn set_upward(&mut self, name: &Rc<str>, value: Value) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(slot) = scope.iter_mut().find(|(k, _)| k == name) {
                slot.1 = value;
                return;
            }
        }
        self.set(name, value);
    }

    /// `context.new(values)`: same settings, fresh variables.
    pub fn isolated(&self, vars: Scope) -> Context {
        Context { scopes: vec![vars], autoescape: self.autoescape }
    }
}


const BUILTINS: [(&str, Value); 3] = [("True", Value::Bool(true)), ("False", Value::Bool(false)), ("None", Value::None)];
