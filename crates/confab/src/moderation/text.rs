//! The one rule for display texts: every text a user writes for others to see as a name or
//! a label or a notice — nicknames, bios, tags, remarks, group names, descriptions,
//! announcements and group nicknames, room names and announcements, friend-request notes
//! and greetings, moment texts and places, gift messages, kick and ban reasons, notices.
//! (Message bodies are the conversation's content, not display text: they keep RTL marks
//! and the like, and are screened by the word filter only.)
//!
//! A display text is trimmed, counted in characters, and refused (422 `validation_failed`
//! naming its field) when it holds a character that hides or reorders text ([`hidden`]):
//! bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069), marks (U+200E/F,
//! U+061C), zero-width characters, the word joiner and invisible operators, line and
//! paragraph separators (U+2028/2029), tag characters (U+E0000–E007F), the BOM, the soft
//! hyphen, and fillers that draw nothing (Hangul fillers U+115F, U+1160, U+3164, U+FFA0…).
//! A non-empty text must also show something: one made only of blanks (whitespace, U+2800,
//! combining marks, variation selectors) is refused. The zero-width joiner is allowed where
//! emoji use it, between two pictographs (👩‍💻), and nowhere else. Control characters are
//! refused too, but for newlines and tabs in multi-line texts.
//!
//! Decision record 0024 has the reasons.

use crate::error::ApiError;

/// Whether `c` hides or reorders text, or draws nothing where it stands: never allowed in
/// a display text (but the zero-width joiner between two pictographs; see [`line`]).
pub fn hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{034F}'                    // combining grapheme joiner
        | '\u{061C}'                    // Arabic letter mark
        | '\u{115F}' | '\u{1160}'       // Hangul choseong / jungseong fillers
        | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels (invisible)
        | '\u{180B}'..='\u{180F}'       // Mongolian variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'       // zero-width space, (non-)joiner, LRM, RLM
        | '\u{2028}' | '\u{2029}'       // line and paragraph separators
        | '\u{202A}'..='\u{202E}'       // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, isolates
        | '\u{3164}'                    // Hangul filler
        | '\u{FEFF}'                    // BOM / zero-width no-break space
        | '\u{FFA0}'                    // half-width Hangul filler
        | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotation
        | '\u{1D173}'..='\u{1D17A}'     // musical invisible formatting
        | '\u{E0000}'..='\u{E007F}'     // tag characters
    )
}

/// Whether `c` draws nothing by itself: whitespace, the Braille blank, combining marks and
/// variation selectors. A text made only of these (and nothing else) shows nothing.
fn blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{2800}'
            | '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FE20}'..='\u{FE2F}'
            | '\u{E0100}'..='\u{E01EF}')
}

/// Emoji and pictographic symbols, which the zero-width joiner may join.
fn pictograph(c: char) -> bool {
    matches!(c,
        '\u{2300}'..='\u{23FF}'
        | '\u{2600}'..='\u{27BF}'
        | '\u{2B00}'..='\u{2BFF}'
        | '\u{1F000}'..='\u{1FAFF}')
}

/// Where `text` breaks the rule, if it does: the first character not allowed.
fn first_refused(text: &str, multiline: bool) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_control() && !(multiline && (c == '\n' || c == '\t')) {
            return Some(c);
        }
        if c == '\u{200D}' {
            // Before: a pictograph, perhaps with its presentation selector or skin tone.
            let before = chars[..i]
                .iter()
                .rev()
                .find(|&&p| !matches!(p, '\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}'));
            let after = chars.get(i + 1);
            if before.is_some_and(|&p| pictograph(p)) && after.is_some_and(|&n| pictograph(n)) {
                continue;
            }
            return Some(c);
        }
        if hidden(c) {
            return Some(c);
        }
    }
    None
}

fn check(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, ApiError> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid(
            field,
            format!("{field}: {min} to {max} characters"),
        ));
    }
    if let Some(c) = first_refused(t, multiline) {
        let what = if multiline {
            "control characters other than newlines and tabs"
        } else {
            "control characters"
        };
        return Err(ApiError::invalid(
            field,
            format!(
                "{field}: {what}, and invisible or text-reordering characters, are not allowed (found U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    if n > 0 && t.chars().all(blank) {
        return Err(ApiError::invalid(
            field,
            format!("{field}: must show at least one visible character"),
        ));
    }
    Ok(t.to_owned())
}

/// A one-line display text of `min..=max` characters, trimmed.
pub fn line(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, ApiError> {
    check(field, raw, min, max, false)
}

/// A multi-line display text of `min..=max` characters, trimmed; newlines and tabs allowed.
pub fn lines(field: &'static str, raw: &str, min: usize, max: usize) -> Result<String, ApiError> {
    check(field, raw, min, max, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_rule_refuses() {
        for bad in [
            "a\u{202E}b",
            "a\u{202A}b",
            "a\u{2066}b\u{2069}",
            "a\u{200B}b",
            "a\u{200E}b",
            "a\u{061C}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{E0041}b",
            "a\u{FEFF}b",
            "a\u{00AD}b",
            "a\u{0}b",
            "a\nb",
            "\u{3164}",
            "\u{3164}\u{3164}",
            "\u{115F}",
            "\u{2800}",
            "\u{2800} \u{2800}",
            "\u{0301}\u{0301}",
            "a\u{200D}b",
            "\u{200D}😀",
        ] {
            assert!(line("name", bad, 1, 64).is_err(), "{bad:?}");
        }
        assert!(lines("text", "a\u{2028}b", 0, 64).is_err());
        assert!(lines("text", "a\rb", 0, 64).is_err());
    }

    #[test]
    fn what_the_rule_keeps() {
        for good in [
            "Ann",
            "😀 中文 عربى",
            "👩\u{200D}💻",
            "❤\u{FE0F}\u{200D}🔥",
            "👍🏽\u{200D}👍",
            "é\u{0301}",
            "한글",
            "a\u{2800}b",
        ] {
            assert_eq!(line("name", good, 1, 64).unwrap(), good, "{good:?}");
        }
        assert_eq!(line("name", "  Ann  ", 1, 64).unwrap(), "Ann");
        assert_eq!(lines("text", "a\n\tb", 0, 64).unwrap(), "a\n\tb");
        assert_eq!(lines("text", "   ", 0, 64).unwrap(), "");
        assert!(line("name", "", 1, 64).is_err());
        assert!(line("name", &"x".repeat(65), 1, 64).is_err());
    }
}
