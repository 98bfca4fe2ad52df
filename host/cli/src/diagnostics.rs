//! Errors that point into the pipeline file: `file:line:column: message`,
//! the line itself with a caret, and a hint when there is one.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
    /// The source line and the caret under the offending text.
    excerpt: Option<(String, usize, usize)>,
}

impl ConfigError {
    /// An error at byte range `span` of `source` (the text of `file`).
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
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            message: bounded(&message.into(), MAX_MESSAGE),
            help: None,
            excerpt: Some((text, caret, width.min(EXCERPT_CHARS))),
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

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some((text, column, width)) = &self.excerpt {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            write!(
                f,
                "\n{pad} |\n{number} | {text}\n{pad} | {}{}",
                " ".repeat(column - 1),
                "^".repeat(*width)
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

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
        let e = ConfigError::at(
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
        let e = ConfigError::at(Path::new("p.toml"), src, 11..14, "bad");
        assert_eq!((e.line, e.column), (2, 6));
        let text = e.to_string();
        assert!(text.starts_with("p.toml:2:6: bad"), "{text}");
        assert!(text.contains("2 | bb = \"x\"\n  |      ^^^"), "{text}");
    }
}
