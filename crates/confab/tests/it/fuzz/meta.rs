//! The fuzz suite cannot fall behind the code: every target has a corpus and a test here,
//! and every body type a route reads is in the `request_body` target's list.

use std::collections::BTreeSet;
use std::path::Path;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The last path segment of a type as written (`confab_proto :: x :: FooIn` → `FooIn`).
fn last_segment(t: &str) -> String {
    t.rsplit("::").next().unwrap().trim().to_owned()
}

#[test]
fn every_target_has_a_corpus_and_a_test() {
    let tests = std::fs::read_to_string(Path::new(file!()).with_file_name("mod.rs"))
        .or_else(|_| {
            std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fuzz/mod.rs"),
            )
        })
        .unwrap();
    // rustfmt may break `run(` and its first argument over lines: compare without blanks.
    let tests: String = tests.split_whitespace().collect();
    for t in confab::fuzz::TARGETS {
        assert!(
            !super::engine::corpus(t.name).is_empty(),
            "{}: no seed corpus",
            t.name
        );
        assert!(
            tests.contains(&format!("run(\"{}\",", t.name)),
            "{}: no test drives it",
            t.name
        );
    }
}

#[test]
fn every_body_type_a_route_reads_is_fuzzed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut read = BTreeSet::new();
    for f in &files {
        if f.strip_prefix(&src).unwrap().starts_with("fuzz") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        // Test modules read bodies of their own.
        let text = text.split("#[cfg(test)]").next().unwrap();
        // Extractors in a handler's arguments: `AppJson(x): AppJson<T>`.
        for marker in ["): AppJson<", "): OptionalJson<"] {
            for (i, _) in text.match_indices(marker) {
                let name: String = text[i + marker.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                read.insert(last_segment(&name));
            }
        }
        for (i, _) in text.match_indices("json_from_bytes(") {
            // `let x: Type = json_from_bytes(...)`
            let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            let line = &text[line_start..i];
            if let Some((_, ty)) = line.split_once(':')
                && let Some((ty, _)) = ty.split_once('=')
            {
                read.insert(last_segment(ty.trim()));
            }
        }
    }
    let fuzzed: BTreeSet<String> = confab::fuzz::bodies::BODY_TYPES
        .iter()
        .map(|t| last_segment(t))
        .collect();
    let missing: Vec<_> = read.difference(&fuzzed).collect();
    assert!(
        missing.is_empty(),
        "body types read by a route but not in confab::fuzz::bodies: {missing:?}"
    );
    assert!(read.len() >= 50, "the scan found only {read:?}");
}
