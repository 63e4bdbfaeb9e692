//! HTML, JavaScript and URL filters: `django.utils.html` and `urllib.parse.quote`.

use crate::value::{Value, float_repr};
use std::fmt::Write;

/// Django's `escape()`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    crate::render::escape_into(&mut out, s);
    out
}

pub fn escapejs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '\'' | '"' | '>' | '<' | '&' | '=' | '-' | ';' | '`' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if (c as u32) < 32 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `urllib.parse.quote(s, safe)`: UTF-8 bytes percent-encoded except
/// letters, digits, `_.-~` and `safe`.
pub fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "_.-~".contains(c) || (c.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// `urllib.parse.unquote`.
pub fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() + 0 && i + 2 <= b.len() - 1 {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `json.dumps(value, cls=DjangoJSONEncoder)` with `ensure_ascii`.
pub fn json_dumps(v: &Value, out: &mut String) -> Result<(), String> {
    match v {
        Value::None => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(d) => out.push_str(&d.to_fixed()),
        Value::Float(f) => out.push_str(&match float_repr(*f).as_str() {
            "inf" => "Infinity".to_string(),
            "-inf" => "-Infinity".to_string(),
            "nan" => "NaN".to_string(),
            r => r.to_string(),
        }),
        Value::Str(s, _) => json_str(s, out),
        Value::List(items) | Value::Tuple(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_dumps(item, out)?;
            }
            out.push(']');
        }
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, val)) in d.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let key = match k {
                    Value::Str(s, _) => s.to_string(),
                    Value::Bool(b) => if *b { "true" } else { "false" }.to_string(),
                    Value::None => "null".to_string(),
                    Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {
                        let mut s = String::new();
                        json_dumps(k, &mut s)?;
                        s
                    }
                    other => return Err(format!("keys must be str, int, float, bool or None, not {}", other.type_name())),
                };
                json_str(&key, out);
                out.push_str(": ");
                json_dumps(val, out)?;
            }
            out.push('}');
        }
        Value::Decimal(d) => json_str(&d.to_python_str(), out),
        Value::Date(d) => json_str(&d.to_python_str(), out),
        Value::Time(t) => {
            let mut s = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
            if t.microsecond != 0 {
                let _ = write!(s, ".{:03}", t.microsecond / 1000);
            }
            json_str(&s, out)
        }
        Value::DateTime(dt) => {
            let mut s = format!("{}T{:02}:{:02}:{:02}", dt.date.to_python_str(), dt.time.hour, dt.time.minute, dt.time.second);
            if dt.time.microsecond != 0 {
                let _ = write!(s, ".{:03}", dt.time.microsecond / 1000);
            }
            match dt.offset {
                Some(0) => s.push('Z'),
                Some(off) => s.push_str(&crate::value::DateTime::offset_str(off, true)),
                None => {}
            }
            json_str(&s, out)
        }
        other => return Err(format!("Object of type {} is not JSON serializable", other.type_name())),
    }
    Ok(())
}

fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 && c != '\u{7f}' => out.push(c),
            c if c == '\u{7f}' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

pub fn json_script(v: &Value, element_id: Option<&Value>) -> Result<String, String> {
    let mut json = String::new();
    json_dumps(v, &mut json)?;
    let json = json.replace('>', "\\u003E").replace('<', "\\u003C").replace('&', "\\u0026");
    Ok(match element_id.filter(|e| e.truth()) {
        Some(id) => {
            let id = if id.is_safe() { id.to_py_str() } else { escape(&id.to_py_str()) };
            format!("<script id=\"{id}\" type=\"application/json\">{json}</script>")
        }
        None => format!("<script type=\"application/json\">{json}</script>"),
    })
}

