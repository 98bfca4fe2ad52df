//! Errors that point into the pipeline file: `file:line:column: message`,
//! the line itself with a caret, and a hint when there is one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem found in a pipeline (or on the command line that goes
/// with it), typed so an editor or a web UI can place it; `Display`
/// writes it as a terminal shows it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The pipeline file, when the problem is in it.
    pub file: Option<PathBuf>,
    /// Where in the file.
    pub place: Option<Place>,
    pub message: String,
    /// A hint, such as the valid name closest to a misspelt one.
    pub help: Option<String>,
}

/// A place in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Byte range in the file's text.
    pub span: Range<usize>,
    /// 1-based, in lines.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The line (or a part of it around the column), the caret's column
    /// in that text and the caret's width.
    excerpt: (String, usize, usize),
}

impl Diagnostic {
    /// A problem at byte range `span` of `source` (the text of `file`).
    pub fn at(file: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..span.end.clamp(start, line_end)]
            .chars()
            .count()
            .max(1);
        let (text, caret) = excerpt(&source[line_start..line_end], column);
        Diagnostic {
            file: Some(file.to_path_buf()),
            place: Some(Place {
                span,
                line,
                column,
                excerpt: (text, caret, width.min(EXCERPT_CHARS)),
            }),
            message: bounded(&message.into(), MAX_MESSAGE),
            help: None,
        }
    }

    /// A problem with no place in the file (a command-line override, two
    /// sinks writing one file, a file that cannot be read).
    pub fn plain(message: impl Into<String>) -> Self {
        Diagnostic {
            file: None,
            place: None,
            message: bounded(&message.into(), MAX_MESSAGE),
            help: None,
        }
    }

    /// Takes `secret` out of the message, the hint and the quoted line
    /// (a key someone wrote into a pipeline file is not printed back).
    pub fn redact(&mut self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        self.message = self.message.replace(secret, "<secret>");
        if let Some(help) = &mut self.help {
            *help = help.replace(secret, "<secret>");
        }
        if let Some(place) = &mut self.place {
            place.excerpt.0 = place.excerpt.0.replace(secret, "<secret>");
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A "did you mean" hint when `suggestion` is Some.
    pub fn suggest(self, suggestion: Option<String>) -> Self {
        match suggestion {
            Some(s) => self.help(format!("did you mean `{s}`?")),
            None => self,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, &self.place) {
            (Some(file), Some(place)) => {
                write!(
                    f,
                    "{}:{}:{}: {}",
                    file.display(),
                    place.line,
                    place.column,
                    self.message
                )?;
                let (text, column, width) = &place.excerpt;
                let number = place.line.to_string();
                let pad = " ".repeat(number.len());
                write!(
                    f,
                    "\n{pad} |\n{number} | {text}\n{pad} | {}{}",
                    " ".repeat(column - 1),
                    "^".repeat(*width)
                )?;
            }
            (Some(file), None) => write!(f, "{}: {}", file.display(), self.message)?,
            _ => write!(f, "{}", self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Characters of a line shown around the column (a pipeline line may be
/// megabytes long).
const EXCERPT_CHARS: usize = 100;
/// Longest message (they may quote a value from the file).
const MAX_MESSAGE: usize = 400;

/// The part of `line` around `column` (1-based, in characters), and the
/// caret's column within it.
fn excerpt(line: &str, column: usize) -> (String, usize) {
    let count = line.chars().count();
    if count <= EXCERPT_CHARS {
        return (line.to_string(), column);
    }
    let first = column
        .saturating_sub(EXCERPT_CHARS / 2 + 1)
        .min(count - EXCERPT_CHARS);
    let mut text: String = line.chars().skip(first).take(EXCERPT_CHARS).collect();
    let mut caret = column - first;
    if first > 0 {
        text.insert(0, '…');
        caret += 1;
    }
    if first + EXCERPT_CHARS < count {
        text.push('…');
    }
    (text, caret)
}

/// `text` cut to `max` characters.
pub fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_and_messages_are_shown_in_part() {
        let source = format!("a = \"{}\"\nb = 1", "x".repeat(1_000_000));
        let e = Diagnostic::at(
            Path::new("p.toml"),
            &source,
            500_000..500_001,
            "y".repeat(10_000),
        );
        let shown = e.to_string();
        assert!(shown.len() < 1000, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        // The caret sits under the column it names.
        let (text, caret) = (lines[2], lines[3]);
        assert_eq!(text.find('|'), caret.find('|'));
        assert!(text.starts_with("1 | …x") && text.ends_with("x…"), "{text}");
        let at = caret.chars().position(|c| c == '^').unwrap();
        assert_eq!(text.chars().nth(at), Some('x'));
        assert!(at > 40 && at < 70, "the column is near the middle: {at}");
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let src = "a = 1\nbb = \"x\"\n";
        let e = Diagnostic::at(Path::new("p.toml"), src, 11..14, "bad");
        let place = e.place.clone().unwrap();
        assert_eq!((place.line, place.column, place.span), (2, 6, 11..14));
        let text = e.to_string();
        assert!(text.starts_with("p.toml:2:6: bad"), "{text}");
        assert!(text.contains("2 | bb = \"x\"\n  |      ^^^"), "{text}");
    }
}
