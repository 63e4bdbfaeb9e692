//! `{% lorem %}`: Django's `lorem_ipsum` common text. Random output
//! (`random`) comes from a generator seeded per render, not Python's.

const COMMON_P: &str = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";

const WORDS: &[&str] = &[
    "exercitationem", "perferendis", "perspiciatis", "laborum", "eveniet", "sunt", "iure", "nam", "nobis", "eum", "cum",
    "officiis", "excepturi", "odio", "consectetur", "quasi", "aut", "quisquam", "vel", "eligendi", "itaque", "non", "odit",
    "tempore", "quaerat", "dignissimos", "facilis", "neque", "nihil", "expedita", "vitae", "vero", "ipsum", "nisi", "animi",
    "cumque", "pariatur", "velit", "modi", "natus", "iusto", "eaque", "sequi", "illo", "sed", "ex", "et", "voluptatibus",
    "tempora", "veritatis", "ratione", "assumenda", "incidunt", "nostrum", "placeat", "aliquid", "fuga", "provident",
    "praesentium", "rem", "necessitatibus", "suscipit", "adipisci", "quidem", "possimus", "voluptas", "debitis", "sint",
    "accusantium", "unde", "sapiente", "voluptate", "qui", "aspernatur", "laudantium", "soluta", "amet", "quo", "aliquam",
    "saepe", "culpa", "libero", "ipsa", "dicta", "reiciendis", "nesciunt", "doloribus", "autem", "impedit", "minima",
    "maiores", "repudiandae", "ipsam", "obcaecati", "ullam", "enim", "totam", "delectus", "ducimus", "quis", "voluptates",
    "dolores", "molestiae", "harum", "dolorem", "quia", "voluptatem", "molestias", "magni", "distinctio", "omnis",
    "illum", "dolorum", "voluptatum", "ea", "quas", "quam", "corporis", "quae", "blanditiis", "atque", "deserunt",
    "laboriosam", "earum", "consequuntur", "hic", "cupiditate", "quibusdam", "accusamus", "ut", "rerum", "error", "minus",
    "eius", "ab", "ad", "nemo", "fugit", "officia", "at", "in", "id", "quos", "reprehenderit", "numquam", "iste", "fugiat",
    "sit", "inventore", "beatae", "repellendus", "magnam", "recusandae", "quod", "explicabo", "doloremque", "aperiam",
    "consequatur", "asperiores", "commodi", "optio", "dolor", "labore", "temporibus", "repellat", "veniam", "architecto",
    "est", "esse", "mollitia", "nulla", "a", "similique", "eos", "alias", "dolore", "tenetur", "deleniti", "porro",
    "facere", "maxime", "corrupti",
];

const COMMON_WORDS: &[&str] = &[
    "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipisicing", "elit", "sed", "do", "eiusmod", "tempor",
    "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua",
];

/// A tiny deterministic generator (xorshift64).
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x % n as u64) as usize
    }
}

/// `lorem_ipsum.words(count, common)`.
pub fn words(count: usize, common: bool, rng: &mut Rng) -> String {
    let mut out: Vec<&str> = Vec::new();
    if common {
        out.extend(COMMON_WORDS.iter().take(count));
    }
    while out.len() < count {
        out.push(WORDS[rng.next(WORDS.len())]);
    }
    out.join(" ")
}

fn sentence(rng: &mut Rng) -> String {
    let sections = 1 + rng.next(5);
    let mut parts = Vec::new();
    for _ in 0..sections {
        let n = 3 + rng.next(10);
        parts.push((0..n).map(|_| WORDS[rng.next(WORDS.len())]).collect::<Vec<_>>().join(" "));
    }
    let s = parts.join(", ");
    let end = if rng.next(2) == 0 { "?" } else { "." };
    let mut chars = s.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    format!("{first}{}{end}", chars.as_str())
}

/// `lorem_ipsum.paragraphs(count, common)`.
pub fn paragraphs(count: usize, common: bool, rng: &mut Rng) -> Vec<String> {
    (0..count)
        .map(|i| {
            if common && i == 0 {
                COMMON_P.to_string()
            } else {
                let n = 1 + rng.next(4);
                (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
            }
        })
        .collect()
}
