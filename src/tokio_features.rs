//! The tokio features a crate enables in its manifest, and the feature each tokio path a fix
//! writes needs. A fix whose replacement needs a feature the crate does not enable is not applied
//! (it stays as help naming the feature).

use toml::Value;

use crate::diagnostic::{Applicability, Fix};

/// tokio's features that fixes need, in bit order.
const FEATURES: [&str; 10] = [
    "fs", "net", "time", "process", "io-util", "rt", "sync", "signal", "macros", "io-std",
];

/// The tokio features a crate enables (`features = [..]`, `full`, workspace inheritance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokioFeatures {
    /// No manifest was read: every feature is allowed.
    #[default]
    Unknown,
    /// The manifest declares no tokio dependency for this code (another runtime, or none): a
    /// fix that writes a tokio path would not build.
    Absent,
    /// tokio with these features (bits in `FEATURES` order).
    Enabled(u16),
}

impl TokioFeatures {
    /// Features from a tokio dependency spec (`"1"`, `{ version, features }`), plus those of the
    /// workspace's spec when the dependency inherits it (`workspace = true`).
    pub fn from_specs<'a>(specs: impl IntoIterator<Item = &'a Value>) -> TokioFeatures {
        let mut bits = 0u16;
        for spec in specs {
            let names = spec
                .get("features")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str);
            for name in names {
                if name == "full" {
                    bits = u16::MAX;
                } else if let Some(i) = FEATURES.iter().position(|f| *f == name) {
                    bits |= 1 << i;
                }
            }
        }
        TokioFeatures::Enabled(bits)
    }

    /// Union of two declarations (a dependency in several tables, dev code seeing both).
    pub fn union(self, other: TokioFeatures) -> TokioFeatures {
        use TokioFeatures::*;
        match (self, other) {
            (Enabled(a), Enabled(b)) => Enabled(a | b),
            (Enabled(a), _) | (_, Enabled(a)) => Enabled(a),
            (Absent, Absent) => Absent,
            _ => Unknown,
        }
    }

    /// Whether `feature` is enabled, or unknown (never with tokio [`TokioFeatures::Absent`]).
    pub fn enables(self, feature: &str) -> bool {
        match self {
            TokioFeatures::Unknown => true,
            TokioFeatures::Absent => false,
            TokioFeatures::Enabled(bits) => FEATURES
                .iter()
                .position(|f| *f == feature)
                .is_none_or(|i| bits & (1 << i) != 0),
        }
    }

    /// The first feature in `needed` that the crate does not enable.
    pub fn missing<'a>(self, needed: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        needed.into_iter().find(|f| !self.enables(f))
    }
}

/// The tokio feature a path written by a fix needs (`tokio::fs::read` → `fs`).
pub fn feature_of(path: &str) -> Option<&'static str> {
    let module = path.strip_prefix("tokio::")?.split("::").next()?;
    Some(match module {
        "fs" => "fs",
        "net" => "net",
        "time" => "time",
        "process" => "process",
        "signal" => "signal",
        "sync" => "sync",
        "io" => "io-util",
        "task" | "runtime" => "rt",
        _ => return None,
    })
}

/// Keeps an applicable `fix` only when the crate enables the tokio features the paths it writes
/// (`tokio::fs::read`, `tokio::io::AsyncReadExt`) need; otherwise the fix keeps its edits as a
/// manual fix, and its message and the help name the missing feature.
pub fn gate(features: TokioFeatures, paths: &[&str], help: String, fix: Fix) -> (String, Fix) {
    if fix.applicability == Applicability::Manual {
        return (help, fix);
    }
    if features == TokioFeatures::Absent && paths.iter().any(|p| p.starts_with("tokio::")) {
        return (
            format!("{help} (needs the `tokio` crate, which this crate does not depend on)"),
            Fix::manual(
                format!("{} after adding the `tokio` dependency", fix.message),
                fix.edits,
            ),
        );
    }
    let Some(feature) = features.missing(paths.iter().filter_map(|p| feature_of(p))) else {
        return (help, fix);
    };
    (
        format!("{help} (needs tokio's `{feature}` feature, which this crate does not enable)"),
        Fix::manual(
            format!("{} after enabling tokio's `{feature}` feature", fix.message),
            fix.edits,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Value {
        text.parse::<toml::Table>().unwrap()["tokio"].clone()
    }

    #[test]
    fn absent_tokio_makes_tokio_fixes_manual() {
        let fix = || Fix::unsafe_("replace".to_string(), Vec::new());
        let (help, gated) = gate(
            TokioFeatures::Absent,
            &["tokio::fs::read"],
            "use tokio".into(),
            fix(),
        );
        assert_eq!(gated.applicability, Applicability::Manual);
        assert!(help.contains("does not depend on"), "{help}");
        let (_, kept) = gate(
            TokioFeatures::Unknown,
            &["tokio::fs::read"],
            "use tokio".into(),
            fix(),
        );
        assert_eq!(kept.applicability, Applicability::Unsafe);
        let (_, other) = gate(
            TokioFeatures::Absent,
            &["async_std::fs::read"],
            "use async-std".into(),
            fix(),
        );
        assert_eq!(other.applicability, Applicability::Unsafe);
    }

    #[test]
    fn features_from_specs() {
        let plain = TokioFeatures::from_specs([&spec("tokio = \"1\"")]);
        assert!(!plain.enables("fs") && !plain.enables("time"));
        let some =
            TokioFeatures::from_specs([&spec("tokio = { version = \"1\", features = [\"fs\"] }")]);
        assert!(some.enables("fs") && !some.enables("net"));
        assert_eq!(some.missing(["fs", "io-util"]), Some("io-util"));
        let full = TokioFeatures::from_specs([&spec(
            "tokio = { version = \"1\", features = [\"full\"] }",
        )]);
        assert!(full.enables("net") && full.enables("io-util"));
        let inherited = TokioFeatures::from_specs([
            &spec("tokio = { workspace = true, features = [\"net\"] }"),
            &spec("tokio = { version = \"1\", features = [\"time\"] }"),
        ]);
        assert!(inherited.enables("net") && inherited.enables("time") && !inherited.enables("fs"));
        assert!(TokioFeatures::default().enables("fs"), "unknown allows");
        assert!(plain.union(TokioFeatures::default()).enables("fs") == plain.enables("fs"));
    }

    #[test]
    fn feature_of_paths() {
        assert_eq!(feature_of("tokio::fs::File::open"), Some("fs"));
        assert_eq!(feature_of("tokio::io::AsyncReadExt"), Some("io-util"));
        assert_eq!(feature_of("tokio::time::sleep"), Some("time"));
        assert_eq!(feature_of("async_std::fs::read"), None);
    }
}
