//! Data tables no rule reads: `[..]` groups that hold nothing but literals (numbers, strings,
//! chars, `true`/`false`, in nested brackets and parentheses), such as generated Unicode, CRC,
//! hashing or compression tables. Their interiors are blanked in the text handed to the parser
//! ([`scan::parser_text`]): syn would build a token, a literal and its value for every entry
//! (4% of the full corpus's bytes, files of 1-3 MB among them), and a tree of plain literals
//! holds no path, call, method or `.await` for any rule to look at. The table's brackets stay,
//! so it parses as an empty array (or slice pattern) where it stood.

use std::ops::Range;

use super::scan;

/// The interiors (between the brackets) of the outermost groups among `large_brackets` (the
/// `[..]` ranges [`scan::scan`] records) that hold only literals and are all ASCII (so that
/// blanking keeps every line's characters), in text order.
pub fn literal_tables(text: &str, large_brackets: &[Range<usize>]) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut groups: Vec<&Range<usize>> = large_brackets
        .iter()
        .filter(|g| g.start < g.end && g.end <= b.len())
        .collect();
    groups.sort_by_key(|g| (g.start, std::cmp::Reverse(g.end)));
    let mut tables: Vec<Range<usize>> = Vec::new();
    for g in groups {
        if tables.last().is_some_and(|t| g.start < t.end) {
            // Inside a table already found.
            continue;
        }
        let inner = g.start + 1..g.end - 1;
        // The cheap refusal first: a group of code stops at its first name.
        if only_literals(b, inner.clone()) && b[inner.clone()].is_ascii() {
            tables.push(inner);
        }
    }
    tables
}

/// Whether `b[r]` is nothing but literals, separators, signs and nested brackets and
/// parentheses (with comments and whitespace between them).
fn only_literals(b: &[u8], r: Range<usize>) -> bool {
    let end = r.end;
    let mut i = r.start;
    while i < end {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b'-' | b'.' | b'&' | b'(' | b')' | b'['
            | b']' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = memchr::memchr(b'\n', &b[i..end]).map_or(end, |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = scan::skip_block_comment(b, i, end),
            b'"' => i = scan::skip_string(b, i + 1),
            b'\'' => match char_literal_end(b, i) {
                Some(j) => i = j,
                None => return false,
            },
            b'0'..=b'9' => i = word_end(b, i, end),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                i = word_end(b, i, end);
                match &b[start..i] {
                    b"true" | b"false" => {}
                    b"r" | b"br" | b"cr" if scan::is_raw_string_start(b, i - 1) => {
                        i = scan::skip_raw_string(b, i)
                    }
                    b"b" | b"c" if b.get(i) == Some(&b'"') => i = scan::skip_string(b, i + 1),
                    b"b" if b.get(i) == Some(&b'\'') => match char_literal_end(b, i) {
                        Some(j) => i = j,
                        None => return false,
                    },
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    // A string or comment that ran past the group means the group is not what it seemed.
    i == end
}

/// The end of the identifier or number that starts at `i` (a number's digits, suffix, exponent
/// and radix letters are word characters too).
fn word_end(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// The end of the char literal whose opening quote is at `i`; `None` for a lifetime or label.
fn char_literal_end(b: &[u8], i: usize) -> Option<usize> {
    let j = scan::skip_char_or_lifetime(b, i);
    (j >= i + 3 && b[j - 1] == b'\'').then_some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables of `text`, as the texts between their brackets.
    fn tables(text: &str) -> Vec<&str> {
        let pre = scan::scan(text);
        literal_tables(text, &pre.large_brackets)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    fn long(entry: &str) -> String {
        entry.repeat(300 / entry.len() + 1)
    }

    #[test]
    fn tables_of_literals_are_found_outermost_first() {
        let rows = long("(0x1F600, 'a', b'b', -1.5e-3, 10u8, true), ");
        let text = format!("static T: &[(u32, char)] = &[\n{rows}\n// note\n[1, 2], /* c */ ];\n");
        let found = tables(&text);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with('\n') && found[0].ends_with("/* c */ "));
        let strings = long(r##""a\"]b", r#"x"#, br"y", c"z", b"w", "##);
        assert_eq!(
            tables(&format!("const W: &[&str] = &[{strings}];")).len(),
            1
        );
    }

    #[test]
    fn groups_with_code_or_other_text_are_not_tables() {
        // A name, a call, a path, a macro, a lifetime, a repeat length, non-ASCII, a
        // short group.
        for entry in [
            "X, ", "f(1), ", "a::B, ", "m!(1), ", "'a, ", "0; ", "\"é\", ", "1 + 2, ",
        ] {
            let text = format!("static T: [u8; 9] = [{}];", long(entry));
            assert!(tables(&text).is_empty(), "{entry}");
        }
        assert!(tables("const S: [u8; 3] = [1, 2, 3];").is_empty());
        // An inner table survives an outer group that holds code.
        let text = format!("const T: X = [f(), [{}]];", long("1, "));
        assert_eq!(tables(&text).len(), 1);
    }

    #[test]
    fn blanked_tables_keep_lines_and_offsets_and_still_parse() {
        let text = format!(
            "/// doc\nstatic T: [u16; 2] = [\n{}\n];\nfn f() {{ g(1) }}\n",
            long("1, 2,\n")
        );
        let pre = scan::scan(&text);
        let blank = literal_tables(&text, &pre.large_brackets);
        let parsed = scan::parser_text(&text, &pre.comments, &blank);
        assert_eq!(parsed.len(), text.len());
        assert_eq!(parsed.lines().count(), text.lines().count());
        assert_eq!(parsed.find("fn f()"), text.find("fn f()"));
        assert!(!parsed.contains("1, 2"));
        let file = syn::parse_str::<syn::File>(&parsed).unwrap();
        assert_eq!(file.items.len(), 2);
    }

    #[test]
    fn the_engine_fixture_holds_the_tables_it_describes() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/_engine/data-tables.rs"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let found = tables(&text);
        // The static tables, the index, the two local tables.
        assert_eq!(found.len(), 5, "{found:#?}");
        let pre = scan::scan(&text);
        let blank = literal_tables(&text, &pre.large_brackets);
        let parsed = scan::parser_text(&text, &pre.comments, &blank);
        // Blanked, the index no longer parses: linting falls back to the text as written.
        assert!(syn::parse_str::<syn::File>(&parsed).is_err());
        assert!(syn::parse_str::<syn::File>(&text).is_ok());
    }
}
