//! A cheap lexical pre-scan, run before parsing: maximum bracket nesting depth (syn recurses and
//! would overflow its stack on absurdly deep input) and the text of every comment (for
//! suppression comments, and to hand doc comments to the parser as plain ones). Strings, chars,
//! raw strings and comments are skipped correctly so that brackets inside them do not count.

/// What the pre-scan found.
#[derive(Debug, Default, Clone)]
pub struct ScanResult {
    /// Deepest `(`/`[`/`{` nesting reached.
    pub max_depth: usize,
    /// Byte offset where `max_depth` was first reached.
    pub deepest_at: usize,
    /// Every comment: (byte range of the whole comment, including `//` or `/*`).
    pub comments: Vec<std::ops::Range<usize>>,
    /// Every `[..]` group of at least [`LARGE_BRACKET_BYTES`], brackets included, in the order
    /// they close (inner groups before the group that holds them).
    pub large_brackets: Vec<std::ops::Range<usize>>,
}

/// The size from which a `[..]` group is recorded in [`ScanResult::large_brackets`]: the data
/// tables worth not parsing (found by the `inert` module) are far larger, index expressions and
/// short arrays far smaller.
pub const LARGE_BRACKET_BYTES: usize = 256;

/// The bytes [`scan`] acts on; runs of other bytes (most of any source) are skipped in a tight
/// loop.
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let special = b"/\"r'([{)]},;<>";
    let mut k = 0;
    while k < special.len() {
        table[special[k] as usize] = true;
        k += 1;
    }
    table
};

