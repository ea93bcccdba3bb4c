//! The routes that take no token (signing up and in, OAuth, the payment provider's signed
//! webhook, health and metrics; `POST /auth/codes`, whose token is optional), called without one, and with the credentials of a disabled
//! account where a row has them. A denied cell leaves the store as it was.
//!
//! `{login}` is a user that does not exist (anonymous column) or the disabled account's
//! username (disabled column); `{refresh}` is garbage or the disabled account's refresh token
//! (revoked when it was disabled); `{new}` is a fresh username.

use super::*;

/// One route: the expected status anonymously and with the disabled account's credentials
/// (its old access token, and its username or refresh token in the body where the row
/// takes one; `0`: the column does not apply, the row says why).
pub struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub body: &'static str,
    pub anonymous: u16,
    pub disabled: u16,
    /// What the route is, and why it takes no token.
    pub why: &'static str,
}

const fn row(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    anonymous: u16,
    disabled: u16,
    why: &'static str,
) -> Row {
    Row {
        method,
        path,
        body,
        anonymous,
        disabled,
        why,
    }
}

pub const TABLE: &[Row] = &[
    row(
        "GET",
        "/healthz",
        "",
        200,
        0,
        "liveness for the orchestrator",
    ),
    row(
        "GET",
        "/readyz",
        "",
        200,
        0,
        "readiness for the load balancer",
    ),
    row(
        "GET",
        "/metrics",
        "",
        200,
        0,
        "Prometheus scrape (operations.md: keep it off the public listener)",
    ),
    row(
        "GET",
        "/api/v1/auth/captcha",
        "",
        200,
        0,
        "a challenge before signing in",
    ),
    row(
        "POST",
        "/api/v1/auth/register",
        r#"{"username":"{new}","password":"a long enough passphrase"}"#,
        201,
        0,
        "signing up makes the account (a disabled account has no say here)",
    ),
    row(
        "POST",
        "/api/v1/auth/login",
        r#"{"login":"{login}","password":"correct horse battery staple"}"#,
        401,
        403,
        "signing in; a disabled account is refused after its password checks",
    ),
    row(
        "POST",
        "/api/v1/auth/login/code",
        r#"{"channel":"email","target":"nobody@example.com","code":"000000"}"#,
        422,
        0,
        "signing in with a one-time code (no code was sent: refused)",
    ),
    row(
        "POST",
        "/api/v1/auth/codes",
        r#"{"channel":"email","target":"nobody@example.com","purpose":"bind"}"#,
        401,
        401,
        "codes for signing up and in need no token; binding an address does (401 here)",
    ),
    row(
        "POST",
        "/api/v1/auth/refresh",
        r#"{"refresh_token":"{refresh}"}"#,
        401,
        401,
        "a refresh token is the credential; a disabled account's were revoked",
    ),
    row(
        "POST",
        "/api/v1/auth/password/reset",
        r#"{"channel":"email","target":"nobody@example.com","code":"000000","new_password":"a long enough passphrase"}"#,
        422,
        0,
        "a reset code is the credential (none was sent: refused)",
    ),
    row(
        "GET",
        "/api/v1/auth/oauth/providers",
        "",
        200,
        0,
        "the sign-in screen lists the configured providers before anyone is signed in",
    ),
    row(
        "GET",
        "/api/v1/auth/oauth/{provider}/start",
        "",
        404,
        0,
        "the browser starts OAuth (no provider configured: 404)",
    ),
    row(
        "GET",
        "/api/v1/auth/oauth/{provider}/callback?code=x&state=y",
        "",
        404,
        0,
        "the provider redirects back (no provider configured: 404)",
    ),
    row(
        "GET",
        "/api/v1/ws",
        "",
        401,
        401,
        "the socket may authenticate in its first frame: the upgrade needs no token, and a \
         socket that never authenticates is closed (401 here); a revoked token is refused",
    ),
    row(
        "GET",
        "/api/v1/files/{file}",
        "",
        401,
        401,
        "a signed URL (`?u=&exp=&sig=`) is a download's credential; without one or a token: 401",
    ),
    row(
        "POST",
        "/api/v1/wallet/topups",
        r#"{"order_id":"mx1","user_id":"1","coins":10}"#,
        401,
        0,
        "the payment provider's webhook: an HMAC signature is the credential (none: 401)",
    ),
];

async fn public_routes(backend: Backend) {
    // A socket that never authenticates is closed after 1 s (not the default 10).
    let app = TestApp::spawn_with(backend, |c| c.gateway.auth_timeout_secs = 1).await;
    let admin = app.admin("root").await;
    let gone = app.user("gone").await;
    let gone_file = crate::moments::image(&gone).await;
    admin.client.disable_user(gone.id()).await.unwrap();
    let file = gone_file.to_string();
    let tables = tables(&app).await;
    let mut failures = Vec::new();
    for r in TABLE {
        for (column, expect) in [("anonymous", r.anonymous), ("disabled", r.disabled)] {
            if expect == 0 {
                continue;
            }
            let (login, refresh, token) = if column == "anonymous" {
                (unique("nobody"), "garbage".to_owned(), None)
            } else {
                let t = Some(gone.tokens.access_token.as_str());
                (gone.username.clone(), gone.tokens.refresh_token.clone(), t)
            };
            let fill = |s: &str| {
                s.replace("{login}", &login)
                    .replace("{refresh}", &refresh)
                    .replace("{new}", &unique("new"))
                    .replace("{provider}", "google")
                    .replace("{file}", &file)
            };
            let before = snapshot(&app, &tables).await;
            let (got, answer) = if r.path == "/api/v1/ws" {
                (ws_status(&app, token).await, String::new())
            } else {
                call(&app, token, r.method, &fill(r.path), &fill(r.body)).await
            };
            if got != expect {
                failures.push(format!(
                    "{} {} {column}: expected {expect}, got {got} {}",
                    r.method,
                    r.path,
                    answer.chars().take(200).collect::<String>()
                ));
            }
            if expect >= 400 {
                let after = snapshot(&app, &tables).await;
                if before != after {
                    failures.push(format!(
                        "{} {} {column} was denied but changed the store: {}",
                        r.method,
                        r.path,
                        diff(&before, &after)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

backend_fn_tests!(public_routes);