pub fn linebreaks(value: &str, autoescape: bool) -> String {
    let value = super::text::normalize_newlines(value);
    let mut paras = Vec::new();
    let mut rest = value.as_str();
    // re.split("\n{2,}", value)
    loop {
        match rest.find("\n\n") {
            Some(i) => {
                paras.push(&rest[..i]);
                let after = &rest[i..];
                let n = after.len() - after.trim_start_matches('\n').len();
                rest = &rest[i + n..];
            }
            None => {
                paras.push(rest);
                break;
            }
        }
    }
    paras
        .iter()
        .map(|p| {
            let p = if autoescape { escape(p) } else { p.to_string() };
            format!("<p>{}</p>", p.replace('\n', "<br>"))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Where an HTML tag, comment or declaration starting at `i` ends (exclusive).
fn markup_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let next = *b.get(i + 1)?;
    if s[i..].starts_with("<!--") {
        return s[i + 4..].find("-->").map(|e| i + 4 + e + 3);
    }
    if next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?' {
        if next == b'/' && !b.get(i + 2).is_some_and(u8::is_ascii_alphabetic) {
            return None;
        }
        // A quoted attribute value may hold '>'.
        let mut j = i + 1;
        let mut quote = None;
        while j < b.len() {
            match (quote, b[j]) {
                (Some(q), c) if c == q => quote = None,
                (None, b'"' | b'\'') if j > i + 2 && matches!(b[j - 1], b'=' | b' ') => quote = Some(b[j]),
                (None, b'>') => return Some(j + 1),
                _ => {}
            }
            j += 1;
        }
    }
    None
}

/// Django's `strip_tags`: tags, comments and declarations removed, text and
/// entities kept, repeated until nothing more goes.
pub fn strip_tags(value: &str) -> String {
    let mut value = value.to_string();
    while value.contains('<') && value.contains('>') {
        let stripped = strip_once(&value);
        if stripped.matches('<').count() == value.matches('<').count() {
            break;
        }
        value = stripped;
    }
    value
}

fn strip_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s.as_bytes()[i] == b'<' {
            if let Some(end) = markup_end(s, i) {
                i = end;
                continue;
            }
            // An incomplete tag at the end is dropped, as HTMLParser buffers it.
            let rest = &s[i..];
            if rest.len() > 1 && (rest.as_bytes()[1].is_ascii_alphabetic() || rest.as_bytes()[1] == b'/' || rest.as_bytes()[1] == b'!') && !rest.contains('>') {
                break;
            }
        }
        let c = s[i..].chars().next().expect("in bounds");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

const VOID: &[&str] = &["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"];

/// `Truncator(s).chars(n, html=True)` (`words` false) or `.words(n, html=True, truncate=" …")`.
pub fn truncate_html(s: &str, n: i128, words: bool) -> String {
    if n <= 0 {
        return String::new();
    }
    let replacement = if words { " …" } else { "…" };
    let mut remaining: i128 = if words { n } else { n - 1 };
    let mut processed_chars: i128 = 0;
    let mut output = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < s.len() {
        if b[i] == b'<' {
            if let Some(end) = markup_end(s, i) {
                let tag_text = &s[i..end];
                if let Some(name) = tag_name(tag_text) {
                    if tag_text.starts_with("</") {
                        if !VOID.contains(&name.as_str()) {
                            output.push_str(&format!("</{name}>"));
                            if open.first() == Some(&name) {
                                open.remove(0);
                            }
                        }
                    } else {
                        output.push_str(tag_text);
                        let self_closing = tag_text.ends_with("/>");
                        if !VOID.contains(&name.as_str()) {
                            if self_closing {
                                output.push_str(&format!("</{name}>"));
                            } else {
                                open.insert(0, name);
                            }
                        }
                    }
                }
                i = end;
                continue;
            }
        }
        let next_tag = s[i + 1..].find('<').map_or(s.len(), |p| i + 1 + p);
        let data = unescape_entities(&s[i..next_tag]);
        i = next_tag;
        let (len, truncated_out) = if words {
            let pieces = split_words_keep(&data);
            let keep = pieces.iter().take(remaining.max(0) as usize).cloned().collect::<Vec<_>>().join(" ");
            (pieces.len() as i128, escape(&keep))
        } else {
            let chars: Vec<char> = data.chars().collect();
            processed_chars += chars.len() as i128;
            if processed_chars == n && output.chars().count() + chars.len() == s.chars().count() {
                output.push_str(&data);
                return close_all(output, &open);
            }
            let keep: String = chars.iter().take(remaining.max(0) as usize).collect();
            (chars.len() as i128, escape(&keep))
        };
        if remaining < len {
            output.push_str(&truncated_out);
            if !truncated_out.ends_with(replacement) {
                output.push_str(replacement);
            }
            return close_all(output, &open);
        }
        remaining -= len;
        output.push_str(&truncated_out);
    }
    output
}

fn close_all(mut output: String, open: &[String]) -> String {
    for t in open {
        output.push_str(&format!("</{t}>"));
    }
    output
}

/// `re.split(r"(?<=\S)\s+(?=\S)", data)`: words with their outer whitespace kept on the ends.
fn split_words_keep(data: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = data.chars().collect();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() && i > 0 && !chars[i - 1].is_whitespace() {
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() {
                out.push(std::mem::take(&mut cur));
                i = j;
                continue;
            }
        }
        cur.push(c);
        i += 1;
    }
    out.push(cur);
    out
}

