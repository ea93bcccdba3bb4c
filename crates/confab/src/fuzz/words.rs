//! The sensitive-word filter and the other text rules that compare or refuse what users
//! write: [`normalise`] and [`Filter`] (matching and masking), the reserved-name
//! [`skeleton`], and the display-text rule ([`line`], [`lines`]).
//!
//! The input is text; `\n` splits it into a word list (the first up to eight lines) and
//! the text to screen (all of it).
//!
//! Invariants: normalisation is idempotent, maps every normalised byte to the original
//! character it came from, in order, and leaves no invisible character or separator; the
//! filter finds a word exactly when the normalised text contains one, reports spans on
//! character boundaries, in order, not overlapping, and masks exactly those characters; a
//! listed word still matches with invisible characters, separators, full-width forms and
//! capitals put between its letters (I8); skeletons are idempotent; a display text the rule
//! accepts is accepted again unchanged and holds no hidden character.

use crate::accounts::reserved::skeleton;
use crate::error::ApiError;
use crate::moderation::filter::{Filter, normalise, normalise_word};
use crate::moderation::text::{hidden, line, lines};

use super::must;

/// Characters used to break a word up: invisible ones, separators, a full-width space.
const BREAKERS: &[char] = &[
    '\u{200B}', '\u{200C}', '\u{200D}', '\u{00AD}', '\u{2060}', '\u{FEFF}', '\u{202E}', '.', ' ',
    '_', '-', '*', '\u{3000}', '\u{3001}', '\t', '\u{2019}',
];

/// One text (and a word list drawn from it).
pub fn word_normaliser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let n = normalise(&text);
    assert_eq!(
        n.origin.len(),
        n.text.len(),
        "one origin per normalised byte"
    );
    let mut last = 0;
    for &(start, end) in &n.origin {
        assert!(start >= last, "origins out of order");
        let c = text[start..].chars().next();
        assert!(
            c.is_some_and(|c| start + c.len_utf8() == end),
            "an origin that is not one character"
        );
        last = start;
    }
    assert_eq!(
        normalise(&n.text).text,
        n.text,
        "normalising twice changes {text:?}"
    );
    let words: Vec<&str> = text.split('\n').take(8).collect();
    let filter = must(Filter::new(&words), "compiling the words");
    let listed: Vec<String> = words.iter().filter_map(|w| normalise_word(w)).collect();
    let spans = filter.find(&text);
    assert_eq!(
        !spans.is_empty(),
        listed.iter().any(|w| n.text.contains(w.as_str())),
        "found iff the normalised text holds a word"
    );
    let mut end = 0;
    for &(s, e) in &spans {
        assert!(s >= end && s < e, "spans out of order or overlapping");
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
        end = e;
    }
    match filter.mask(&text) {
        None => assert!(spans.is_empty()),
        Some(m) => {
            assert_eq!(
                m.chars().count(),
                text.chars().count(),
                "masking keeps the length"
            );
            for ((i, c), masked) in text.char_indices().zip(m.chars()) {
                let inside = spans.iter().any(|&(s, e)| s <= i && i < e);
                assert_eq!(masked, if inside { '*' } else { c }, "masked at {i}");
            }
        }
    }
    for (i, w) in listed.iter().enumerate() {
        let disguised = disguise(w, data, i);
        assert!(
            !filter.find(&disguised).is_empty(),
            "the word {w:?} escapes the filter as {disguised:?}"
        );
    }
    let s = skeleton(&text);
    assert_eq!(skeleton(&s), s, "a skeleton of a skeleton");
    display_text(&text);
}

/// `word` with characters from [`BREAKERS`] between its letters and some letters made
/// capital or full-width, chosen by `data`.
fn disguise(word: &str, data: &[u8], salt: usize) -> String {
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        let b = data
            .get((i + salt) % data.len().max(1))
            .copied()
            .unwrap_or(0) as usize;
        if i > 0 && b.is_multiple_of(3) {
            out.push(BREAKERS[(b / 3) % BREAKERS.len()]);
        }
        match b % 5 {
            // Only where lower-casing the capital gives the letter back (not `ı` → `I` → `i`).
            0 if c.to_uppercase().flat_map(char::to_lowercase).eq([c]) => {
                out.extend(c.to_uppercase());
            }
            1 if c.is_ascii_graphic() => {
                out.push(char::from_u32(c as u32 + 0xFEE0).unwrap_or(c));
            }
            _ => out.push(c),
        }
    }
    out
}

/// The display-text rule, one-line and multi-line.
fn display_text(text: &str) {
    type Rule = fn(&'static str, &str, usize, usize) -> Result<String, ApiError>;
    for (rule, multiline) in [(line as Rule, false), (lines as Rule, true)] {
        if let Ok(t) = rule("text", text, 0, 10_000) {
            assert_eq!(t, t.trim(), "an untrimmed display text");
            // (The zero-width joiner is allowed between two pictographs: 👩‍💻.)
            assert!(
                !t.chars().any(|c| hidden(c) && c != '\u{200D}'),
                "a hidden character in {t:?}"
            );
            assert!(
                !t.chars()
                    .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t'))),
                "a control character in {t:?}"
            );
            match rule("text", &t, 0, 10_000) {
                Ok(again) => assert_eq!(again, t, "accepted twice, changed"),
                Err(e) => panic!("{t:?} accepted, then refused: {}", e.message()),
            }
        }
    }
}
