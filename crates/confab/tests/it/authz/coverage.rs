//! The meta-test: every operation of the OpenAPI document has a row in some matrix, and
//! every row of every matrix names an operation of the document (a typo would test a 404).
//! It names the matrices' rows as the document does (`{id}`, `{user_id}`…).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

/// A concrete row path as the document names it: each `{subject}` becomes the document's
/// parameter at that place, and a query is dropped.
fn templated(doc: &BTreeSet<(String, String)>, method: &str, path: &str) -> (String, String) {
    let path = path.split('?').next().unwrap_or(path);
    let parts: Vec<&str> = path.split('/').collect();
    // The document's path with the same literal segments and as many segments.
    let hit = doc.iter().find(|(m, p)| {
        let dp: Vec<&str> = p.split('/').collect();
        m == &method.to_lowercase()
            && dp.len() == parts.len()
            && dp.iter().zip(&parts).all(|(d, r)| {
                let param = |s: &str| s.starts_with('{') && s.ends_with('}');
                d == r || (param(d) && param(r))
            })
    });
    match hit {
        Some((m, p)) => (m.clone(), p.clone()),
        None => (method.to_lowercase(), path.to_owned()),
    }
}

/// Every row of every matrix: (matrix, method, path as the row names it).
fn rows() -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for (m, p) in crate::groups::matrix::routes() {
        out.push(("groups::matrix", m, p));
    }
    for (m, p) in crate::rooms::matrix::routes() {
        out.push(("rooms::matrix", m, p));
    }
    for (m, p) in crate::calls::matrix::routes() {
        out.push(("calls::matrix", m, p));
    }
    for (m, p) in crate::admin::api::ROUTES {
        out.push(("admin::api", (*m).to_owned(), (*p).to_owned()));
    }
    for r in super::rest::TABLE {
        out.push(("authz::rest", r.method.to_owned(), r.path.to_owned()));
    }
    for r in super::public::TABLE {
        out.push(("authz::public", r.method.to_owned(), r.path.to_owned()));
    }
    out
}

#[test]
fn every_route_has_a_matrix_row_and_every_row_a_route() {
    let doc = openapi_ops();
    assert!(
        doc.len() > 190,
        "the document lists its routes ({})",
        doc.len()
    );
    let mut covered: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (matrix, method, path) in rows() {
        let key = templated(&doc, &method, &path);
        if doc.contains(&key) {
            covered.entry(key).or_default().insert(matrix);
        } else {
            unknown.push(format!("{matrix}: {method} {path}"));
        }
    }
    let missing: Vec<String> = doc
        .iter()
        .filter(|k| !covered.contains_key(*k))
        .map(|(m, p)| format!("{} {p}", m.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} routes of docs/openapi.json have no matrix row (add one to the feature's matrix \
         or to tests/it/authz/rest.rs):\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(
        unknown.is_empty(),
        "matrix rows for routes the document does not have:\n{}",
        unknown.join("\n")
    );
    // Secured routes are in a role matrix; the ones without a token in `public`.
    let secured = secured_ops();
    for r in super::public::TABLE {
        assert!(
            !r.why.is_empty(),
            "{} {}: say why it takes no token",
            r.method,
            r.path
        );
        let key = templated(&doc, r.method, r.path);
        assert!(
            !secured.contains(&key),
            "{} {} takes a token: it belongs in a role matrix",
            r.method,
            r.path
        );
    }
    for key in doc.difference(&secured) {
        let in_public = super::public::TABLE
            .iter()
            .any(|r| templated(&doc, r.method, r.path) == *key);
        assert!(
            in_public,
            "{} {} takes no token: give it a row in authz::public saying why",
            key.0, key.1
        );
    }
}
