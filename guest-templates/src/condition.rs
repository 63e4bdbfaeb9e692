//! The `{% if %}` expression language: Django's `smartif`, a Pratt parser
//! with Python's precedence (`or` < `and` < `not` < `in`, `not in` <
//! comparisons and `is`). An operator whose evaluation raises in Python
//! (comparing `None < 1`, `x in 5`) is false, as in Django.

use crate::error::{Error, ErrorKind, Pos};
use crate::expr::FilterExpr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    Not,
    In,
    NotIn,
    Is,
    IsNot,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn from_token(t: &str) -> Option<Op> {
        Some(match t {
            "or" => Op::Or,
            "and" => Op::And,
            "not" => Op::Not,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "is" => Op::Is,
            "is not" => Op::IsNot,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            _ => return None,
        })
    }

    fn binding_power(self) -> u8 {
        match self {
            Op::Or => 6,
            Op::And => 7,
            Op::Not => 8,
            Op::In | Op::NotIn => 9,
            _ => 10,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Or => "or",
            Op::And => "and",
            Op::Not => "not",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::Is => "is",
            Op::IsNot => "is not",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A parsed condition.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    Value(FilterExpr),
    Not(Box<Condition>),
    Binary(Op, Box<Condition>, Box<Condition>),
}

enum Tok<'a> {
    Op(Op),
    Value(&'a str),
    End,
}

struct IfParser<'a> {
    tokens: Vec<Tok<'a>>,
    pos: usize,
    at: Pos,
}

/// Parse the bits after `if`/`elif` (already split as `split_contents` does).
pub(crate) fn parse(bits: &[&str], at: Pos) -> Result<Condition, Error> {
    let mut tokens = Vec::with_capacity(bits.len() + 1);
    let mut i = 0;
    while i < bits.len() {
        let mut t = bits[i];
        if t == "is" && bits.get(i + 1) == Some(&"not") {
            t = "is not";
            i += 1;
        } else if t == "not" && bits.get(i + 1) == Some(&"in") {
            t = "not in";
            i += 1;
        }
        tokens.push(match Op::from_token(t) {
            Some(op) => Tok::Op(op),
            None => Tok::Value(t),
        });
        i += 1;
    }
    tokens.push(Tok::End);
    let mut p = IfParser { tokens, pos: 0, at };
    let cond = p.expression(0)?;
    match p.tokens[p.pos] {
        Tok::End => Ok(cond),
        Tok::Op(op) => Err(p.error(format!("Unused '{}' at end of if expression.", op.name()))),
        Tok::Value(v) => Err(p.error(format!("Unused '{v}' at end of if expression."))),
    }
}

impl<'a> IfParser<'a> {
    fn error(&self, msg: String) -> Error {
        Error::at(ErrorKind::Syntax, self.at, msg)
    }

    fn lbp(&self) -> u8 {
        match self.tokens[self.pos] {
            Tok::Op(op) => op.binding_power(),
            _ => 0,
        }
    }

    fn expression(&mut self, rbp: u8) -> Result<Condition, Error> {
        let t = self.pos;
        self.pos += 1;
        let mut left = match self.tokens[t] {
            Tok::End => {
                self.pos -= 1;
                return Err(self.error("Unexpected end of expression in if tag.".into()));
            }
            Tok::Value(v) => Condition::Value(FilterExpr::parse(v, self.at)?),
            Tok::Op(Op::Not) => Condition::Not(Box::new(self.expression(Op::Not.binding_power())?)),
            Tok::Op(op) => return Err(self.error(format!("Not expecting '{}' in this position in if tag.", op.name()))),
        };
        while rbp < self.lbp() {
            let Tok::Op(op) = self.tokens[self.pos] else { unreachable!("only operators bind") };
            self.pos += 1;
            if op == Op::Not {
                return Err(self.error("Not expecting 'not' as infix operator in if tag.".into()));
            }
            let right = self.expression(op.binding_power())?;
            left = Condition::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }
}
