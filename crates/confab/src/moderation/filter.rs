//! The sensitive-word filter: normalisation, the compiled automaton, masking, and
//! [`check`], the one call every feature makes on user-written text.
//!
//! Matching runs on a *normalised* copy of the text (see [`normalise`]) that remembers, for
//! every normalised byte, which original character it came from, so a match is masked in
//! the original text exactly, one `*` per original character. Normalisation and matching
//! are both linear in the input (Aho-Corasick, leftmost-longest, non-overlapping).

use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

use crate::config::FilterAction;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest sensitive word, in normalised characters.
pub const MAX_WORD_CHARS: usize = 64;

/// Text after normalisation, with the way back to the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// The normalised text: lowercase, half-width, no invisible characters, no separators.
    pub text: String,
    /// For each byte of `text`, the byte range `[start, end)` of the original character it
    /// came from (one original character may give several normalised ones).
    pub origin: Vec<(usize, usize)>,
}

/// Characters that change nothing visible and are used to break words up: zero-width
/// spaces and joiners, bidi marks and overrides, word joiner and invisible operators, the
/// BOM, the soft hyphen.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{00AD}')
}

/// Full-width ASCII forms (U+FF01..U+FF5E) to ASCII, the ideographic space to a space.
fn half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Characters people put between the letters of a word to slip past a filter: whitespace,
/// ASCII punctuation and symbols, Latin-1 punctuation, general punctuation, CJK punctuation
/// and the half-width katakana middle dot family. Letters, digits, CJK ideographs and emoji
/// are never separators (an emoji between two words is not a way to join them).
fn separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_ascii_punctuation()
        || c.is_control()
        || matches!(c,
            '\u{00A1}'..='\u{00BF}'
            | '\u{00D7}'
            | '\u{00F7}'
            | '\u{2010}'..='\u{205E}'
            | '\u{3001}'..='\u{303F}'
            | '\u{30FB}'
            | '\u{FF61}'..='\u{FF65}')
}

/// Normalises `input` for matching: strips invisible characters, folds full-width forms to
/// half-width, lowercases (Unicode), and drops separators. Pure and idempotent.
pub fn normalise(input: &str) -> Normalised {
    let mut text = String::with_capacity(input.len());
    let mut origin = Vec::with_capacity(input.len());
    for (start, c) in input.char_indices() {
        let end = start + c.len_utf8();
        if invisible(c) {
            continue;
        }
        for l in half_width(c).to_lowercase() {
            if invisible(l) || separator(l) {
                continue;
            }
            text.push(l);
            origin.extend(std::iter::repeat_n((start, end), l.len_utf8()));
        }
    }
    Normalised { text, origin }
}

/// A word as stored and compiled: normalised; `None` when nothing is left or it is too long.
pub fn normalise_word(word: &str) -> Option<String> {
    let n = normalise(word.trim()).text;
    (!n.is_empty() && n.chars().count() <= MAX_WORD_CHARS).then_some(n)
}

/// Words of a words file: one per line, `#` starts a comment, blank lines ignored.
pub fn parse_words_file(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(normalise_word)
        .collect()
}

/// A compiled word list. Immutable: a change builds a new one.
#[derive(Debug, Default)]
pub struct Filter {
    automaton: Option<AhoCorasick>,
    words: usize,
}

impl Filter {
    /// Compiles normalised words (empty and duplicate ones are fine).
    pub fn new<I, S>(words: I) -> anyhow::Result<Filter>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list: Vec<String> = words
            .into_iter()
            .filter_map(|w| normalise_word(w.as_ref()))
            .collect();
        list.sort();
        list.dedup();
        if list.is_empty() {
            return Ok(Filter::default());
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&list)?;
        Ok(Filter {
            automaton: Some(automaton),
            words: list.len(),
        })
    }

    /// How many distinct words it matches.
    pub fn len(&self) -> usize {
        self.words
    }

    /// Whether it matches nothing at all.
    pub fn is_empty(&self) -> bool {
        self.words == 0
    }

    /// The byte ranges of `text` that hold sensitive words, in order, not overlapping.
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let n = normalise(text);
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for m in ac.find_iter(n.text.as_str()) {
            let (Some(first), Some(last)) = (n.origin.get(m.start()), n.origin.get(m.end() - 1))
            else {
                continue;
            };
            match spans.last_mut() {
                // One original character can yield several normalised ones (İ → i̇), so
                // two matches may meet inside it.
                Some(prev) if prev.1 >= first.0 => prev.1 = prev.1.max(last.1),
                _ => spans.push((first.0, last.1)),
            }
        }
        spans
    }

    /// `text` with every character inside a match replaced by `*`; `None` when nothing
    /// matched. The result has exactly as many characters as `text`.
    pub fn mask(&self, text: &str) -> Option<String> {
        let spans = self.find(text);
        if spans.is_empty() {
            return None;
        }
        Some(mask_spans(text, &spans))
    }
}

