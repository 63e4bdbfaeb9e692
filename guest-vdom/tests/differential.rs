//! The lean parser against html5ever (the WHATWG algorithm, as browsers
//! implement it): on template-like markup (valid nesting, omitted optional
//! end tags, tables with and without their implied parts, entities, SVG,
//! uppercase markup) and on misnested tag soup (what the adoption agency and
//! the form pointer untangle), both must build the same tree.
#![cfg(feature = "html5ever")]

use guest_vdom::parser::{html5, lean};
use guest_vdom::to_html;
use proptest::prelude::*;

fn text() -> BoxedStrategy<String> {
    prop::sample::select(vec!["a", "b c", "x &amp; y", "1 &lt; 2", " ", "\n  ", "é", "&copy;", "&nbsp;", "Count: 3"])
        .prop_map(str::to_string)
        .boxed()
}

fn attrs() -> BoxedStrategy<String> {
    prop::collection::vec(
        prop::sample::select(vec![" class=\"a\"", " id=x", " data-key=\"k1\"", " @click=\"inc\"", " hidden", " title='q'"]),
        0..3,
    )
    .prop_map(|a| a.concat())
    .boxed()
}

/// Phrasing content: what may go inside `<p>`, `<b>`, `<span>`, `<button>`…
fn phrasing(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => text(),
        1 => Just("<br>".to_string()),
        1 => Just("<input value=\"v\" disabled>".to_string()),
        1 => Just("<img src=\"a.png\" alt=\"\">".to_string()),
        1 => Just("<!-- note -->".to_string()),
        1 => prop::sample::select(vec!["home", "a &amp; b", ""]).prop_map(|c| format!("<a href=\"/x?a=1&amp;b=2\">{c}</a>")),
        1 => Just("<svg viewBox=\"0 0 8 8\"><path d=\"M0 0\"/><foreignObject></foreignObject></svg>".to_string()),
        1 => prop::sample::select(vec!["", "\nx", "a &lt; b"]).prop_map(|t| format!("<textarea>{t}</textarea>")),
        1 => prop::collection::vec(prop::sample::select(vec!["a", "b"]), 0..3)
            .prop_map(|o| format!("<select>{}</select>", o.iter().map(|v| format!("<option value=\"{v}\">{v}</option>")).collect::<String>())),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    let inline = (prop::sample::select(vec!["span", "b", "em", "label", "button", "strong"]), attrs(), phrasing_run(depth - 1))
        .prop_map(|(t, a, c)| format!("<{t}{a}>{c}</{t}>"));
    prop_oneof![3 => leaf, 2 => inline].boxed()
}

fn phrasing_run(depth: u32) -> BoxedStrategy<String> {
    prop::collection::vec(phrasing(depth), 0..3).prop_map(|c| c.concat()).boxed()
}

