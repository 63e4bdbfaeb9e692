//! String filters: Python's string methods and `django.utils.text`.

use super::Filter;

/// `str.upper()` / `str.lower()`, built once into its `Rc<str>`.
pub fn map_case(s: &str, upper: bool) -> std::rc::Rc<str> {
    crate::value::build_str(|b| {
        if s.is_ascii() {
            b.push_str(s);
            if upper { b.make_ascii_uppercase() } else { b.make_ascii_lowercase() }
        } else if upper {
            b.extend(s.chars().flat_map(char::to_uppercase));
        } else {
            // str::to_lowercase knows the final-sigma rule that char mapping does not.
            b.push_str(&s.to_lowercase());
        }
    })
}

pub fn capfirst(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `str.ljust` / `rjust` / `center` with spaces.
pub fn justify(s: &str, width: i64, how: Filter) -> String {
    let len = s.chars().count() as i64;
    if width <= len {
        return s.to_string();
    }
    let pad = (width - len) as usize;
    match how {
        Filter::Ljust => format!("{s}{}", " ".repeat(pad)),
        Filter::Rjust => format!("{}{s}", " ".repeat(pad)),
        _ => {
            // CPython's centering puts the odd space on the left when the width is odd.
            let left = pad / 2 + (pad & width as usize & 1);
            format!("{}{s}{}", " ".repeat(left), " ".repeat(pad - left))
        }
    }
}

pub fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

pub fn linenumbers(s: &str, escape: bool) -> String {
    let lines: Vec<&str> = s.split('\n').collect();
    let width = lines.len().to_string().len();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let line = if escape { super::html::escape(line) } else { line.to_string() };
            format!("{:0width$}. {line}", i + 1)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn phone2numeric(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='c' => '2',
            'd'..='f' => '3',
            'g'..='i' => '4',
            'j'..='l' => '5',
            'm'..='o' => '6',
            'p'..='s' => '7',
            't'..='v' => '8',
            'w'..='z' => '9',
            c => c,
        })
        .collect()
}

/// Python's `str.title()`.
pub fn py_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        let cased = c.is_lowercase() || c.is_uppercase();
        if cased {
            if prev_cased {
                out.extend(c.to_lowercase());
            } else {
                out.extend(title_case(c));
            }
        } else {
            out.push(c);
        }
        prev_cased = cased;
    }
    out
}

fn title_case(c: char) -> impl Iterator<Item = char> {
    // Title case equals upper case except for a few digraphs.
    let special = match c {
        'Ǆ' | 'ǅ' | 'ǆ' => Some('ǅ'),
        'Ǉ' | 'ǈ' | 'ǉ' => Some('ǈ'),
        'Ǌ' | 'ǋ' | 'ǌ' => Some('ǋ'),
        'Ǳ' | 'ǲ' | 'ǳ' => Some('ǲ'),
        _ => None,
    };
    let upper: Vec<char> = match special {
        Some(t) => vec![t],
        None if c == 'ß' => vec!['S', 's'],
        None => c.to_uppercase().collect(),
    };
    upper.into_iter()
}

/// Django's `title` filter: `str.title()` with fixes for apostrophes and digits.
pub fn title(s: &str) -> String {
    let t: Vec<char> = py_title(s).chars().collect();
    let mut out: Vec<char> = t.clone();
    // re.sub("([a-z])'([A-Z])", lambda m: m[0].lower(), …): non-overlapping, left to right.
    let mut i = 0;
    while i + 2 < out.len() {
        if out[i].is_ascii_lowercase() && out[i + 1] == '\'' && out[i + 2].is_ascii_uppercase() {
            out[i + 2] = out[i + 2].to_ascii_lowercase();
            i += 3;
        } else {
            i += 1;
        }
    }
    // re.sub(r"\d([A-Z])", lambda m: m[0].lower(), …)
    let mut i = 0;
    while i + 1 < out.len() {
        if out[i].is_numeric() && is_python_digit(out[i]) && out[i + 1].is_ascii_uppercase() {
            out[i + 1] = out[i + 1].to_ascii_lowercase();
            i += 2;
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

fn is_python_digit(c: char) -> bool {
    c.is_ascii_digit() || (c.is_numeric() && c.to_digit(10).is_some())
}

/// `Truncator(s).chars(n)` with the default "…".
pub fn truncate_chars(s: &str, n: i128) -> String {
    if n <= 0 {
        return String::new();
    }
    let chars: Vec<char> = s.chars().collect();
    let counted = chars.iter().filter(|c| !is_combining(**c)).count() as i128;
    if counted <= n {
        return s.to_string();
    }
    let truncate_len = n - 1;
    let mut seen = 0;
    let mut end = 0;
    for (i, c) in chars.iter().enumerate() {
        if is_combining(*c) {
            continue;
        }
        seen += 1;
        if seen > truncate_len {
            end = i;
            break;
        }
    }
    let mut out: String = chars[..end].iter().collect();
    out.push('…');
    out
}

pub fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// `Truncator(s).words(n, truncate=" …")`.
pub fn truncate_words(s: &str, n: i128) -> String {
    if n <= 0 {
        return String::new();
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() as i128 > n {
        let mut out = words[..n as usize].join(" ");
        if !out.ends_with(" …") {
            out.push_str(" …");
        }
        return out;
    }
    words.join(" ")
}

/// Django's `slugify` without `allow_unicode`.
pub fn slugify(s: &str) -> String {
    let mut ascii = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            ascii.push(c);
        } else if let Some(base) = fold_latin(c) {
            ascii.push_str(base);
        }
    }
    let lowered = ascii.to_lowercase();
    let kept: String = lowered.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || c.is_whitespace() || *c == '-').collect();
    let mut out = String::with_capacity(kept.len());
    let mut in_sep = false;
    for c in kept.chars() {
        if c == '-' || c.is_whitespace() {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c);
            in_sep = false;
        }
    }
    out.trim_matches(['-', '_']).to_string()
}