fn tag_name(tag: &str) -> Option<String> {
    let inner = tag.trim_start_matches('<').trim_start_matches('/');
    let name: String = inner.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':').collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// The common named and numeric character references (`html.unescape` for them).
pub fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|e| *e < 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "copy" => Some('©'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Django's `urlize`, with `nofollow`.
pub fn urlize(text: &str, safe_input: bool, limit: Option<i64>, autoescape: bool) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut word_start = 0;
    let is_sep = |c: char| c.is_whitespace() || "<>\"'".contains(c);
    let mut i = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    while i < chars.len() {
        let (pos, c) = chars[i];
        if is_sep(c) {
            out.push_str(&urlize_word(&text[word_start..pos], safe_input, limit, autoescape));
            let mut j = i;
            while j < chars.len() && is_sep(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |(p, _)| *p);
            let sep = &text[pos..end];
            out.push_str(&if !safe_input && autoescape { escape(sep) } else { sep.to_string() });
            word_start = end;
            i = j;
        } else {
            i += 1;
        }
    }
    out.push_str(&urlize_word(&text[word_start..], safe_input, limit, autoescape));
    out
}

fn urlize_word(word: &str, safe_input: bool, limit: Option<i64>, autoescape: bool) -> String {
    let plain = || if !safe_input && autoescape { escape(word) } else { word.to_string() };
    if !(word.contains('.') || word.contains('@') || word.contains(':')) {
        return plain();
    }
    let (lead, middle, trail) = trim_punctuation(word);
    let middle = middle.as_str();
    let mut nofollow = " rel=\"nofollow\"";
    let lower = middle.to_ascii_lowercase();
    let url = if middle.chars().count() <= 2048 && is_simple_url(&lower) {
        Some(smart_urlquote(&unescape_entities(middle)))
    } else if middle.chars().count() <= 2048 && is_simple_url_2(&lower) {
        Some(smart_urlquote(&format!("http://{}", unescape_entities(middle))))
    } else if !middle.contains(':') && is_email_simple(middle) {
        let (local, domain) = middle.rsplit_once('@').expect("has @");
        nofollow = "";
        Some(format!("mailto:{}@{}", quote(local, ""), quote(domain, "")))
    } else {
        None
    };
    let Some(url) = url else { return plain() };
    let mut trimmed = match limit {
        Some(l) if middle.chars().count() as i64 > l => {
            let keep: String = middle.chars().take((l - 1).max(0) as usize).collect();
            format!("{keep}…")
        }
        _ => middle.to_string(),
    };
    let (mut lead, mut trail) = (lead, trail);
    if autoescape && !safe_input {
        lead = escape(&lead);
        trail = escape(&trail);
        trimmed = escape(&trimmed);
    }
    format!("{lead}<a href=\"{}\"{nofollow}>{trimmed}</a>{trail}", escape(&url))
}

fn is_simple_url(lower: &str) -> bool {
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let r = r.strip_prefix('[').unwrap_or(r);
        r.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn is_simple_url_2(lower: &str) -> bool {
    if lower.starts_with("www.") {
        return true;
    }
    if lower.starts_with("http") || !lower.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return false;
    }
    for tld in [".com", ".edu", ".gov", ".int", ".mil", ".net", ".org"] {
        let mut from = 0;
        while let Some(p) = lower[from..].find(tld) {
            let at = from + p;
            let before = &lower[1..at];
            let after = &lower[at + tld.len()..];
            if at > 1 && !before.contains('@') && (after.is_empty() || after.starts_with('/')) {
                return true;
            }
            from = at + 1;
        }
    }
    false
}

fn is_email_simple(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else { return false };
    if local.is_empty() || domain.is_empty() || local.contains('@') {
        return false;
    }
    let local_ok = local.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_alphabetic()));
    local_ok && domain_ok
}

