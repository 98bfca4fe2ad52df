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
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: None,
            excerpt: Some((source[line_start..line_end].to_string(), column, width)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
