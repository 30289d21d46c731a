//! `#[cfg(..)]` as far as resolution and test context need it: whether a cfg keeps an item out
//! of non-test builds. Predicates are parsed and evaluated three-valued with `cfg-expr`: `test`
//! is false in a non-test build and every other predicate (features, platforms) is unknown.

/// Whether code exists only in test builds, as its `#[cfg(..)]` attributes say.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum TestCfg {
    /// Present in non-test builds (or its cfg does not depend on `test`).
    #[default]
    No,
    /// Depends on `test` and on something unknown (`cfg(any(test, feature = "x"))`).
    Maybe,
    /// Only in test builds (`cfg(test)`, `cfg(all(test, unix))`).
    Only,
}

impl TestCfg {
    /// The stronger of two (a `cfg(test)` module makes everything in it test-only).
    pub fn and(self, other: TestCfg) -> TestCfg {
        self.max(other)
    }
}

/// What the `#[cfg(..)]` attributes among `attrs` say about test builds (several attributes
/// must all hold).
pub fn test_cfg(attrs: &[syn::Attribute]) -> TestCfg {
    let mut out = TestCfg::No;
    for a in attrs {
        if !a.path().is_ident("cfg") {
            continue;
        }
        let syn::Meta::List(list) = &a.meta else {
            continue;
        };
        let text = list.tokens.to_string();
        // Cheap test first: most cfgs never mention `test`.
        if !text.contains("test") {
            continue;
        }
        out = out.and(eval(&text));
    }
    out
}

/// Evaluates one cfg predicate (the text inside `cfg(..)`) in a non-test build.
pub fn eval(predicate: &str) -> TestCfg {
    let Ok(expr) = cfg_expr::Expression::parse(predicate) else {
        return TestCfg::No;
    };
    let in_non_test: Option<bool> = expr.eval(|p| match p {
        cfg_expr::Predicate::Test => Some(false),
        _ => None,
    });
    match in_non_test {
        Some(false) => TestCfg::Only,
        Some(true) => TestCfg::No,
        None => {
            // Unknown in a non-test build: does `test` matter at all?
            let with_test: Option<bool> = expr.eval(|p| match p {
                cfg_expr::Predicate::Test => Some(true),
                _ => None,
            });
            if with_test == Some(true) {
                TestCfg::Maybe
            } else {
                TestCfg::No
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(src: &str) -> TestCfg {
        let item: syn::ItemFn = syn::parse_str(&format!("{src} fn f() {{}}")).unwrap();
        test_cfg(&item.attrs)
    }

    #[test]
    fn three_valued() {
        assert_eq!(of("#[cfg(test)]"), TestCfg::Only);
        assert_eq!(of("#[cfg(all(test, unix))]"), TestCfg::Only);
        assert_eq!(of("#[cfg(not(test))]"), TestCfg::No);
        assert_eq!(of("#[cfg(unix)]"), TestCfg::No);
        assert_eq!(
            of("#[cfg(any(test, feature = \"testing\"))]"),
            TestCfg::Maybe
        );
        assert_eq!(of("#[cfg(unix)] #[cfg(test)]"), TestCfg::Only);
        assert_eq!(of("#[cfg(feature = \"test-utils\")]"), TestCfg::No);
        assert_eq!(of(""), TestCfg::No);
    }
}
