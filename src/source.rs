//! Source text with a line index: byte offsets to 1-based (line, character column).

/// A 1-based line/column position (columns counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column in characters.
    pub column: usize,
}

/// A file's text and the byte offset of each line start.
#[derive(Debug)]
pub struct SourceText {
    text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    /// Index `text`.
    pub fn new(text: String) -> Self {
        let newlines = || memchr::memchr_iter(b'\n', text.as_bytes());
        // Counted first (a fast pass) so the index is allocated once, at its exact size.
        let mut line_starts = Vec::with_capacity(newlines().count() + 1);
        line_starts.push(0);
        line_starts.extend(newlines().map(|i| i + 1));
        SourceText { text, line_starts }
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and character column of byte offset `offset` (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let end = floor_char_boundary(&self.text, offset).max(start);
        let column = self.text[start..end].chars().count();
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    /// Byte offset of a 1-based line and 0-based *character* column (as proc-macro2 reports).
    pub fn offset_of(&self, line: usize, char_column: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        self.column_offset(start, char_column)
    }

    /// Byte offset, in the text parsed from byte `base` on (after a BOM or shebang), of a 1-based
    /// line and 0-based character column of that parsed text: what `Span::byte_range` gives for
    /// the position `Span::start` reports, without its per-file map of character offsets.
    pub fn parsed_offset(&self, base: usize, line: usize, char_column: usize) -> usize {
        let start = match line {
            0 | 1 => base.min(self.text.len()),
            _ => match self.line_starts.get(line - 1) {
                Some(&s) => s,
                None => self.text.len(),
            },
        };
        self.column_offset(start, char_column).saturating_sub(base)
    }

    /// Byte offset of the `char_column`th character after the line position `start` (a char
    /// boundary), clamped to that line's end.
    fn column_offset(&self, start: usize, char_column: usize) -> usize {
        let rest = &self.text[start..];
        let ascii = rest.as_bytes().get(..char_column).filter(|b| b.is_ascii());
        if let Some(prefix) = ascii
            && !prefix.contains(&b'\n')
        {
            return start + char_column;
        }
        let line_end = rest.find('\n').map_or(self.text.len(), |i| start + i);
        rest.char_indices()
            .nth(char_column)
            .map_or(line_end, |(i, _)| (start + i).min(line_end))
    }

    /// The text of the 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let src = SourceText::new("ab\né x\n".to_string());
        assert_eq!(src.position(0), Position { line: 1, column: 1 });
        assert_eq!(src.position(3), Position { line: 2, column: 1 });
        // 'é' is two bytes; 'x' is at byte 6, character column 3.
        assert_eq!(src.position(6), Position { line: 2, column: 3 });
        assert_eq!(src.offset_of(2, 2), 6);
        assert_eq!(src.line_text(2), "é x");
    }

    #[test]
    fn parsed_offsets_match_proc_macro2() {
        let text = "\u{feff}#!/usr/bin/env run\nfn é() { \"ü\"; }\n  struct S;\n";
        let src = SourceText::new(text.to_string());
        let base = "\u{feff}#!/usr/bin/env run".len();
        let parsed = &text[base..];
        let file: syn::File = syn::parse_str(parsed).unwrap();
        fn spans_of(ts: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::Span>) {
            for tt in ts {
                out.push(tt.span());
                if let proc_macro2::TokenTree::Group(g) = tt {
                    out.push(g.span_open());
                    out.push(g.span_close());
                    spans_of(g.stream(), out);
                }
            }
        }
        let mut spans = vec![proc_macro2::Span::call_site()];
        spans_of(quote::ToTokens::to_token_stream(&file), &mut spans);
        assert!(spans.len() > 12);
        for span in spans {
            let (s, e) = (span.start(), span.end());
            let ours = src.parsed_offset(base, s.line, s.column)
                ..src.parsed_offset(base, e.line, e.column);
            assert_eq!(ours, span.byte_range(), "{:?}", &parsed[span.byte_range()]);
        }
    }
}