fn mask_spans(text: &str, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut spans = spans.iter().peekable();
    for (i, c) in text.char_indices() {
        while spans.next_if(|s| s.1 <= i).is_some() {}
        match spans.peek() {
            Some(s) if s.0 <= i => out.push('*'),
            _ => out.push(c),
        }
    }
    out
}

/// The filter a node uses now: swapped whole when the word list changes, so a reader holds
/// the lock only to clone an `Arc`.
pub struct Handle {
    file_words: Vec<String>,
    current: RwLock<Arc<Filter>>,
}

impl Handle {
    /// A handle over the words file's words (kept for every rebuild) and the table's.
    pub fn new(file_words: Vec<String>, table_words: &[String]) -> anyhow::Result<Handle> {
        let filter = Filter::new(file_words.iter().chain(table_words))?;
        Ok(Handle {
            file_words,
            current: RwLock::new(Arc::new(filter)),
        })
    }

    /// The current filter.
    pub fn get(&self) -> Arc<Filter> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds from the file's words and `table_words`, then swaps it in.
    pub fn rebuild(&self, table_words: &[String]) -> anyhow::Result<()> {
        let filter = Arc::new(Filter::new(self.file_words.iter().chain(table_words))?);
        match self.current.write() {
            Ok(mut g) => *g = filter,
            Err(poisoned) => *poisoned.into_inner() = filter,
        }
        Ok(())
    }
}

/// What [`check`] made of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The text to store and show: the original, or masked.
    pub text: String,
    /// A sensitive word matched and the action is `review`: the caller files a report once
    /// the content is stored (`screen::file_review`).
    pub review: bool,
}

/// Screens user-written text with the configured action (features go through
/// `moderation::screen`, which wraps this): `mask` gives the masked text, `reject` fails with
/// `content_blocked` naming `field`, `review` gives the masked text and `review = true`.
/// Text without a sensitive word comes back unchanged.
pub(super) fn check(
    state: &AppState,
    field: &'static str,
    text: &str,
) -> Result<Checked, ApiError> {
    screen(&current(state), state.config.moderation.action, field, text)
}

/// The filter in force on this node now.
pub fn current(state: &AppState) -> Arc<Filter> {
    super::service::runtime(state).filter.get()
}

/// [`check`] without the state (pure; unit-tested).
pub fn screen(
    filter: &Filter,
    action: FilterAction,
    field: &'static str,
    text: &str,
) -> Result<Checked, ApiError> {
    let Some(masked) = filter.mask(text) else {
        return Ok(Checked {
            text: text.to_owned(),
            review: false,
        });
    };
    match action {
        FilterAction::Mask => Ok(Checked {
            text: masked,
            review: false,
        }),
        FilterAction::Review => Ok(Checked {
            text: masked,
            review: true,
        }),
        FilterAction::Reject => Err(super::error::ModerationError::Blocked { field }.into()),
    }
}

