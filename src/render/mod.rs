//! Output formats. Each is a pure function of a finished [`Report`]: no file reads, no globals.

use std::io::{self, Write};

use crate::diagnostic::Report;

pub mod short;

/// The output formats (names are part of the CLI contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette graphical report with snippets, labels and help, and a summary line.
    Human,
    /// `path:line:col: severity[rule] message`, one a line.
    Short,
    /// The versioned JSON document.
    Json,
    /// GitHub Actions workflow commands.
    Github,
    /// SARIF 2.1.0.
    Sarif,
}

impl Format {
    /// Whether this format is for people (gets the summary footer).
    pub fn is_human(self) -> bool {
        matches!(self, Format::Human)
    }
}

/// Presentation settings that do not change content.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    /// Use ANSI colors (human format only).
    pub color: bool,
    /// Terminal width for wrapping (human format only); None: 100.
    pub width: Option<usize>,
}

/// Renders `report` in `format` to `out`.
pub fn render(
    format: Format,
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let _ = opts;
    match format {
        Format::Short | Format::Human | Format::Json | Format::Github | Format::Sarif => {
            short::render(report, out)
        }
    }
}
