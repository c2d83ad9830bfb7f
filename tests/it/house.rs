//! The house: `src/` is one folder per stage, and no module depends on
//! itself through others (issue 20). Read from the source text, so a new
//! `use` that closes a circle fails here with the circle named.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The library's modules by path (`lower::pod`), each with its file. The
/// binary's own modules (`main.rs`, `cli/`) are another crate.
fn library_modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut modules = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["main"] || parts.first().is_some_and(|p| p == "cli") {
                continue;
            }
            if parts == ["lib"] {
                parts.clear();
            }
            modules.insert(parts.join("::"), path);
        }
    }
    modules
}

/// The code of a file without comments and without its unit tests.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The path segments (`a::b::c`) that follow each occurrence of `prefix`
/// in `code`; `prefix::{a, b::c}` gives each of the group.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let group = if let Some(g) = rest.strip_prefix('{') {
            g[..g.find('}').unwrap_or(g.len())].split(',').collect()
        } else {
            vec![rest]
        };
        for item in group {
            let item = item.trim();
            let end = item
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(item.len());
            let segments = item[..end].split("::").filter(|s| !s.is_empty());
            out.push(segments.map(str::to_owned).collect());
        }
    }
    out
}

/// The longest module that `segments` (from `base`) names, if any.
fn resolve(
    modules: &BTreeMap<String, PathBuf>,
    base: &[&str],
    segments: &[String],
) -> Option<String> {
    let mut full: Vec<&str> = base.to_vec();
    full.extend(segments.iter().map(String::as_str));
    (1..=full.len())
        .rev()
        .map(|n| full[..n].join("::"))
        .find(|m| modules.contains_key(m))
}

/// Who uses whom: `crate::` and `super::` paths, `use super::*`, and a
/// parent's use of its own children (`pod::volumes(..)`). Edges out of the
/// crate root are left out: `lib.rs` is the façade that re-exports the
/// stages, not a stage.
fn dependencies(modules: &BTreeMap<String, PathBuf>) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (module, file) in modules {
        let mut deps = BTreeSet::new();
        if module.is_empty() {
            edges.insert(module.clone(), deps);
            continue;
        }
        let code = code(file);
        let me: Vec<&str> = module.split("::").collect();
        let parent = &me[..me.len() - 1];
        for segments in paths_after(&code, "crate::") {
            deps.extend(resolve(modules, &[], &segments));
        }
        for segments in paths_after(&code, "super::") {
            deps.insert(resolve(modules, parent, &segments).unwrap_or_else(|| parent.join("::")));
        }
        for line in code.lines() {
            let line = line.trim();
            let decl = line.strip_prefix("pub ").unwrap_or(line);
            let Some(child) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) else {
                continue;
            };
            let child_path = format!("{module}::{child}");
            let used = !paths_after(&code, &format!("{child}::")).is_empty();
            if used && modules.contains_key(&child_path) {
                deps.insert(child_path);
            }
        }
        deps.remove(module);
        edges.insert(module.clone(), deps);
    }
    edges
}

/// A circle through `start`, if there is one.
fn circle_from(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut path = vec![start.to_owned()];
    let mut seen = BTreeSet::new();
    fn walk(
        edges: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let here = path.last().unwrap().clone();
        for next in edges.get(&here).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(edges, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    walk(edges, start, &mut path, &mut seen).then_some(path)
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = library_modules(&src);
    assert!(modules.contains_key("lower::context") && modules.contains_key("read::spec"));
    let edges = dependencies(&modules);
    // The reader sees what the check sees: the steps of lowering lean on
    // their shared context, and the stages on each other in one direction.
    assert!(edges["lower::pod"].contains("lower::context"));
    assert!(edges["lower"].contains("lower::pod"));
    assert!(edges["import::app"].contains("import::shared"));
    let circles: Vec<String> = (modules.keys())
        .filter_map(|m| circle_from(&edges, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(circles.is_empty(), "module cycles:\n{}", circles.join("\n"));
}

#[test]
fn the_cycle_check_finds_a_circle() {
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(circle_from(&edges, "a").unwrap(), ["a", "b", "a"]);
    let code = "use crate::{lower::pod, read::spec::Spec};\nuse super::shared::x;";
    assert_eq!(paths_after(code, "crate::").len(), 2);
    assert_eq!(paths_after(code, "super::"), [vec!["shared", "x"]]);
}

#[test]
fn src_holds_the_stages_as_folders() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["batch.rs", "lib.rs", "main.rs"]);
    for stage in [
        "read", "lower", "model", "check", "write", "explain", "import", "diag", "cli",
    ] {
        let head = std::fs::read_to_string(src.join(stage).join("mod.rs")).unwrap();
        assert!(
            head.starts_with("//! "),
            "src/{stage}/mod.rs has no `//!` saying what the stage takes and gives"
        );
    }
}
