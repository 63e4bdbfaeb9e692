"""Random markup and random edits of it, for the patch-fidelity test: what
a LiveView template produces (nested flow and phrasing content, keyed and
unkeyed lists, tables with and without their implied parts, forms, void
elements, `@click` attributes, entities, whitespace, comments).

A tree is a list of nodes; a node is ``["text", source]``,
``["comment", text]`` or ``["el", tag, {name: value}, children]``. Text is
kept as HTML source (entities unexpanded), so `html()` writes it as is."""

import copy
import random

TEXTS = [
    "a", "b c", " lead", "trail ", " ", "  ", "\n  ", "x &amp; y", "&lt;tag&gt;", "&nbsp;", "caf&eacute;",
    "&#169; 2026", "&#x1F389;", "line\nbreak", "tab\tbed", "quote \" '", "emoji 🎉", "&amp;amp;", "Ünïcödé", "0", "-1.5",
]
ATTR_VALUES = ["", "x", "a b", "q\"uote", "amp&amp;", "<lt>", "🎉", "  spaced  ", "1"]
ATTRS = ["class", "id", "title", "data-x", "@click", "@submit", "aria-label", "hidden", "disabled", "style"]

FLOW = ["div", "section", "p", "ul", "ol", "table", "form", "h2", "span", "b", "em", "a", "button", "label", "br", "hr", "img", "input", "select", "pre", "textarea"]
PHRASING = ["span", "b", "i", "em", "a", "button", "label", "br", "img", "input", "code"]
VOID = {"br", "hr", "img", "input"}
# What each parent may hold (besides text where `TEXT_OK`).
CHILDREN = {
    "div": FLOW, "section": FLOW, "li": FLOW, "td": FLOW, "th": PHRASING, "form": FLOW,
    "p": PHRASING, "h2": PHRASING, "span": PHRASING, "b": PHRASING, "i": PHRASING, "em": PHRASING, "code": PHRASING,
    "a": ["span", "b", "i", "em", "img", "br"], "button": ["span", "b", "i", "em", "img"], "label": ["span", "b", "em", "input"],
    "ul": ["li"], "ol": ["li"], "table": ["tbody", "tr", "caption"], "tbody": ["tr"], "tr": ["td", "th"], "caption": PHRASING,
    "select": ["option"], "option": [], "pre": PHRASING, "textarea": [],
}
TEXT_OK = {t for t in CHILDREN if t not in {"ul", "ol", "table", "tbody", "tr", "select"}}
ALL_TAGS = set(CHILDREN) | VOID