/// Scans `text` once. Never panics, on any input.
pub fn scan(text: &str) -> ScanResult {
    let b = text.as_bytes();
    let mut out = ScanResult::default();
    let mut depth = 0usize;
    // Generic nesting (`Vec<Vec<..>>`) recurses in the parser too but has no bracket tokens:
    // count lone `<` / `>`, reset at every delimiter and separator so comparisons and shifts in
    // ordinary code never accumulate.
    let mut angle = 0usize;
    // The open `[` groups: (depth inside the group, offset of the `[`).
    let mut open_brackets: Vec<(usize, usize)> = Vec::new();
    let mut i = 0usize;
    while i < b.len() {
        if !SPECIAL[b[i] as usize] {
            i += 1;
            while i < b.len() && !SPECIAL[b[i] as usize] {
                i += 1;
            }
            continue;
        }
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let start = i;
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                out.comments.push(start..i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let start = i;
                i = skip_block_comment(b, i, b.len());
                out.comments.push(start..i);
                continue;
            }
            b'"' => {
                i = skip_string(b, i + 1);
                continue;
            }
            b'r' if is_raw_string_start(b, i) => {
                i = skip_raw_string(b, i + 1);
                continue;
            }
            b'\'' => {
                i = skip_char_or_lifetime(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                angle = 0;
                if depth > out.max_depth {
                    out.max_depth = depth;
                    out.deepest_at = i;
                }
                if b[i] == b'[' {
                    open_brackets.push((depth, i));
                }
            }
            b')' | b']' | b'}' => {
                if let Some(&(d, start)) = open_brackets.last()
                    && d == depth
                {
                    open_brackets.pop();
                    if b[i] == b']' && i + 1 - start >= LARGE_BRACKET_BYTES {
                        out.large_brackets.push(start..i + 1);
                    }
                }
                depth = depth.saturating_sub(1);
                angle = 0;
            }
            b',' | b';' => angle = 0,
            b'<' if b.get(i + 1) != Some(&b'=') && b.get(i + 1) != Some(&b'-') => {
                angle += 1;
                if angle > out.max_depth {
                    out.max_depth = angle;
                    out.deepest_at = i;
                }
            }
            b'>' if i > 0 && b[i - 1] != b'-' && b[i - 1] != b'=' => {
                angle = angle.saturating_sub(1)
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The text handed to the parser: `text` with every doc comment among `comments` (byte ranges
/// of [`scan`]) turned into a plain comment by blanking its third byte (`/// x` -> `//  x`,
/// `/*! x */` -> `/*  x */`), and every byte of the all-ASCII ranges `blank` but line breaks
/// turned into spaces; `text` itself when there is nothing to change. The parser then skips doc
/// text the way it skips any comment instead of building a `#[doc = ".."]` attribute (its
/// tokens, its unescaped string) that no rule reads, and skips the blanked data tables
/// (found by the `inert` module); every other byte keeps its offset and every line its
/// characters, so spans, lines and columns are unchanged.
pub fn parser_text<'a>(
    text: &'a str,
    comments: &[std::ops::Range<usize>],
    blank: &[std::ops::Range<usize>],
) -> std::borrow::Cow<'a, str> {
    let mut docs = comments
        .iter()
        .filter(|r| {
            text.get((*r).clone())
                .is_some_and(crate::source::is_doc_comment)
        })
        .peekable();
    if docs.peek().is_none() && blank.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.as_bytes().to_vec();
    for r in docs {
        // The third byte is ASCII (`/`, `!` or `*`): a space keeps the text valid UTF-8.
        out[r.start + 2] = b' ';
    }
    for r in blank {
        let Some(bytes) = out.get_mut(r.clone()) else {
            continue;
        };
        if bytes.is_ascii() {
            for b in bytes.iter_mut().filter(|b| !matches!(b, b'\n' | b'\r')) {
                *b = b' ';
            }
        }
    }
    match String::from_utf8(out) {
        Ok(s) => std::borrow::Cow::Owned(s),
        Err(_) => std::borrow::Cow::Borrowed(text),
    }
}

/// The end of the (possibly nested) block comment that starts at `i`, at most `end`.
pub(crate) fn skip_block_comment(b: &[u8], mut i: usize, end: usize) -> usize {
    i += 2;
    let mut nest = 1usize;
    while i < end && nest > 0 {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            nest += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            nest -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    i.min(end)
}

pub(crate) fn skip_string(b: &[u8], mut i: usize) -> usize {
    while let Some(n) = b
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'\\', b'"', rest))
    {
        i += n;
        if b[i] == b'"' {
            return i + 1;
        }
        i += 2;
    }
    b.len()
}

/// `r"`, `r#"`, `br"`, `cr#"` (the `b`/`c` prefix is an identifier char already passed).
pub(crate) fn is_raw_string_start(b: &[u8], i: usize) -> bool {
    let prev_is_ident = i > 0 && {
        let p = b[i - 1];
        (p.is_ascii_alphanumeric() || p == b'_') && !(p == b'b' || p == b'c')
            || (i > 1
                && (p == b'b' || p == b'c')
                && (b[i - 2].is_ascii_alphanumeric() || b[i - 2] == b'_'))
    };
    if prev_is_ident {
        return false;
    }
    let mut j = i + 1;
    while j < b.len() && b[j] == b'#' {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

pub(crate) fn skip_raw_string(b: &[u8], mut i: usize) -> usize {
    let mut hashes = 0;
    while i < b.len() && b[i] == b'#' {
        hashes += 1;
        i += 1;
    }
    i += 1; // opening quote
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`, `'é'`) or a lifetime/label (`'a`).
pub(crate) fn skip_char_or_lifetime(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        let mut j = i + 2;
        while j < b.len() && j < i + 16 {
            j += 1;
            if b[j - 1] == b'\'' && j > i + 3 {
                return j;
            }
        }
        return (i + 2).min(b.len());
    }
    // One (possibly multi-byte) character followed by a quote is a char literal.
    let mut j = i + 1;
    if j < b.len() {
        j += 1;
        while j < b.len() && (b[j] & 0xC0) == 0x80 {
            j += 1;
        }
        if b.get(j) == Some(&b'\'') {
            return j + 1;
        }
    }
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_strings_comments_and_chars() {
        let r = scan(
            "fn f() { let s = \"(((\"; let c = '('; // ((((\n /* [[[ /* ]] */ */ g(r#\"{{\"#) }",
        );
        assert_eq!(r.max_depth, 2);
        assert_eq!(r.comments.len(), 2);
    }

    #[test]
    fn unterminated_strings_and_comments_end_the_scan() {
        for text in [
            "\"abc", "\"abc\\", "\"\\", "// (((", "/* ((", "r#\"((", "'\\",
        ] {
            assert_eq!(scan(text).max_depth, 0, "{text:?}");
        }
        let r = scan("let s = \"a\\\"(\"; // c\n(x)");
        assert_eq!((r.max_depth, r.comments.len()), (1, 1));
        assert_eq!(r.comments[0], 16..20);
    }

    #[test]
    fn doc_comments_become_plain_comments_of_the_same_length() {
        let text = "//! crate\n/// item\n//// plain\n/** block */ /*! inner */ /**/ /*** x */\nfn f() { let s = \"/// not a comment\"; }\n";
        let r = scan(text);
        let plain = parser_text(text, &r.comments, &[]);
        assert_eq!(
            plain,
            "//  crate\n//  item\n//// plain\n/*  block */ /*  inner */ /**/ /*** x */\nfn f() { let s = \"/// not a comment\"; }\n"
        );
        let file: syn::File = syn::parse_str(&plain).unwrap();
        assert!(file.attrs.is_empty());
        assert!(matches!(&file.items[..], [syn::Item::Fn(f)] if f.attrs.is_empty()));
    }

    #[test]
    fn text_without_doc_comments_is_borrowed() {
        let text = "// plain\nfn f() {}\n";
        let r = scan(text);
        assert!(matches!(
            parser_text(text, &r.comments, &[]),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn lifetimes_are_not_chars() {
        let r = scan("fn f<'a>(x: &'a str) -> &'a str { x }");
        assert_eq!(r.max_depth, 1);
    }

    #[test]
    fn deep_generics_are_measured_but_comparisons_are_not() {
        let generic = format!("type T = {}u8{};", "Vec<".repeat(3000), ">".repeat(3000));
        assert_eq!(scan(&generic).max_depth, 3000);
        let table = format!("const T: [u32; 3] = [{}];", "1 << 2 < 3, ".repeat(5000));
        assert!(scan(&table).max_depth < 5);
        let chain = format!("fn f() -> bool {{ {} }}", "a < b && ".repeat(10) + "true");
        assert!(scan(&chain).max_depth < 20);
    }

    #[test]
    fn deep_nesting_is_measured() {
        let text = format!("fn f() {{ {}1{} }}", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(scan(&text).max_depth, 5001);
    }
}
