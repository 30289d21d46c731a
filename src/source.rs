//! Source text with a line index: byte offsets to 1-based (line, character column).

/// Whether `needle` occurs in `haystack`: a vectorised substring search (`memchr::memmem`),
/// several times faster than `str::contains` on a whole file, where the rules' cheap "does this
/// file mention X at all" tests run (they were 1.7% of a cold run's instructions).
pub fn mentions(haystack: &str, needle: &str) -> bool {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether any of `needles` occurs in `haystack` ([`mentions`] of each in turn).
pub fn mentions_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| mentions(haystack, n))
}

/// Whether `comment` (a whole comment, delimiters included) is a doc comment (`///`, `//!`,
/// `/** */`, `/*! */`), by the lexer's rules: `////` and `/***` start plain comments, and `/**/`
/// is an empty one.
pub fn is_doc_comment(comment: &str) -> bool {
    match comment.as_bytes() {
        [b'/', b'/', b'/', b'/', ..] => false,
        [b'/', b'/', b'/' | b'!', ..] => true,
        [b'/', b'*', b'*', b'*', ..] | [b'/', b'*', b'*', b'/', ..] => false,
        [b'/', b'*', b'*' | b'!', ..] => true,
        _ => false,
    }
}

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
    /// Whether the text is all ASCII: a character column is then a byte column.
    ascii: bool,
}

impl SourceText {
    /// Index `text`.
    pub fn new(text: String) -> Self {
        let newlines = || memchr::memchr_iter(b'\n', text.as_bytes());
        // Counted first (a fast pass) so the index is allocated once, at its exact size.
        let mut line_starts = Vec::with_capacity(newlines().count() + 1);
        line_starts.push(0);
        line_starts.extend(newlines().map(|i| i + 1));
        let ascii = text.is_ascii();
        SourceText {
            text,
            line_starts,
            ascii,
        }
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
        self.column_offset(start, line.max(1), char_column)
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
        self.column_offset(start, line.max(1), char_column)
            .saturating_sub(base)
    }

    /// Byte offset of the `char_column`th character after the position `start` (a char
    /// boundary) of 1-based line `line`, clamped to that line's end.
    fn column_offset(&self, start: usize, line: usize, char_column: usize) -> usize {
        if self.ascii {
            // The line's end: before the next line's start (its `\n`), else the text's end.
            let line_end = self
                .line_starts
                .get(line)
                .map_or(self.text.len(), |&next| next - 1)
                .max(start);
            return (start + char_column).min(line_end);
        }
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
        check_parsed_offsets(text, "\u{feff}#!/usr/bin/env run".len());
    }

    #[test]
    fn ascii_parsed_offsets_match_proc_macro2() {
        let text = "#!/usr/bin/env run\r\nfn e() {\r\n    \"u\"; x.y(1)\r\n}\n  struct S;";
        assert!(SourceText::new(text.to_string()).ascii);
        check_parsed_offsets(text, "#!/usr/bin/env run".len());
    }

    fn check_parsed_offsets(text: &str, base: usize) {
        let src = SourceText::new(text.to_string());
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