/// Flow content: blocks, lists, tables, forms, and phrasing.
fn markup(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return phrasing(0);
    }
    let kids = || prop::collection::vec(markup(depth - 1), 0..3).prop_map(|c| c.concat());
    let block = (prop::sample::select(vec!["div", "section", "article"]), attrs(), kids())
        .prop_map(|(t, a, c)| format!("<{t}{a}>{c}</{t}>"));
    let para = (attrs(), phrasing_run(depth - 1)).prop_map(|(a, c)| format!("<p{a}>{c}</p>"));
    let list = prop::collection::vec(kids(), 0..4)
        .prop_map(|items| format!("<ul>{}</ul>", items.iter().map(|i| format!("\n  <li>{i}</li>")).collect::<String>()));
    let table = (any::<bool>(), prop::collection::vec(prop::collection::vec(kids(), 1..3), 0..3)).prop_map(|(tbody, rows)| {
        let rows: String = rows
            .iter()
            .map(|cells| format!("\n  <tr>{}</tr>", cells.iter().map(|c| format!("<td>{c}</td>")).collect::<String>()))
            .collect();
        if tbody { format!("<table><tbody>{rows}</tbody></table>") } else { format!("<table>{rows}\n</table>") }
    });
    let heading = (prop::sample::select(vec!["h1", "h3"]), phrasing_run(depth - 1)).prop_map(|(h, c)| format!("<{h}>{c}</{h}>"));
    let pre = phrasing_run(depth - 1).prop_map(|c| format!("<pre>\n{c}</pre>"));
    let dl = prop::collection::vec(phrasing_run(depth - 1), 1..3)
        .prop_map(|items| format!("<dl>{}</dl>", items.iter().map(|i| format!("<dt>{i}<dd>{i}")).collect::<String>()));
    let full_table = (phrasing_run(depth - 1), kids()).prop_map(|(h, c)| {
        format!("<table><caption>{h}</caption><colgroup><col><col></colgroup><thead><tr><th>{h}</th></tr></thead><tbody><tr><td>{c}</td></tr></tbody></table>")
    });
    // Forms do not nest in valid HTML.
    let form = phrasing_run(depth - 1)
        .prop_map(|c| format!("<form method=post><label>Name <input name=n value=\"{{x}}\"></label>{c}<button type=submit>Go</button></form>"));
    // End tags that HTML lets templates omit.
    let omitted = prop::collection::vec(prop::sample::select(vec!["<p>a", "<ul><li>b<li>c</ul>", "<select><option>c<option>d</select>", "<table><tr><td>d<td>e</table>"]), 1..3)
        .prop_map(|parts| parts.concat());
    let upper = kids().prop_map(|c| format!("<DIV CLASS=Big>{c}</DIV><BR/>"));
    let template = (kids(), any::<bool>()).prop_map(|(c, rows)| {
        if rows { format!("<template><tr><td>{c}</td></tr>\n<tr><td>x</td></tr></template>") } else { format!("<template>{c}</template>") }
    });
    prop_oneof![
        3 => phrasing(depth - 1), 3 => block, 2 => para, 1 => list, 1 => table, 1 => heading, 1 => pre, 1 => dl,
        1 => full_table, 1 => form, 1 => omitted, 1 => upper, 1 => template,
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn the_lean_parser_builds_the_browsers_tree(parts in prop::collection::vec(markup(3), 0..4)) {
        let html = parts.concat();
        prop_assert_eq!(to_html(&lean::parse(&html)), to_html(&html5::parse(&html)), "input: {}", html);
        prop_assert_eq!(lean::parse(&html), html5::parse(&html), "input: {}", html);
    }
}

/// Misnested and unclosed formatting elements, links in links, forms in
/// forms: what the adoption agency and the form pointer untangle.
fn misnested() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "<b>", "</b>", "<i>", "</i>", "<a href=x>", "</a>", "<p>", "</p>", "<div>", "</div>", "x", " ", "<em>",
            "</em>", "<form>", "</form>", "<span>", "</span>", "<table>", "<td>", "</table>", "<li>", "<ul>", "</ul>",
            "<button>", "</button>", "<h1>", "</h1>", "<strong class=s>", "</strong>", "<br>", "<tr>", "</tr>",
            "<caption>", "</td>", "<select>", "<option>", "</select>", "<dl>", "<dt>", "<dd>", "<li>", "</li>",
            "<nobr>", "</nobr>", "<object>", "</object>", "<svg>", "</svg>", "<h2>", "</h2>", "<pre>", "\n",
            "<textarea>t</textarea>", "<code>", "</code>", "<u>", "</u>", "</br>", "</p>", "<hr>", "<template>",
            "</template>",
        ]),
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_lean_parser_untangles_misnesting_like_the_browser(html in misnested()) {
        prop_assert_eq!(to_html(&lean::parse(&html)), to_html(&html5::parse(&html)), "input: {}", html);
    }
}

/// Every named character reference of the spec, with and without its `;`,
/// followed by what changes the legacy rules' answer (a letter, `=`), in text
/// and in an attribute: the lean parser's packed table and its shortcuts for
/// the common references must decode each one as the browser does.
#[test]
fn every_named_reference_decodes_as_the_browser_decodes_it() {
    let mut checked = 0;
    for (name, _) in web_atoms::NAMED_ENTITIES.entries() {
        let bare = name.trim_end_matches(';');
        for reference in [name.to_string(), bare.to_string()] {
            for after in ["", "x", "=", ";", " y"] {
                let html = format!("<p title=\"a&{reference}{after}\">a&{reference}{after}</p>");
                assert_eq!(lean::parse(&html), html5::parse(&html), "input: {html}");
                checked += 1;
            }
        }
    }
    assert!(checked > 20_000, "the spec's list was read: {checked}");
}