fn trim_punctuation(word: &str) -> (String, String, String) {
    // Django's Urlizer.trim_punctuation, quirks included: the wrapping
    // punctuation counts come from the word as first stripped, and a closing
    // bracket replaces the trail found so far.
    let middle_start = word.len() - word.trim_start_matches(['(', '[']).len();
    let lead = word[..middle_start].to_string();
    let mut middle = word[middle_start..].to_string();
    let mut trail = String::new();
    let initial = middle.clone();
    let mut counts: std::collections::HashMap<char, i64> = std::collections::HashMap::new();
    let count = |c: char, counts: &mut std::collections::HashMap<char, i64>| *counts.entry(c).or_insert_with(|| initial.matches(c).count() as i64);
    let mut trimmed = true;
    while trimmed && !middle.is_empty() {
        trimmed = false;
        for (open, close) in [('(', ')'), ('[', ']')] {
            let (o, c) = (count(open, &mut counts), count(close, &mut counts));
            if o < c && middle.trim_end_matches(close).len() != middle.len() {
                let strip = (c - o) as usize;
                let chars: Vec<char> = middle.chars().collect();
                let cut = chars.len().saturating_sub(strip);
                trail = chars[cut..].iter().collect();
                middle = chars[..cut].iter().collect();
                trimmed = true;
                *counts.get_mut(&close).expect("counted") -= strip as i64;
            }
        }
        let amp = middle.rfind('&');
        let stripped = if amp.is_none() { middle.trim_end_matches(['.', ',', ':', ';', '!']) } else { middle.trim_end_matches(['.', ',', ':', '!']) };
        if stripped.len() != middle.len() {
            trail = format!("{}{}", &middle[stripped.len()..], trail);
            middle = stripped.to_string();
            trimmed = true;
        }
        if middle.ends_with(';') {
            let potential = &middle[amp.unwrap_or(middle.len() - 1)..];
            let unescaped = unescape_entities(potential);
            if unescaped == potential || unescaped.ends_with(';') {
                let rstripped = middle.trim_end_matches(['.', ',', ':', ';', '!']).to_string();
                let trail_start = rstripped.len();
                let semis = middle.len() - middle.trim_end_matches(';').len();
                if amp.is_some() && semis > 1 {
                    let recent = middle[trail_start..].find(';').expect("ends with ;");
                    let mid_idx = recent + trail_start + 1;
                    trail = format!("{}{}", &middle[mid_idx..], trail);
                    middle = format!("{}{}", rstripped, &middle[trail_start..mid_idx]);
                } else {
                    trail = format!("{}{}", &middle[trail_start..], trail);
                    middle = rstripped;
                }
                trimmed = true;
            }
        }
    }
    (lead, middle, trail)
}

/// Django's `smart_urlquote`, without IDNA.
fn smart_urlquote(url: &str) -> String {
    let safe = "!$&'()*+,;=:/?#[]@~";
    let unquote_quote = |s: &str| quote(&unquote(s), safe);
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i], &url[i + 3..]),
        None => return unquote_quote(url),
    };
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (before_fragment, None),
    };
    let (netloc, path) = match before_query.find('/') {
        Some(i) => (&before_query[..i], &before_query[i..]),
        None => (before_query, ""),
    };
    let mut out = format!("{scheme}://{}{}", unquote_quote(netloc), unquote_quote(path));
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let pairs: Vec<String> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let enc = |s: &str| quote(&unquote(&s.replace('+', " ")), "").replace("%20", "+");
                format!("{}={}", enc(k), enc(v))
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    if let Some(f) = fragment.filter(|f| !f.is_empty()) {
        out.push('#');
        out.push_str(&unquote_quote(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_urllib() {
        assert_eq!(quote("a b/é?", "/"), "a%20b/%C3%A9%3F");
    }

    #[test]
    fn strips_tags() {
        assert_eq!(strip_tags("<p>Hi <b>there</b> &amp; <!-- c -->you</p>"), "Hi there &amp; you");
        assert_eq!(strip_tags("a < b > c"), "a < b > c");
    }

    #[test]
    fn urlizes_links_and_emails() {
        assert_eq!(
            urlize("see www.example.com, or a@b.org.", false, None, true),
            "see <a href=\"http://www.example.com\" rel=\"nofollow\">www.example.com</a>, or <a href=\"mailto:a@b.org\">a@b.org</a>."
        );
    }

    #[test]
    fn truncates_html_and_closes_tags() {
        assert_eq!(truncate_html("<p>one <b>two three</b> four</p>", 2, true), "<p>one <b>two …</b></p>");
    }
}