class Markup:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def text(self):
        return ["text", self.r.choice(TEXTS)]

    def attrs(self, tag):
        attrs = {}
        for _ in range(self.r.choice([0, 0, 1, 1, 2, 3])):
            attrs[self.r.choice(ATTRS)] = self.r.choice(ATTR_VALUES)
        if tag == "input":
            attrs.setdefault("name", self.r.choice(["q", "text", "n"]))
        return attrs

    def element(self, tag, depth):
        if tag in VOID:
            return ["el", tag, self.attrs(tag), []]
        if tag in {"ul", "ol"} and self.r.random() < 0.6:
            return self.keyed_list(tag, depth)
        if tag in {"option", "textarea"}:
            return ["el", tag, self.attrs(tag), [["text", self.r.choice(["one", "two", "a &amp; b"])]]]
        return ["el", tag, self.attrs(tag), self.children(tag, depth + 1)]

    def keyed_list(self, tag, depth):
        keys = self.r.sample(range(1, 30), self.r.randint(0, 6))
        return ["el", tag, {"class": "keyed"}, [self.keyed_item(k, depth) for k in keys]]

    def keyed_item(self, key, depth):
        inner = [["text", f"item {key}"]]
        if self.r.random() < 0.4 and depth < 4:
            inner.append(["el", "button", {"@click": "remove", "data-id": str(key)}, [["text", "x"]]])
        if self.r.random() < 0.3:
            inner.append(["el", "input", {"class": "note", "name": f"n{key}"}, []])
        return ["el", "li", {"data-key": str(key)}, inner]

    def children(self, tag, depth):
        allowed = CHILDREN[tag]
        out = []
        for _ in range(self.r.randint(0, 4 if depth < 3 else 1)):
            if tag in TEXT_OK and (not allowed or depth >= 4 or self.r.random() < 0.35):
                out.append(self.text())
            elif self.r.random() < 0.05 and tag not in {"table", "tbody", "tr", "select"}:
                out.append(["comment", self.r.choice([" note ", "", "a-b"])])
            elif allowed and depth < 5:
                out.append(self.element(self.r.choice(allowed), depth))
            if tag in {"ul", "ol", "table", "tbody", "tr"} and self.r.random() < 0.3:
                out.append(["text", self.r.choice(["\n", " ", "\n  "])])
        return out

    def tree(self):
        return self.children("div", 0) or [self.text()]

    # --- edits -----------------------------------------------------------

    def edit(self, tree):
        """A changed deep copy of `tree`: one to four random edits."""
        new = copy.deepcopy(tree)
        for _ in range(self.r.randint(1, 4)):
            self.r.choice([self.edit_text, self.edit_attr, self.insert, self.remove, self.move, self.retag, self.keyed])(new)
        return new

    def containers(self, tree, tag="div"):
        """Every (tag, children list) pair, the top level as a div."""
        found = [(tag, tree)]
        for node in tree:
            if node[0] == "el" and node[1] not in VOID:
                found.extend(self.containers(node[3], node[1]))
        return found

    def nodes(self, tree):
        return [(children, i) for _, children in self.containers(tree) for i in range(len(children))]

    def edit_text(self, tree):
        texts = [(c, i) for c, i in self.nodes(tree) if c[i][0] == "text"]
        if texts:
            c, i = self.r.choice(texts)
            c[i] = self.text()

    def edit_attr(self, tree):
        els = [c[i] for c, i in self.nodes(tree) if c[i][0] == "el"]
        if els:
            el = self.r.choice(els)
            if el[2] and self.r.random() < 0.4:
                del el[2][self.r.choice(list(el[2]))]
            else:
                el[2][self.r.choice(ATTRS)] = self.r.choice(ATTR_VALUES)

    def insert(self, tree):
        tag, children = self.r.choice(self.containers(tree))
        allowed = CHILDREN.get(tag, [])
        if allowed:
            children.insert(self.r.randint(0, len(children)), self.element(self.r.choice(allowed), 3))
        elif tag in TEXT_OK:
            children.insert(self.r.randint(0, len(children)), self.text())

    def remove(self, tree):
        spots = self.nodes(tree)
        if spots:
            c, i = self.r.choice(spots)
            del c[i]

    def move(self, tree):
        tag, children = self.r.choice(self.containers(tree))
        if len(children) > 1:
            node = children.pop(self.r.randrange(len(children)))
            children.insert(self.r.randint(0, len(children)), node)

    def retag(self, tree):
        spots = [(c, i) for c, i in self.nodes(tree) if c[i][0] == "el" and c[i][1] in {"span", "b", "i", "em", "code"}]
        if spots:
            c, i = self.r.choice(spots)
            c[i][1] = self.r.choice(["span", "b", "i", "em", "code"])

    def keyed(self, tree):
        lists = [children for tag, children in self.containers(tree) if tag in {"ul", "ol"}]
        if not lists:
            return
        items = self.r.choice(lists)
        op = self.r.choice(["shuffle", "reverse", "add", "drop", "edit"])
        if op == "shuffle":
            self.r.shuffle(items)
        elif op == "reverse":
            items.reverse()
        elif op == "add":
            items.insert(self.r.randint(0, len(items)), self.keyed_item(self.r.randint(30, 60), 3))
        elif op == "drop" and items:
            del items[self.r.randrange(len(items))]
        elif op == "edit" and items and items[0][0] == "el":
            items[0][3][:1] = [["text", self.r.choice(TEXTS)]]


def html(tree):
    out = []
    for node in tree:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "comment":
            out.append(f"<!--{node[1]}-->")
        else:
            _, tag, attrs, children = node
            attr_text = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in attrs.items())
            out.append(f"<{tag}{attr_text}>")
            if tag not in VOID:
                out.append(html(children))
                out.append(f"</{tag}>")
    return "".join(out)
