//! The layout keeps the architecture (docs/ARCHITECTURE.md): every module
//! uses only the layers before its own — a capability uses infrastructure,
//! the foundations and the case core, never another capability; the case
//! core uses no capability — and no source file grows past 800 lines.

use std::path::{Path, PathBuf};

/// The modules of a crate by layer: a module may use the modules of the
/// layers before its own, and of its own layer only where the layer says so.
struct Crate {
    src: &'static str,
    layers: &'static [Layer],
}

struct Layer {
    name: &'static str,
    modules: &'static [&'static str],
    /// Whether its modules may use each other (infrastructure and
    /// foundations may; capabilities may not).
    within: bool,
}

const CRATES: &[Crate] = &[
    Crate {
        src: "crates/store/src",
        layers: &[
            Layer {
                name: "infrastructure",
                modules: &[
                    "sql",
                    "migration",
                    "trail",
                    "outbox",
                    "jobs",
                    "attachments",
                    "decisions",
                    "testing",
                ],
                within: true,
            },
            Layer {
                name: "foundations",
                modules: &["accounts", "catalog", "calendar"],
                within: true,
            },
            Layer {
                name: "case core",
                modules: &["cases"],
                within: false,
            },
            Layer {
                name: "capabilities",
                modules: &[
                    "bundles",
                    "certificates",
                    "enterprise",
                    "experience",
                    "guide_audit",
                    "hall",
                    "indicators",
                    "inquiries",
                    "notices",
                    "policies",
                    "ratings",
                    "shared_data",
                ],
                within: false,
            },
            Layer {
                name: "the whole",
                modules: &["demo", "unmasked", "stage_applications"],
                within: false,
            },
        ],
    },
    Crate {
        src: "crates/web/src",
        layers: &[
            Layer {
                name: "infrastructure",
                modules: &["http", "chrome", "state", "jobs", "openapi", "mail"],
                within: true,
            },
            Layer {
                name: "capabilities",
                modules: &[
                    "accounts",
                    "bundles",
                    "calendar",
                    "cases",
                    "catalog",
                    "certificates",
                    "enterprise",
                    "experience",
                    "guide_audit",
                    "indicators",
                    "inquiries",
                    "notices",
                    "ratings",
                    "shared_data",
                ],
                within: false,
            },
        ],
    },
];

/// The top-level modules a source file names through `crate::…`, also
/// inside `use crate::{a::x, b}` groups.
fn crate_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level names, up to its closing brace.
            let mut depth = 1;
            let mut name = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => at_start = true,
                    c if at_start && (c.is_alphanumeric() || c == '_') => name.push(c),
                    _ => {
                        if !name.is_empty() {
                            out.push(std::mem::take(&mut name));
                        }
                        if !c.is_whitespace() {
                            at_start = false;
                        }
                    }
                }
            }
            if !name.is_empty() {
                out.push(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

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
fn each_module_uses_only_the_layers_before_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for krate in CRATES {
        let rank = |m: &str| krate.layers.iter().position(|l| l.modules.contains(&m));
        for (r, layer) in krate.layers.iter().enumerate() {
            for module in layer.modules {
                let dir = root.join(krate.src).join(module);
                let mut files = Vec::new();
                if dir.is_dir() {
                    rust_files(&dir, &mut files);
                } else {
                    files.push(root.join(krate.src).join(format!("{module}.rs")));
                }
                assert!(
                    files.iter().any(|f| f.exists()),
                    "{}/{module} exists",
                    krate.src
                );
                for f in files {
                    let text = std::fs::read_to_string(&f).expect("source");
                    for used in crate_modules(&text) {
                        let Some(u) = rank(&used) else { continue };
                        let ok = used == *module || u < r || (u == r && layer.within);
                        if !ok {
                            found.push(format!(
                                "{} ({}) uses {used} ({})",
                                f.display(),
                                layer.name,
                                krate.layers[u].name
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "modules reaching past their layer: {found:#?}"
    );
}

#[test]
fn the_layer_check_reads_grouped_imports() {
    assert_eq!(
        crate_modules(
            "use crate::{bundles::X, cases::{Case, Job}, sql};\nlet a = crate::trail::append;"
        ),
        vec!["bundles", "cases", "sql", "trail"]
    );
}

/// About 800: a file may run 20 lines over before it must be split.
#[test]
fn no_source_file_over_about_800_lines() {
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
