//! The tokenizer: turns markup into start tags, end tags, text and
//! comments, decoding character references, and hands raw-text element
//! content to the builder whole.

use super::builder::Builder;

use super::entities;

pub(super) enum Token {
    Start { name: String, attributes: Vec<(String, String)>, self_closing: bool },
    End { name: String },
    Text(String),
    Comment(String),
}

pub(super) struct Tokenizer<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(input: &'a str) -> Tokenizer<'a> {
        Tokenizer { input, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    pub(super) fn run(&mut self, builder: &mut Builder) {
        while self.pos < self.input.len() {
            let from = self.pos;
            let token = self.next_token(builder);
            if let Token::Text(text) = &token {
                if text.as_str() == &self.input[from..self.pos] {
                    builder.text_span = Some((from, self.pos));
                }
            }
            let start = match &token {
                Token::Start { name, .. } => text_mode(name).map(|mode| (name.clone(), mode)),
                _ => None,
            };
            builder.last_html = false;
            if !matches!(token, Token::Text(_)) {
                // The newline after `<pre>` or `<textarea>` is dropped only if it comes first.
                builder.skip_newline = false;
            }
            builder.process(token);
            builder.text_span = None;
            // Raw text follows only if the tag really opened an HTML element.
            if let Some((name, mode)) = start {
                if builder.last_inserted_is_html(&name) {
                    self.raw_text(mode, builder);
                }
            }
        }
    }

    fn next_token(&mut self, builder: &Builder) -> Token {
        let rest = self.rest();
        if let Some(after) = rest.strip_prefix("<!--") {
            // `<!-->` and `<!--->` are empty comments.
            for abrupt in [">", "->"] {
                if after.starts_with(abrupt) {
                    self.pos += 4 + abrupt.len();
                    return Token::Comment(String::new());
                }
            }
            let (data, used) = match after.find("-->") {
                Some(end) => (&after[..end], end + 3),
                None => (after, after.len()),
            };
            self.pos += 4 + used;
            return Token::Comment(data.replace('\0', "\u{fffd}"));
        }
        if let Some(after) = rest.strip_prefix("<!").or_else(|| rest.strip_prefix("<?").map(|_| &rest[1..])) {
            let (data, used) = match after.find('>') {
                Some(end) => (&after[..end], end + 1),
                None => (after, after.len()),
            };
            self.pos += 2 + used - usize::from(rest.starts_with("<?"));
            if data.as_bytes().get(..7).is_some_and(|b| b.eq_ignore_ascii_case(b"doctype")) {
                return self.next_or_nothing(builder);
            }
            return Token::Comment(data.replace('\0', "\u{fffd}"));
        }
        if let Some(after) = rest.strip_prefix("</") {
            if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
                let (name, _, _, used) = tag(after);
                self.pos += 2 + used;
                return Token::End { name };
            }
            if let Some(after) = after.strip_prefix('>') {
                let _ = after;
                self.pos += 3;
                return self.next_or_nothing(builder);
            }
            if !after.is_empty() {
                let (data, used) = match after.find('>') {
                    Some(end) => (&after[..end], end + 1),
                    None => (after, after.len()),
                };
                self.pos += 2 + used;
                return Token::Comment(data.to_string());
            }
            self.pos = self.input.len();
            return Token::Text("</".into());
        }
        if let Some(after) = rest.strip_prefix('<') {
            if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
                let (name, attributes, self_closing, used) = tag(after);
                self.pos += 1 + used;
                return Token::Start { name, attributes, self_closing };
            }
        }
        // Text up to the next `<` that could start markup (at least one character).
        let first = rest.chars().next().map_or(1, char::len_utf8);
        let end = rest[first..].find('<').map_or(rest.len(), |i| i + first);
        self.pos += end;
        Token::Text(decode(&rest[..end], false))
    }

    fn next_or_nothing(&mut self, builder: &Builder) -> Token {
        if self.pos < self.input.len() { self.next_token(builder) } else { Token::Text(String::new()) }
    }

    /// After a raw-text or escapable raw-text start tag: everything up to
    /// the matching end tag is text.
    fn raw_text(&mut self, mode: TextMode, builder: &mut Builder) {
        let (name, escapable) = match mode {
            TextMode::Raw(name) => (name, false),
            TextMode::Escapable(name) => (name, true),
            TextMode::Plain => {
                builder.insert_text(self.rest().to_string(), false);
                self.pos = self.input.len();
                return;
            }
        };
        let rest = self.rest();
        let mut search = 0;
        let end = loop {
            match rest[search..].find("</") {
                None => break None,
                Some(i) => {
                    let at = search + i;
                    let after = &rest[at + 2..];
                    let bytes = after.as_bytes();
                    let matches = bytes.get(..name.len()).is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()))
                        && bytes
                            .get(name.len())
                            .is_some_and(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>');
                    if matches {
                        break Some(at);
                    }
                    search = at + 2;
                }
            }
        };
        let text_len = end.unwrap_or(rest.len());
        let text = &rest[..text_len];
        if !text.is_empty() {
            // The "text" insertion mode: straight into the element.
            let text = if escapable { decode(text, false) } else { text.replace('\0', "\u{fffd}") };
            builder.insert_text(text, false);
        }
        self.pos += text_len;
        builder.skip_newline = false;
        if end.is_some() {
            let (name, _, _, used) = tag(&self.rest()[2..]);
            self.pos += 2 + used;
            builder.process(Token::End { name });
        }
    }
}

