//! The module map is the law: docs/architecture.md's "may call" table names, for every module
//! of the `confab` crate, its layer and the modules it may import. This test reads the
//! table and every source file's `crate::…` paths and fails on an import the table does not
//! allow, on a module with no row, on a row that lets a layer reach above itself, and on a
//! cycle among the features (test modules aside).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = ["ports", "core", "features", "surface"];

/// One row of the table.
#[derive(Debug)]
struct Row {
    layer: usize,
    /// Modules, or whole layers (`ports`, `core`, …).
    may_call: BTreeSet<String>,
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The rows between the table's markers.
fn read_table() -> BTreeMap<String, Row> {
    let doc = std::fs::read_to_string(manifest().join("../../docs/architecture.md"))
        .expect("docs/architecture.md");
    let start = doc
        .find("<!-- may-call:begin -->")
        .expect("the table's begin marker");
    let end = doc
        .find("<!-- may-call:end -->")
        .expect("the table's end marker");
    let mut rows = BTreeMap::new();
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `module` | layer | may call | job |
        if cells.len() < 5 || !cells[1].starts_with('`') {
            continue;
        }
        let module = cells[1].trim_matches('`').to_owned();
        let layer = LAYERS
            .iter()
            .position(|l| *l == cells[2])
            .unwrap_or_else(|| panic!("row {module}: unknown layer {:?}", cells[2]));
        let may_call = cells[3]
            .split(['·', ','])
            .map(|s| s.trim().trim_matches('`').to_owned())
            .filter(|s| !s.is_empty() && s != "—")
            .collect();
        let old = rows.insert(module.clone(), Row { layer, may_call });
        assert!(old.is_none(), "two rows for {module}");
    }
    assert!(rows.len() > 10, "the table was not found or not read");
    rows
}

/// The table's name for a path inside the crate: `a::b` when the table has a row for it,
/// else `a`.
fn module_of(parts: &[&str], rows: &BTreeMap<String, Row>) -> String {
    if parts.len() > 1 {
        let two = format!("{}::{}", parts[0], parts[1]);
        if rows.contains_key(&two) {
            return two;
        }
    }
    parts[0].to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comment lines and without its `#[cfg(test)]` module (at the end of a
/// file, by the house style).
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every `crate::a::b` path in `code`, as `[a, b]` (b may be empty), including the
/// first segments of each item of `use crate::{a::…, b, …}`.
fn crate_paths(code: &str) -> Vec<[String; 2]> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => items.push(std::mem::take(&mut item)),
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if !(c == ',' && depth == 1) {
                    item.push(c);
                }
            }
            items.push(item);
            for item in items {
                let mut parts = item.trim().split("::");
                let a = ident_at(parts.next().unwrap_or("").trim()).to_owned();
                let b = ident_at(parts.next().unwrap_or("").trim()).to_owned();
                if !a.is_empty() && a != "self" {
                    out.push([a, b]);
                }
            }
        } else {
            let a = ident_at(after).to_owned();
            let b = after[a.len()..]
                .strip_prefix("::")
                .map(|r| ident_at(r).to_owned())
                .unwrap_or_default();
            out.push([a, b]);
        }
        rest = &rest[i + "crate::".len()..];
    }
    out
}

/// Whether `row` lets its module import `target`.
fn allows(rows: &BTreeMap<String, Row>, row: &Row, target: &str) -> bool {
    row.may_call.contains(target)
        || row.may_call.contains("everything")
        || rows
            .get(target)
            .is_some_and(|t| row.may_call.contains(LAYERS[t.layer]))
}

#[test]
fn every_import_is_one_the_map_allows() {
    let rows = read_table();
    let src = manifest().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeSet::new();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .with_extension("");
        let mut parts: Vec<&str> = rel.iter().filter_map(|p| p.to_str()).collect();
        if parts.len() > 1 && parts.last() == Some(&"mod") {
            parts.pop();
        }
        let me = module_of(&parts, &rows);
        let Some(row) = rows.get(&me) else {
            wrong.push(format!(
                "{}: module `{me}` has no row in the table",
                rel.display()
            ));
            continue;
        };
        found.insert(me.clone());
        let code = code_of(&std::fs::read_to_string(file).expect("source"));
        for [a, b] in crate_paths(&code) {
            let target = module_of(&[a.as_str(), b.as_str()], &rows);
            if target == me || target.split("::").next() == me.split("::").next() {
                continue;
            }
            if !allows(&rows, row, &target) {
                wrong.push(format!("{}: `{me}` imports `{target}`", rel.display()));
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "imports docs/architecture.md's table does not allow:\n{}",
        wrong.join("\n")
    );
    assert!(
        found.contains("messaging") && found.contains("push"),
        "sources not read"
    );
}

#[test]
fn the_map_points_down_and_the_features_form_no_cycle() {
    let rows = read_table();
    for (name, row) in &rows {
        for target in &row.may_call {
            if target == "everything" {
                assert_eq!(
                    LAYERS[row.layer], "surface",
                    "{name}: only the surface calls everything"
                );
                continue;
            }
            let layer = match LAYERS.iter().position(|l| l == target) {
                Some(l) => l,
                None => {
                    rows.get(target)
                        .unwrap_or_else(|| panic!("{name} may call `{target}`, which has no row"))
                        .layer
                }
            };
            assert!(
                layer <= row.layer,
                "{name} ({}) may call `{target}` ({}): a layer never reaches above itself",
                LAYERS[row.layer],
                LAYERS[layer]
            );
            if LAYERS[row.layer] == "features" {
                assert!(
                    !["gateway", "http", "surface"].contains(&target.as_str()),
                    "feature {name} may call `{target}`"
                );
            }
        }
    }
    // A depth-first walk over feature → feature edges finds no way back.
    let features: Vec<&String> = rows
        .iter()
        .filter(|(_, r)| LAYERS[r.layer] == "features")
        .map(|(n, _)| n)
        .collect();
    fn walk<'a>(
        at: &'a str,
        rows: &'a BTreeMap<String, Row>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(at) {
            return;
        }
        assert!(
            !path.contains(&at),
            "the features form a cycle: {} → {at}",
            path.join(" → ")
        );
        path.push(at);
        for next in &rows[at].may_call {
            if rows
                .get(next)
                .is_some_and(|r| LAYERS[r.layer] == "features")
            {
                walk(next, rows, path, done);
            }
        }
        path.pop();
        done.insert(at);
    }
    let mut done = BTreeSet::new();
    for f in features {
        walk(f, &rows, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_reader_sees_every_kind_of_path() {
    let code = "use crate::{a::x, b, c::{d, e}};\nlet v = crate::f::g::h();\nuse crate::i;";
    let got: Vec<String> = crate_paths(code).iter().map(|p| p.join("::")).collect();
    assert_eq!(got, ["a::x", "b::", "c::", "f::g", "i::"]);
    assert_eq!(
        code_of("a\n// crate::x\n#[cfg(test)]\nmod tests { crate::y }"),
        "a"
    );
}
