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
/// Unknown (no manifest, no tokio dependency) allows everything: only a manifest that declares
/// tokio without a feature makes a fix that needs it manual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokioFeatures(Option<u16>);

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
        TokioFeatures(Some(bits))
    }

    /// Union of two crates' declarations (a dependency in several tables).
    pub fn union(self, other: TokioFeatures) -> TokioFeatures {
        match (self.0, other.0) {
            (Some(a), Some(b)) => TokioFeatures(Some(a | b)),
            (a, b) => TokioFeatures(a.or(b)),
        }
    }

    /// Whether `feature` is enabled, or unknown.
    pub fn enables(self, feature: &str) -> bool {
        match (self.0, FEATURES.iter().position(|f| *f == feature)) {
            (Some(bits), Some(i)) => bits & (1 << i) != 0,
            _ => true,
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