/// What NFKD plus dropping non-ASCII leaves of a Latin letter with diacritics.
fn fold_latin(c: char) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("ÀÁÂÃÄÅĀĂĄǍ", "A"), ("àáâãäåāăąǎ", "a"), ("ÇĆĈĊČ", "C"), ("çćĉċč", "c"), ("ĎḌ", "D"), ("ďḍ", "d"),
        ("ÈÉÊËĒĔĖĘĚ", "E"), ("èéêëēĕėęě", "e"), ("ĜĞĠĢ", "G"), ("ĝğġģ", "g"), ("ĤḤ", "H"), ("ĥḥ", "h"),
        ("ÌÍÎÏĨĪĬĮİǏ", "I"), ("ìíîïĩīĭįǐ", "i"), ("Ĵ", "J"), ("ĵ", "j"), ("Ķ", "K"), ("ķ", "k"), ("ĹĻĽ", "L"),
        ("ĺļľ", "l"), ("ÑŃŅŇ", "N"), ("ñńņň", "n"), ("ÒÓÔÕÖŌŎŐǑ", "O"), ("òóôõöōŏőǒ", "o"), ("ŔŖŘ", "R"),
        ("ŕŗř", "r"), ("ŚŜŞŠȘ", "S"), ("śŝşšș", "s"), ("ŢŤȚ", "T"), ("ţťț", "t"), ("ÙÚÛÜŨŪŬŮŰŲǓ", "U"),
        ("ùúûüũūŭůűųǔ", "u"), ("Ŵ", "W"), ("ŵ", "w"), ("ÝŶŸ", "Y"), ("ýÿŷ", "y"), ("ŹŻŽ", "Z"), ("źżž", "z"),
        ("ﬁ", "fi"), ("ﬂ", "fl"), ("²", "2"), ("³", "3"), ("¹", "1"), ("ª", "a"), ("º", "o"), ("½", "12"), ("¼", "14"), ("¾", "34"),
        ("\u{a0}", " "), ("…", "..."), ("™", "TM"),
    ];
    TABLE.iter().find(|(set, _)| set.contains(c)).map(|(_, base)| *base)
}

/// `str.splitlines()`.
fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_break = matches!(c, '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some((_, '\n')) = chars.peek() {
                    chars.next();
                    next += 1;
                }
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Django's `wrap` (textwrap without breaking long words or on hyphens).
pub fn wrap(text: &str, width: i64) -> String {
    let mut result: Vec<String> = Vec::new();
    for line in splitlines(text) {
        let wrapped = textwrap(line, width);
        if wrapped.is_empty() {
            result.push(line.to_string());
        } else {
            result.extend(wrapped);
        }
    }
    if text.ends_with('\n') {
        result.push(String::new());
    }
    result.join("\n")
}

fn is_tw_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

fn textwrap(line: &str, width: i64) -> Vec<String> {
    let expanded = expand_tabs(line);
    // Chunks: alternating runs of whitespace and non-whitespace.
    let mut chunks: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_space = None;
    for c in expanded.chars() {
        let sp = is_tw_space(c);
        if cur_space.is_some_and(|s| s != sp) {
            chunks.push(std::mem::take(&mut cur));
        }
        cur_space = Some(sp);
        cur.push(c);
    }
    if !cur.is_empty() {
        chunks.push(cur);
    }
    let is_ws = |c: &String| c.chars().all(|ch| ch.is_whitespace());
    let len = |c: &String| c.chars().count() as i64;
    chunks.reverse();
    let mut lines = Vec::new();
    while !chunks.is_empty() {
        let mut cur_line: Vec<String> = Vec::new();
        let mut cur_len = 0;
        if chunks.last().is_some_and(is_ws) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            let l = len(c);
            if cur_len + l <= width {
                cur_len += l;
                cur_line.push(chunks.pop().expect("last exists"));
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| len(c) > width) && cur_line.is_empty() {
            cur_line.push(chunks.pop().expect("last exists"));
        }
        if cur_line.last().is_some_and(is_ws) {
            cur_line.pop();
        }
        if !cur_line.is_empty() {
            lines.push(cur_line.concat());
        }
    }
    lines
}

fn expand_tabs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            c => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_fixes_apostrophes_and_digits() {
        assert_eq!(title("they're 1st class"), "They're 1st Class");
    }

    #[test]
    fn wraps_like_textwrap() {
        assert_eq!(wrap("Joel is a slug", 5), "Joel\nis a\nslug");
        assert_eq!(wrap("a verylongword b", 4), "a\nverylongword\nb");
    }

    #[test]
    fn slugifies_latin_text() {
        assert_eq!(slugify(" Héllo, Wörld! -- _x_ "), "hello-world-_x");
    }

    #[test]
    fn truncates_characters() {
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(truncate_chars("abcd", 4), "abcd");
    }
}
