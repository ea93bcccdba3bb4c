//! The two columns every secured route shares: anonymous (no token) and a disabled account
//! (its token from before the disable). Every operation the OpenAPI document marks as
//! needing a token (routes where it is optional are `authz::public`'s) is called both ways with its path parameters filled by well-formed values; each
//! must answer 401 and leave every table of the store as it was. The list comes from the
//! document, so a new route is swept the day it is documented.

use super::*;

/// A well-formed value for a path parameter, so the call reaches the token check.
fn param(name: &str) -> &'static str {
    match name {
        "provider" => "google",
        "emoji" => "%F0%9F%91%8D",
        "token" => "matrixtoken",
        "word" => "matrixword",
        "name" => "music",
        "position" => "1",
        "action" => "take",
        _ => "7260000000000000001",
    }
}

/// `path` with each `{param}` filled.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => param(name).to_owned(),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

async fn anonymous_and_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin("root").await;
    let gone = app.user("gone").await;
    admin.client.disable_user(gone.id()).await.unwrap();
    let tables = tables(&app).await;
    let ops = secured_ops();
    assert!(
        ops.len() > 150,
        "the document marks its secured routes ({})",
        ops.len()
    );
    let mut failures = Vec::new();
    for (method, path) in &ops {
        let url = concrete(path);
        let m = method.to_uppercase();
        let before = snapshot(&app, &tables).await;
        for (who, token) in [
            ("anonymous", None),
            ("disabled", Some(gone.tokens.access_token.as_str())),
        ] {
            let got = call(&app, token, &m, &url, "").await.0;
            if got != 401 {
                failures.push(format!("{m} {path} {who}: expected 401, got {got}"));
            }
        }
        let after = snapshot(&app, &tables).await;
        if before != after {
            failures.push(format!(
                "{m} {path}: a refused call changed the store: {}",
                diff(&before, &after)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cells wrong:\n{}",
        failures.len(),
        ops.len() * 2,
        failures.join("\n")
    );
}

backend_fn_tests!(anonymous_and_disabled);
