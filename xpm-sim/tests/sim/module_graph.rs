//! The sim's modules import one another without a circle: shared state sits
//! in a leaf module, startup (`sim`) and the routers sit on top. This test
//! reads `src/` and builds the graph of which module file names which other
//! (through `crate::`, `super::`, `self::` or a child module's name), so the
//! property stays true as the code changes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`api::auth`) of every source file, with its text; the crate
/// roots are left out (lib.rs only declares and re-exports, main.rs is the
/// binary, a user of the library).
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            let name = parts.join("::");
            if name == "lib" || name == "main" {
                continue;
            }
            out.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    out
}

/// The code without comments (doc comments name modules freely), without
/// string literals and without the unit tests at the end of a file (their
/// `super::` is the file itself).
fn code_only(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    let mut out = String::new();
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The paths that follow `prefix::` in the code, with `{a, b::c}` groups
/// spread out: `crate::{a::X, b}` gives `a::X` and `b`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let needle = format!("{prefix}::");
    let mut rest = code;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        spread(rest, String::new(), &mut out);
    }
    out
}

fn spread(text: &str, head: String, out: &mut Vec<String>) {
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut item = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    spread(item.trim(), head.clone(), out);
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        spread(item.trim(), head, out);
        return;
    }
    let path: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let path = path.trim_end_matches(':');
    let full = match (head.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (false, true) => head,
        (false, false) => format!("{head}::{path}"),
    };
    if let Some(nested) = text.strip_prefix(path).and_then(|r| r.strip_prefix("::"))
        && nested.starts_with('{')
    {
        spread(nested, full, out);
    } else if !full.is_empty() {
        out.push(full);
    }
}

/// The longest module a path names (`api::auth::bearer` -> `api::auth`).
fn module_of(path: &str, known: &BTreeMap<String, String>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| known.contains_key(m))
}

fn parent(module: &str) -> Option<&str> {
    module.rsplit_once("::").map(|(p, _)| p)
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let known = modules();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &known {
        let code = code_only(text);
        let mut named = Vec::new();
        named.extend(paths_after(&code, "crate"));
        let children: Vec<String> = known
            .keys()
            .filter(|k| parent(k) == Some(module.as_str()))
            .cloned()
            .collect();
        for p in paths_after(&code, "self") {
            named.push(format!("{module}::{p}"));
        }
        if let Some(up) = parent(module) {
            for p in paths_after(&code, "super") {
                named.push(format!("{up}::{p}"));
            }
        } else {
            // `super::` from a top-level module is the crate root.
            named.extend(paths_after(&code, "super"));
        }
        for child in &children {
            let short = child.rsplit("::").next().unwrap_or(child);
            for p in paths_after(&code, short) {
                named.push(format!("{child}::{p}"));
            }
        }
        let targets = edges.entry(module.clone()).or_default();
        for path in named {
            if let Some(target) = module_of(&path, &known)
                && &target != module
            {
                targets.insert(target);
            }
        }
    }
    edges
}

/// A circle through `from`, if one exists, as the modules on it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let at = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut found = stack[at..].to_vec();
                found.push(m.to_string());
                return Some(found);
            }
            None => {}
        }
        marks.insert(m.to_string(), Mark::Open);
        stack.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, marks, stack) {
                return Some(c);
            }
        }
        stack.pop();
        marks.insert(m.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for m in edges.keys() {
        if let Some(c) = visit(m, edges, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_modules_import_one_another_without_a_circle() {
    let edges = graph();
    for (m, t) in &edges {
        eprintln!("EDGE {m} -> {t:?}");
    }
    if let Some(c) = circle(&edges) {
        panic!("import circle: {}", c.join(" -> "));
    }
}

#[test]
fn the_shared_state_module_imports_no_route_or_handler_module() {
    let edges = graph();
    let shared = edges.get("shared").expect("src/shared.rs exists");
    for upper in [
        "api", "identity", "control", "ui", "pipeline", "routes", "sim", "persist",
    ] {
        assert!(
            !shared
                .iter()
                .any(|m| m == upper || m.starts_with(&format!("{upper}::"))),
            "shared imports {upper}: {shared:?}"
        );
    }
}

#[test]
fn the_checker_sees_imports_of_every_form() {
    let code = code_only(
        "use crate::{a::X, b::{c::Y, d}};\nuse super::e; // crate::ignored\nlet s = \"crate::nope\"; crate::f::g();",
    );
    let mut crate_paths = paths_after(&code, "crate");
    crate_paths.sort();
    assert_eq!(crate_paths, ["a::X", "b::c::Y", "b::d", "f::g"]);
    assert_eq!(paths_after(&code, "super"), ["e"]);
}
