//! Text that comes from a guest (its printed lines, names, summaries,
//! parameter docs, error messages, function names in a backtrace) made safe
//! to show: control characters, escape sequences and invisible
//! direction-changing characters are written out as `\u{..}`, so a plugin
//! can neither move the cursor, clear the screen, forge a host line with a
//! carriage return nor reorder what the user reads; and every text is
//! bounded.

use std::fmt::Write;

/// Longest one-line text (an error, a printed line, a name in a backtrace).
pub const MAX_LINE: usize = 1000;
/// Longest summary or parameter doc.
pub const MAX_DOC: usize = 4000;

/// `text` with anything that could act on a terminal written out, cut to
/// `max` characters (with a note saying how much was left out).
pub fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (shown, (i, c)) in text.char_indices().enumerate() {
        if shown >= max {
            let _ = write!(out, "… ({} more bytes)", text.len() - i);
            break;
        }
        if c == ' ' || !(c.is_control() || is_invisible_format(c)) {
            out.push(c);
        } else if c == '\t' {
            out.push(' ');
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    out
}

/// Characters that change how text around them is displayed without being
/// seen (Unicode's format characters and separators): bidirectional
/// overrides and isolates, zero-width joiners and marks, the soft hyphen,
/// the byte-order mark, interlinear annotation, tag characters, line and
/// paragraph separators.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00ad}'
        | '\u{061c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}'
    )
}

/// Whether `name` is a plain identifier: what plugin, parameter and input
/// names must be (they are typed in pipeline files and printed as is).
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_written_out() {
        assert_eq!(
            sanitize("ok\x1b[2J\rerror: forged\u{202e}txt", 100),
            "ok\\u{1b}[2J\\u{d}error: forged\\u{202e}txt"
        );
        assert_eq!(
            sanitize("a\tb\nc\u{7f}\u{9b}", 100),
            "a b\\u{a}c\\u{7f}\\u{9b}"
        );
        assert_eq!(sanitize("中文 ok", 100), "中文 ok");
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        let long = "x".repeat(5000);
        let cut = sanitize(&long, 10);
        assert_eq!(cut, format!("{}… (4990 more bytes)", "x".repeat(10)));
    }

    #[test]
    fn identifiers_are_plain() {
        assert!(is_identifier("strength"));
        assert!(is_identifier("lower-third_2.v1"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier("x\x1b"));
        assert!(!is_identifier(&"a".repeat(65)));
    }
}
