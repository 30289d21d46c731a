//! Applying fix edits to a file's text: sorted, non-overlapping, all-or-nothing per fix.

use std::io::Write as _;
use std::path::Path;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};

mod unused_imports;

pub use unused_imports::remove_unused_imports;

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixLevel {
    /// Only `safe` fixes (`--fix`).
    Safe,
    /// `safe` and `unsafe` fixes (`--fix --unsafe-fixes`).
    Unsafe,
}

impl FixLevel {
    /// Whether a fix of this applicability is applied at this level.
    pub fn allows(self, a: Applicability) -> bool {
        match a {
            Applicability::Safe => true,
            Applicability::Unsafe => self == FixLevel::Unsafe,
            Applicability::Manual => false,
        }
    }
}

/// The result of applying fixes to one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The new text.
    pub text: String,
    /// How many fixes were applied.
    pub fixes: usize,
    /// How many applicable fixes were skipped because they overlapped an applied one.
    pub skipped: usize,
}

/// Applies the applicable fixes of `diagnostics` (all belonging to one file) to `text`. A fix is
/// applied whole or not at all; a fix whose edits overlap an already chosen fix's edits waits
/// for the next pass (the caller re-lints and repeats).
pub fn apply(text: &str, diagnostics: &[Diagnostic], level: FixLevel) -> Applied {
    let fixes: Vec<Fix> = diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| level.allows(f.applicability) && !f.edits.is_empty())
        .map(|f| match_line_endings(text, f))
        .collect();
    apply_fixes(text, &fixes.iter().collect::<Vec<_>>())
}

/// Applies whole fixes in order, skipping any that overlaps an earlier chosen one.
pub fn apply_fixes(text: &str, fixes: &[&Fix]) -> Applied {
    let mut chosen: Vec<&Edit> = Vec::new();
    let (mut applied, mut skipped) = (0, 0);
    for fix in fixes {
        let valid = fix.edits.iter().all(|e| {
            e.range.start <= e.range.end
                && e.range.end <= text.len()
                && text.is_char_boundary(e.range.start)
                && text.is_char_boundary(e.range.end)
        });
        let overlaps = fix
            .edits
            .iter()
            .any(|e| chosen.iter().any(|c| overlap(c, e)))
            || fix
                .edits
                .iter()
                .enumerate()
                .any(|(i, a)| fix.edits[i + 1..].iter().any(|b| overlap(a, b)));
        if !valid || overlaps {
            skipped += 1;
            continue;
        }
        chosen.extend(fix.edits.iter());
        applied += 1;
    }
    chosen.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in chosen {
        out.push_str(&text[at..e.range.start]);
        out.push_str(&e.replacement);
        at = e.range.end;
    }
    out.push_str(&text[at..]);
    Applied {
        text: out,
        fixes: applied,
        skipped,
    }
}

/// Two edits conflict when their ranges intersect, or both insert at the same point.
fn overlap(a: &Edit, b: &Edit) -> bool {
    if a.range.is_empty() && b.range.is_empty() {
        return a.range.start == b.range.start;
    }
    a.range.start < b.range.end && b.range.start < a.range.end
        || (a.range.is_empty() && b.range.start < a.range.start && a.range.start < b.range.end)
        || (b.range.is_empty() && a.range.start < b.range.start && b.range.start < a.range.end)
}

/// Makes the edits' line endings match the file's: in a CRLF file, a replacement's lone `\n`
/// becomes `\r\n`.
pub fn match_line_endings(text: &str, fix: &Fix) -> Fix {
    if !text.contains("\r\n") {
        return fix.clone();
    }
    let mut fix = fix.clone();
    for e in &mut fix.edits {
        if e.replacement.contains('\n') {
            e.replacement = e.replacement.replace("\r\n", "\n").replace('\n', "\r\n");
        }
    }
    fix
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, the original's
/// permissions, then a rename over the original.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let perms = std::fs::metadata(path)?.permissions();
    let mut tmp = tempfile::Builder::new()
        .prefix(".async-lint-fix")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.as_file().set_permissions(perms)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A unified diff of one file's change, with `path` in the headers.
pub fn unified_diff(path: &Path, before: &str, after: &str) -> String {
    let name = crate::render::display_path(path);
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_sorted_and_skips_overlaps() {
        let f1 = Fix::unsafe_("a", vec![Edit::replace(4..7, "X")]);
        let f2 = Fix::safe("b", vec![Edit::insert(0, ">"), Edit::insert(10, "<")]);
        let f3 = Fix::safe("c", vec![Edit::replace(5..6, "Y")]);
        let out = apply_fixes("0123456789", &[&f1, &f2, &f3]);
        assert_eq!(out.text, ">0123X789<");
        assert_eq!((out.fixes, out.skipped), (2, 1));
    }

    #[test]
    fn crlf_files_get_crlf_replacements() {
        let f = Fix::safe("a", vec![Edit::insert(0, "x\ny\r\nz")]);
        assert_eq!(
            match_line_endings("a\r\nb", &f).edits[0].replacement,
            "x\r\ny\r\nz"
        );
        assert_eq!(
            match_line_endings("a\nb", &f).edits[0].replacement,
            "x\ny\r\nz"
        );
    }

    #[test]
    fn atomic_write_keeps_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.rs");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left behind"
        );
    }
}