#[derive(Clone, Copy)]
enum TextMode {
    Raw(&'static str),
    Escapable(&'static str),
    Plain,
}

fn text_mode(name: &str) -> Option<TextMode> {
    Some(match name {
        "title" => TextMode::Escapable("title"),
        "textarea" => TextMode::Escapable("textarea"),
        "style" => TextMode::Raw("style"),
        "script" => TextMode::Raw("script"),
        "xmp" => TextMode::Raw("xmp"),
        "iframe" => TextMode::Raw("iframe"),
        "noembed" => TextMode::Raw("noembed"),
        "noframes" => TextMode::Raw("noframes"),
        "noscript" => TextMode::Raw("noscript"),
        "plaintext" => TextMode::Plain,
        _ => return None,
    })
}

/// Parse a tag after its `<` or `</`: name, attributes, self-closing flag,
/// bytes consumed.
fn tag(input: &str) -> (String, Vec<(String, String)>, bool, usize) {
    let is_end = |c: char| c.is_ascii_whitespace() || c == '/' || c == '>';
    let name_end = input.find(is_end).unwrap_or(input.len());
    let name = lowercase(&input[..name_end]);
    let mut attributes: Vec<(String, String)> = Vec::new();
    let mut self_closing = false;
    let mut i = name_end;
    let bytes = input.as_bytes();
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= bytes.len() {
            return (name, attributes, self_closing, i);
        }
        match bytes[i] {
            b'>' => return (name, attributes, self_closing, i + 1),
            b'/' => {
                i += 1;
                self_closing = bytes.get(i) == Some(&b'>');
                continue;
            }
            _ => {}
        }
        self_closing = false;
        // Attribute name: at least one character (even `=`), up to whitespace, `/`, `>` or `=`.
        let start = i;
        i += input[i..].chars().next().map_or(1, char::len_utf8);
        while i < bytes.len() && !matches!(bytes[i], b'\t' | b'\n' | b'\x0c' | b' ' | b'/' | b'>' | b'=') {
            i += 1;
        }
        let attr = lowercase(&input[start..i]);
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = input[i + 1..].find(q as char).map_or(input.len(), |e| i + 1 + e);
                    value = decode(&input[i + 1..end], true);
                    i = (end + 1).min(input.len());
                }
                _ => {
                    let end = input[i..].find(|c: char| c.is_ascii_whitespace() || c == '>').map_or(input.len(), |e| i + e);
                    value = decode(&input[i..end], true);
                    i = end;
                }
            }
        }
        if !attributes.iter().any(|(n, _)| *n == attr) {
            attributes.push((attr, value));
        }
    }
}

fn lowercase(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    if lower.contains('\0') { lower.replace('\0', "\u{fffd}") } else { lower }
}

/// Decode character references as the tokenizer does (in an attribute value
/// a legacy reference followed by `=` or an alphanumeric stays as written).
fn decode(text: &str, in_attribute: bool) -> String {
    if !text.contains('&') && !text.contains('\0') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        match char_ref(rest, in_attribute) {
            Some((decoded, used)) => {
                out.push_str(&decoded);
                rest = &rest[used..];
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    if in_attribute { out.replace('\0', "\u{fffd}") } else { out }
}

/// The character reference after an `&`: what it decodes to and how many bytes it took.
fn char_ref(after: &str, in_attribute: bool) -> Option<(String, usize)> {
    if let Some(num) = after.strip_prefix('#') {
        let (hex, digits_at) = match num.as_bytes().first() {
            Some(b'x' | b'X') => (true, 1),
            _ => (false, 0),
        };
        let digits = &num[digits_at..];
        let len = digits
            .bytes()
            .take_while(|b| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() })
            .count();
        if len == 0 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..len], if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let used = 1 + digits_at + len + usize::from(digits[len..].starts_with(';'));
        return Some((numeric(value).to_string(), used));
    }
    if let Some((c, used)) = entities::common(after) {
        return Some((c.to_string(), used));
    }
    // Longest name in the table that prefixes `after`: names are at most 32
    // bytes of ASCII alphanumerics and a `;`.
    let mut best: Option<(usize, (u32, u32))> = None;
    let candidate_len = after
        .bytes()
        .take(33)
        .position(|b| !(b.is_ascii_alphanumeric() || b == b';'))
        .unwrap_or(after.len().min(33));
    for end in (1..=candidate_len).rev() {
        let name = &after[..end];
        if let Some(value) = entities::lookup(name) {
            best = Some((end, value));
            break;
        }
    }
    let (used, (first, second)) = best?;
    let legacy = !after[..used].ends_with(';');
    if legacy && in_attribute {
        let next = after[used..].chars().next();
        if next.is_some_and(|c| c == '=' || c.is_ascii_alphanumeric()) {
            return None;
        }
    }
    let mut s = String::new();
    s.extend(char::from_u32(first));
    if second != 0 {
        s.extend(char::from_u32(second));
    }
    Some((s, used))
}

/// A numeric character reference's character, with the spec's replacements.
fn numeric(value: u32) -> char {
    const C1: [u32; 32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ];
    match value {
        0 => '\u{fffd}',
        0x80..=0x9F => char::from_u32(C1[(value - 0x80) as usize]).unwrap_or('\u{fffd}'),
        v => char::from_u32(v).unwrap_or('\u{fffd}'),
    }
}