/// Fuzz target: any bytes, read as lossy UTF-8,
/// normalise and mask without panicking; masking keeps the character count; normalising is
/// idempotent; every origin range is a character boundary range of the input. (Masking is
/// not idempotent and need not be: stars are separators, so the letters either side of a
/// masked word may spell another one.)
pub fn fuzz_normaliser(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let n = normalise(&text);
    assert_eq!(n.origin.len(), n.text.len());
    for &(s, e) in &n.origin {
        assert!(s < e && e <= text.len());
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
    }
    assert_eq!(normalise(&n.text).text, n.text, "normalise is idempotent");
    // A fixed list with ASCII, CJK, full-width-looking and case-changing words.
    thread_local! {
        static FILTER: Filter = Filter::new(["bad", "ab", "b", "坏蛋", "ǅx", "İ", "ss"]).unwrap_or_default();
    }
    FILTER.with(|f| {
        let masked = f.mask(&text).unwrap_or_else(|| text.to_string());
        assert_eq!(masked.chars().count(), text.chars().count());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_proto::ErrorCode;

    fn f(words: &[&str]) -> Filter {
        Filter::new(words).unwrap()
    }

    #[test]
    fn normalises_case_width_invisibles_and_separators() {
        assert_eq!(normalise("BaD").text, "bad");
        assert_eq!(normalise("ＢＡＤ").text, "bad");
        assert_eq!(normalise("b\u{200B}a\u{200D}d\u{FEFF}").text, "bad");
        assert_eq!(normalise("b\u{202E}a\u{00AD}d\u{2066}").text, "bad");
        assert_eq!(normalise("b.a-d_x*y|z, w\u{3000}！").text, "badxyzw");
        assert_eq!(normalise("坏 蛋😀").text, "坏蛋😀");
        assert_eq!(normalise("").text, "");
    }

    #[test]
    fn origins_point_at_original_characters() {
        let s = "Ａ.b";
        let n = normalise(s);
        assert_eq!(n.text, "ab");
        assert_eq!(n.origin, vec![(0, 3), (4, 5)]);
    }

    #[test]
    fn masks_exactly_the_matched_characters() {
        let filter = f(&["bad", "坏蛋"]);
        assert_eq!(filter.mask("so bad!").unwrap(), "so ***!");
        assert_eq!(filter.mask("so BAD").unwrap(), "so ***");
        assert_eq!(filter.mask("so ｂａｄ day").unwrap(), "so *** day");
        assert_eq!(filter.mask("b.a.d").unwrap(), "*****");
        assert_eq!(filter.mask("b\u{200B}ad").unwrap(), "****");
        assert_eq!(filter.mask("你是坏蛋😀").unwrap(), "你是**😀");
        assert_eq!(filter.mask("坏 蛋").unwrap(), "***");
        assert_eq!(filter.mask("a 😀 b a d 🎉").unwrap(), "a 😀 ***** 🎉");
        assert_eq!(filter.mask("good 你好 😀"), None);
        assert!(filter.mask("badbad").unwrap().chars().all(|c| c == '*'));
    }

    #[test]
    fn leftmost_longest_wins() {
        let filter = f(&["ab", "abcd"]);
        assert_eq!(filter.mask("xabcdx").unwrap(), "x****x");
        assert_eq!(filter.mask("xabcx").unwrap(), "x**cx");
    }

    #[test]
    fn words_are_normalised_and_files_parsed() {
        assert_eq!(normalise_word(" B-A-D "), Some("bad".into()));
        assert_eq!(normalise_word("..."), None);
        assert_eq!(normalise_word(&"x".repeat(MAX_WORD_CHARS + 1)), None);
        let words = parse_words_file("# a comment\nBad\n\n  spam # trailing\n...\n");
        assert_eq!(words, vec!["bad".to_string(), "spam".to_string()]);
        let filter = f(&["Ｓ.P.A.M"]);
        assert_eq!(filter.mask("no spam").unwrap(), "no ****");
    }

    #[test]
    fn actions() {
        let filter = f(&["bad"]);
        let ok = screen(&filter, FilterAction::Reject, "body.text", "fine").unwrap();
        assert_eq!((ok.text.as_str(), ok.review), ("fine", false));
        let m = screen(&filter, FilterAction::Mask, "body.text", "bad").unwrap();
        assert_eq!((m.text.as_str(), m.review), ("***", false));
        let r = screen(&filter, FilterAction::Review, "body.text", "bad").unwrap();
        assert_eq!((r.text.as_str(), r.review), ("***", true));
        let e = screen(&filter, FilterAction::Reject, "body.text", "bad").unwrap_err();
        assert_eq!(e.code(), ErrorCode::ContentBlocked);
    }

    #[test]
    fn handle_swaps_whole_filters() {
        let h = Handle::new(vec!["bad".into()], &[]).unwrap();
        let before = h.get();
        h.rebuild(&["worse".into()]).unwrap();
        assert_eq!(before.len(), 1);
        assert_eq!(h.get().len(), 2);
        assert!(h.get().mask("worse").is_some() && h.get().mask("bad").is_some());
    }

    /// The fuzz target over a seed corpus, then random inputs for a fixed budget: random
    /// bytes, and random strings drawn from characters the normaliser treats specially.
    #[test]
    fn fuzz_normaliser_seeds_and_random_inputs() {
        use rand::{Rng, SeedableRng};
        let seeds: &[&[u8]] = &[
            b"",
            b"bad",
            b"B.A.D",
            "ｂａｄ　坏\u{200B}蛋".as_bytes(),
            "İİİ ǅǅ ẞ ß ﬀ".as_bytes(),
            "\u{202E}dab\u{202C}".as_bytes(),
            b"\xff\xfe\x00bad\xc3",
            "a\u{0307}\u{0130}b".as_bytes(),
        ];
        for s in seeds {
            fuzz_normaliser(s);
        }
        let seed = rand::rng().random::<u64>();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let alphabet: Vec<char> = "abdsxBADSX İıǅǄẞßﬀ.-_*|,\u{200B}\u{200D}\u{202E}\u{2066}\u{FEFF}\u{00AD}ＢＡＤ　坏蛋😀é\u{0301}\u{0307}"
            .chars()
            .collect();
        for round in 0..3000 {
            let len = rng.random_range(0..48);
            let bytes: Vec<u8> = if round % 2 == 0 {
                (0..len).map(|_| rng.random()).collect()
            } else {
                (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect::<String>()
                    .into_bytes()
            };
            let r = std::panic::catch_unwind(|| fuzz_normaliser(&bytes));
            assert!(r.is_ok(), "seed {seed}, round {round}, input {bytes:?}");
        }
    }
}
