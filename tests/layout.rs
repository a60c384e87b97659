//! The layout keeps the architecture (docs/ARCHITECTURE.md): a capability
//! module uses infrastructure, the foundations and the case core, never
//! another capability; and no source file grows past about 800 lines.

use std::path::{Path, PathBuf};

/// The capability modules of a crate and the modules each may use besides
/// infrastructure (for the store: the case core and the foundations).
struct Layer {
    src: &'static str,
    capabilities: &'static [&'static str],
    /// Modules that are not infrastructure but may be used by capabilities.
    shared: &'static [&'static str],
}

const LAYERS: &[Layer] = &[
    Layer {
        src: "crates/store/src",
        capabilities: &[
            "bundles",
            "certificates",
            "guide_audit",
            "inquiries",
            "notices",
            "policies",
            "shared_data",
        ],
        // The foundations (who, which items, which days) and the case core.
        shared: &["accounts", "catalog", "calendar", "cases"],
    },
    Layer {
        src: "crates/web/src",
        capabilities: &[
            "accounts",
            "bundles",
            "calendar",
            "cases",
            "catalog",
            "certificates",
            "guide_audit",
            "inquiries",
            "notices",
            "shared_data",
        ],
        shared: &[],
    },
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_capability_uses_another() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for layer in LAYERS {
        for cap in layer.capabilities {
            let mut files = Vec::new();
            rust_files(&root.join(layer.src).join(cap), &mut files);
            assert!(!files.is_empty(), "{}/{cap} exists", layer.src);
            for f in files {
                let text = std::fs::read_to_string(&f).expect("source");
                for other in layer.capabilities.iter().filter(|o| *o != cap) {
                    if layer.shared.contains(other) {
                        continue;
                    }
                    let needle = format!("crate::{other}::");
                    let needle_brace = format!("crate::{other}::{{");
                    if text.contains(&needle) || text.contains(&needle_brace) {
                        found.push(format!("{} uses {other}", f.display()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "capabilities reaching into others: {found:#?}"
    );
}

#[test]
fn no_source_file_over_800_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "crates"] {
        rust_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "target"))
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 820).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by topic: {long:#?}");
}
