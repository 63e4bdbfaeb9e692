//! The HTML page around a view (what Django's `wasmlive/page.html` is).

use super::ViewEntry;

/// Escape text for an HTML attribute or text node.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// A full page: the view's first render inside its root, and the client.
pub fn render(view: &ViewEntry, view_id: &str, html: &str) -> String {
    let title = escape(view.title.as_deref().unwrap_or(&view.name));
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>.wasmlive-loading {{ opacity: .6; transition: opacity .1s; }} .wasmlive-error {{ color: #b00020; }}</style>
</head>
<body>
<div data-wasmlive-root data-view="{name}" data-view-id="{id}" data-params="{{}}">{html}</div>
<script type="module" src="/static/wasmlive/client.js" data-ws-path="/ws/live/" data-transport="websocket"></script>
</body>
</html>
"#,
        name = escape(&view.name),
        id = escape(view_id),
    )
}

/// The index page: a link to every view.
pub fn index(views: &[ViewEntry]) -> String {
    let links: String = views
        .iter()
        .map(|v| format!(r#"<li><a href="{}">{}</a></li>"#, escape(&v.route), escape(v.title.as_deref().unwrap_or(&v.name))))
        .collect();
    format!("<!DOCTYPE html>\n<title>wasmlive serve</title>\n<h1>wasmlive serve</h1>\n<ul>{links}</ul>\n")
}
