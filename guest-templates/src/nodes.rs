//! The compiled form of a template: one node type per construct.

use crate::condition::Condition;
use crate::error::Pos;
use crate::expr::{FilterCall, FilterExpr};
use std::rc::Rc;

pub(crate) type NodeList = Vec<Node>;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(Rc<str>),
    Var(FilterExpr),
    If(Vec<(Option<Condition>, NodeList)>),
    For(Box<ForNode>),
    With(Vec<(Rc<str>, FilterExpr)>, NodeList),
    Include(Box<IncludeNode>),
    Extends(Box<ExtendsNode>),
    Block(Rc<BlockNode>),
    Autoescape(bool, NodeList),
    /// `{% filter f|g %}…{% endfilter %}`: the body's output run through the filters.
    Filter(Vec<FilterCall>, Pos, NodeList),
    FirstOf(Vec<FilterExpr>, Option<Rc<str>>),
    Cycle(Rc<CycleNode>),
    ResetCycle(Rc<CycleNode>),
    IfChanged(Box<IfChangedNode>),
    Spaceless(NodeList),
    /// Verbatim text and `{% templatetag %}` output.
    Literal(Rc<str>),
    WidthRatio(Box<WidthRatioNode>),
    /// `{% now "format" %}`: the format string as written, without its quotes.
    Now(Rc<str>, Option<Rc<str>>),
    Regroup(Box<RegroupNode>),
    Lorem(Box<LoremNode>),
    CsrfToken,
    Url(Box<UrlNode>),
    Static(FilterExpr, Option<Rc<str>>),
    /// `{% get_static_prefix [as v] %}`.
    StaticPrefix(Option<Rc<str>>),
    Trans(Box<TransNode>),
    BlockTrans(Box<BlockTransNode>),
    /// `{% get_current_language as v %}` (`false`) / `…_bidi` (`true`).
    CurrentLanguage(bool, Rc<str>),
    /// `{% localize [on|off] %}`: English formats are the same either way.
    Localize(NodeList),
}

#[derive(Debug, Clone)]
pub(crate) struct ForNode {
    pub loopvars: Vec<Rc<str>>,
    pub sequence: FilterExpr,
    pub reversed: bool,
    pub body: NodeList,
    pub empty: NodeList,
}

#[derive(Debug, Clone)]
pub(crate) struct IncludeNode {
    pub template: FilterExpr,
    pub extra: Vec<(Rc<str>, FilterExpr)>,
    pub only: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ExtendsNode {
    pub parent: FilterExpr,
    /// Every `{% block %}` anywhere in the child, by name.
    pub blocks: Vec<Rc<BlockNode>>,
}

#[derive(Debug)]
pub(crate) struct BlockNode {
    pub name: Rc<str>,
    pub body: NodeList,
}

#[derive(Debug)]
pub(crate) struct CycleNode {
    pub id: usize,
    pub values: Vec<FilterExpr>,
    pub name: Option<Rc<str>>,
    pub silent: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct IfChangedNode {
    pub id: usize,
    pub exprs: Vec<FilterExpr>,
    pub then: NodeList,
    pub otherwise: NodeList,
}

#[derive(Debug, Clone)]
pub(crate) struct WidthRatioNode {
    pub value: FilterExpr,
    pub max: FilterExpr,
    pub width: FilterExpr,
    pub asvar: Option<Rc<str>>,
}

#[derive(Debug, Clone)]
pub(crate) struct RegroupNode {
    pub target: FilterExpr,
    /// The grouping expression, resolved against each item.
    pub expression: FilterExpr,
    pub var_name: Rc<str>,
}

#[derive(Debug, Clone)]
pub(crate) struct LoremNode {
    pub count: FilterExpr,
    /// `w` words, `p` HTML paragraphs, `b` plain paragraphs.
    pub method: char,
    pub random: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct UrlNode {
    pub view_name: FilterExpr,
    pub args: Vec<FilterExpr>,
    pub kwargs: Vec<(Rc<str>, FilterExpr)>,
    pub asvar: Option<Rc<str>>,
}

#[derive(Debug, Clone)]
pub(crate) struct TransNode {
    pub message: FilterExpr,
    pub noop: bool,
    pub context: Option<FilterExpr>,
    pub asvar: Option<Rc<str>>,
}

/// A piece of a `blocktrans` body: text, or a `{{ name }}` placeholder.
#[derive(Debug, Clone)]
pub(crate) enum TransPart {
    Text(Rc<str>),
    Var(Rc<str>),
}

#[derive(Debug, Clone)]
pub(crate) struct BlockTransNode {
    pub extra: Vec<(Rc<str>, FilterExpr)>,
    pub singular: Vec<TransPart>,
    pub plural: Vec<TransPart>,
    pub counter: Option<(Rc<str>, FilterExpr)>,
    pub context: Option<FilterExpr>,
    pub trimmed: bool,
    pub asvar: Option<Rc<str>>,
    pub tag_name: Rc<str>,
    pub pos: Pos,
}
