//! Third-party sign-in end to end against a fake identity provider on loopback: an OpenID
//! Connect provider (discovery, authorize, token with client-credential and PKCE checks,
//! userinfo, JWKS; RS256 ID tokens) and a fake GitHub (authorize, token, user, emails) in one
//! axum server. Each test can make it misbehave (tampered ID tokens, refusals).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use confab::config::{Config, OauthKind, OauthProviderConfig, Secret};
use confab_client::ClientError;
use confab_client::oauth::OauthCallbackOut;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::harness::*;

/// A throwaway 2048-bit RSA key for signing test ID tokens, made with
/// `openssl genrsa -traditional 2048`. It protects nothing.
const TEST_KEY: &[u8] = include_bytes!("fixtures/oidc_test_key.pem");
const CLIENT_ID: &str = "confab-test-client";
const CLIENT_SECRET: &str = "confab-test-secret";
const KID: &str = "test-key-1";
const ALLOWED: &str = "https://allowed.example";

/// How the fake provider spoils its next ID tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
    None,
    Nonce,
    Audience,
    Issuer,
    Signature,
    Expired,
}

#[derive(Clone, Debug)]
struct FakeUser {
    sub: String,
    email: String,
    name: String,
    login: String,
}

struct Grant {
    user: FakeUser,
    challenge: String,
    redirect_uri: String,
    nonce: Option<String>,
}

struct Idp {
    base: String,
    key: EncodingKey,
    jwk: Value,
    user: Mutex<FakeUser>,
    tamper: Mutex<Tamper>,
    deny: Mutex<bool>,
    codes: Mutex<HashMap<String, Grant>>,
    tokens: Mutex<HashMap<String, FakeUser>>,
    /// Token requests whose PKCE verifier matched the challenge.
    pkce_ok: Mutex<u32>,
}

type Shared = Arc<Idp>;

impl Idp {
    /// Starts the fake provider on 127.0.0.1:0.
    async fn start() -> Shared {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let key = EncodingKey::from_rsa_der(&pkcs1_der(TEST_KEY));
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap()).unwrap();
        jwk["kid"] = json!(KID);
        jwk["use"] = json!("sig");
        let idp = Arc::new(Idp {
            base,
            key,
            jwk,
            user: Mutex::new(fake_user("first")),
            tamper: Mutex::new(Tamper::None),
            deny: Mutex::new(false),
            codes: Mutex::default(),
            tokens: Mutex::default(),
            pkce_ok: Mutex::new(0),
        });
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/authorize", get(authorize))
            .route("/token", post(oidc_token))
            .route("/userinfo", get(userinfo))
            .route("/jwks", get(jwks))
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(github_token))
            .route("/api/user", get(github_user))
            .route("/api/user/emails", get(github_emails))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        idp
    }

    fn set_user(&self, u: FakeUser) {
        *self.user.lock().unwrap() = u;
    }

    fn set_tamper(&self, t: Tamper) {
        *self.tamper.lock().unwrap() = t;
    }

    /// Providers `corp` and `other` (OIDC, this issuer) and `github` (fake GitHub).
    fn configure(&self, c: &mut Config) {
        let oidc = |name: &str| OauthProviderConfig {
            name: name.into(),
            kind: OauthKind::Oidc,
            issuer_url: self.base.clone(),
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            scopes: vec![],
            auth_url: String::new(),
            token_url: String::new(),
            api_url: String::new(),
        };
        c.oauth.providers = vec![
            oidc("corp"),
            oidc("other"),
            OauthProviderConfig {
                name: "github".into(),
                kind: OauthKind::Github,
                issuer_url: String::new(),
                client_id: CLIENT_ID.into(),
                client_secret: Secret::new(CLIENT_SECRET),
                scopes: vec![],
                auth_url: format!("{}/login/oauth/authorize", self.base),
                token_url: format!("{}/login/oauth/access_token", self.base),
                api_url: format!("{}/api", self.base),
            },
        ];
        c.oauth.redirect_allowlist = vec![format!("{ALLOWED}/app/")];
    }

    fn id_token(&self, user: &FakeUser, nonce: Option<&str>) -> String {
        let tamper = *self.tamper.lock().unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "iss": if tamper == Tamper::Issuer { "https://evil.example" } else { self.base.as_str() },
            "aud": if tamper == Tamper::Audience { "someone-else" } else { CLIENT_ID },
            "sub": user.sub,
            "iat": now - 5,
            "exp": if tamper == Tamper::Expired { now - 600 } else { now + 300 },
            "nonce": if tamper == Tamper::Nonce { "not-the-nonce" } else { nonce.unwrap_or("") },
            "email": user.email,
            "email_verified": true,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key).unwrap();
        if tamper == Tamper::Signature {
            // Another payload under the original signature.
            let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
            let mut forged = claims.clone();
            forged["sub"] = json!("admin");
            parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
            return parts.join(".");
        }
        jwt
    }
}

/// The DER inside a `BEGIN RSA PRIVATE KEY` PEM (jsonwebtoken's PEM parser is behind a
/// feature the server does not need).
fn pkcs1_der(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).unwrap()
}

fn fake_user(tag: &str) -> FakeUser {
    let id = unique("");
    FakeUser {
        sub: format!("sub-{tag}-{id}"),
        email: format!("{tag}.{id}@idp.example"),
        name: format!("Fake {tag}"),
        login: format!("{tag}-{id}"),
    }
}

async fn discovery(State(idp): State<Shared>) -> impl IntoResponse {
    let b = &idp.base;
    axum::Json(json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "userinfo_endpoint": format!("{b}/userinfo"),
        "jwks_uri": format!("{b}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(idp): State<Shared>) -> impl IntoResponse {
    axum::Json(json!({ "keys": [idp.jwk] }))
}

/// Signs the scripted user in at once and sends the browser back with a code (or a refusal).
async fn authorize(
    State(idp): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    let redirect_uri = q["redirect_uri"].clone();
    let mut back = Url::parse(&redirect_uri).unwrap();
    let state = q.get("state").cloned().unwrap_or_default();
    if *idp.deny.lock().unwrap() {
        back.query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
    } else {
        // PKCE is mandatory here, as it should be at a real provider.
        assert_eq!(
            q.get("code_challenge_method").map(String::as_str),
            Some("S256")
        );
        let code = unique("code");
        idp.codes.lock().unwrap().insert(
            code.clone(),
            Grant {
                user: idp.user.lock().unwrap().clone(),
                challenge: q["code_challenge"].clone(),
                redirect_uri,
                nonce: q.get("nonce").cloned(),
            },
        );
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &state);
    }
    (StatusCode::FOUND, [(header::LOCATION, back.to_string())]).into_response()
}

fn token_error(code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": code })),
    )
        .into_response()
}

/// Checks the client, the single-use code, the redirect URI and the PKCE verifier.
fn redeem(idp: &Idp, headers: &HeaderMap, f: &HashMap<String, String>) -> Result<Grant, String> {
    let (id, secret) = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        Some(b) => {
            let raw = String::from_utf8(STANDARD.decode(b).unwrap()).unwrap();
            let (i, s) = raw.split_once(':').unwrap();
            (i.to_owned(), s.to_owned())
        }
        None => (
            f.get("client_id").cloned().unwrap_or_default(),
            f.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return Err("invalid_client".into());
    }
    let code = f.get("code").cloned().unwrap_or_default();
    let grant = idp
        .codes
        .lock()
        .unwrap()
        .remove(&code)
        .ok_or("invalid_grant")?;
    if f.get("redirect_uri") != Some(&grant.redirect_uri) {
        return Err("invalid_grant".into());
    }
    let verifier = f.get("code_verifier").ok_or("invalid_request")?;
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return Err("invalid_grant".into());
    }
    *idp.pkce_ok.lock().unwrap() += 1;
    Ok(grant)
}

async fn oidc_token(
    State(idp): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error("unsupported_grant_type");
    }
    let grant = match redeem(&idp, &headers, &f) {
        Ok(g) => g,
        Err(e) => return token_error(&e),
    };
    let access = unique("at");
    idp.tokens
        .lock()
        .unwrap()
        .insert(access.clone(), grant.user.clone());
    axum::Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": idp.id_token(&grant.user, grant.nonce.as_deref()),
    }))
    .into_response()
}

fn bearer_user(idp: &Idp, headers: &HeaderMap) -> Option<FakeUser> {
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    idp.tokens.lock().unwrap().get(token).cloned()
}

/// Profile claims live only here (not in the ID token), so the server must ask.
async fn userinfo(State(idp): State<Shared>, headers: HeaderMap) -> Response {
    match bearer_user(&idp, &headers) {
        Some(u) => axum::Json(json!({
            "sub": u.sub, "name": u.name, "preferred_username": u.login, "email": u.email,
        }))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// GitHub answers refusals with 200 and an `error` field.
async fn github_token(
    State(idp): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    match redeem(&idp, &headers, &f) {
        Ok(grant) => {
            let access = unique("gho_");
            idp.tokens
                .lock()
                .unwrap()
                .insert(access.clone(), grant.user);
            axum::Json(json!({"access_token": access, "token_type": "bearer", "scope": "read:user,user:email"}))
                .into_response()
        }
        Err(e) => axum::Json(json!({ "error": e })).into_response(),
    }
}

async fn github_user(State(idp): State<Shared>, headers: HeaderMap) -> Response {
    match bearer_user(&idp, &headers) {
        Some(u) => {
            let id: u64 = u.sub.bytes().map(u64::from).sum::<u64>() + 1_000_000;
            axum::Json(json!({"id": id, "login": u.login, "name": u.name, "email": null}))
                .into_response()
        }
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn github_emails(State(idp): State<Shared>, headers: HeaderMap) -> Response {
    match bearer_user(&idp, &headers) {
        Some(u) => axum::Json(json!([
            {"email": "old@idp.example", "primary": false, "verified": true},
            {"email": u.email, "primary": true, "verified": true},
        ]))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

// ---------------------------------------------------------------- helpers

/// Runs each test once per backend with a fresh fake provider configured into the node.
macro_rules! oauth_tests {
    ($(async fn $name:ident($idp:ident, $app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $idp = Idp::start().await;
                let $app = TestApp::spawn_with(Backend::Sqlite, |c| $idp.configure(c)).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = Backend::cluster() else { return };
                let $idp = Idp::start().await;
                let $app = TestApp::spawn_with(backend, |c| $idp.configure(c)).await;
                $body
            }
        }
    )*};
}

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// Follows one 302 (the provider's authorize page sending the browser back).
async fn follow(app: &TestApp, url: &Url) -> Url {
    let resp = app.client.http().get(url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 302, "{url}");
    Url::parse(resp.headers()[header::LOCATION].to_str().unwrap()).unwrap()
}

/// The callback URL the provider sends the browser to, for a flow started by `client`.
async fn provider_round_trip(
    app: &TestApp,
    client: &confab_client::Client,
    provider: &str,
    redirect: Option<&str>,
    link: bool,
) -> Url {
    let authz = client
        .oauth_authorize_url(provider, redirect, link)
        .await
        .unwrap();
    follow(app, &authz).await
}

/// A complete sign-in with `provider` (no client page): the tokens.
async fn sign_in(app: &TestApp, provider: &str) -> confab_proto::accounts::TokenOut {
    let cb = provider_round_trip(app, &app.client, provider, None, false).await;
    match app.client.oauth_callback(&cb).await.unwrap() {
        OauthCallbackOut::SignedIn(t) => *t,
        other => panic!("{other:?}"),
    }
}

async fn callback_err(app: &TestApp, cb: &Url) -> (u16, String) {
    let e = app.client.oauth_callback(cb).await.unwrap_err();
    let (s, c) = code(&e);
    (s, c.to_owned())
}

fn with_state(cb: &Url, state: Option<&str>) -> Url {
    let mut out = cb.clone();
    let pairs: Vec<(String, String)> = cb
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = out.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    out
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

// ---------------------------------------------------------------- tests

oauth_tests! {
    async fn the_configured_providers_are_listed_without_their_secrets(idp, app) {
        let _ = &idp;
        // Public: the sign-in page asks before anyone is signed in.
        let resp = app.client.http().get(app.url("/api/v1/auth/oauth/providers")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.unwrap();
        assert!(!text.contains(CLIENT_SECRET) && !text.contains(CLIENT_ID), "{text}");
        let out: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            out,
            json!({"providers": [
                {"name": "corp", "kind": "oidc"},
                {"name": "other", "kind": "oidc"},
                {"name": "github", "kind": "github"},
            ]})
        );
    }

    async fn oidc_new_user_end_to_end(idp, app) {
        let who = fake_user("newbie");
        idp.set_user(who.clone());
        // Browser flow: start (302) → provider (302) → callback.
        let start = app.client.oauth_start_url("corp", None).unwrap();
        let authz = follow(&app, &start).await;
        assert!(authz.as_str().starts_with(&format!("{}/authorize", idp.base)), "{authz}");
        assert_eq!(query_param(&authz, "code_challenge_method").as_deref(), Some("S256"));
        assert!(query_param(&authz, "nonce").is_some());
        assert!(query_param(&authz, "scope").unwrap().contains("openid"));
        let cb = follow(&app, &authz).await;
        assert_eq!(cb.path(), "/api/v1/auth/oauth/corp/callback");
        let t = match app.client.oauth_callback(&cb).await.unwrap() {
            OauthCallbackOut::SignedIn(t) => *t,
            other => panic!("{other:?}"),
        };
        assert_eq!(*idp.pkce_ok.lock().unwrap(), 1, "the server sent the PKCE verifier");
        let me = app.client.signed_in(&t).me().await.unwrap();
        assert_eq!(me.id, t.user.id);
        // Username from the provider login (normalised), nickname from its name (userinfo).
        assert_eq!(me.username, who.login.replace('-', "_"));
        assert_eq!(me.nickname, who.name);
        assert!(!me.has_password);
        // The provider's email is not bound to the account…
        assert_eq!(me.email, None);
        // …but shown on the identity.
        let ids = app.client.signed_in(&t).identities().await.unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].provider, "corp");
        assert_eq!(ids[0].email.as_deref(), Some(who.email.as_str()));
        // Tokens refresh like any others.
        app.client.refresh(&t.refresh_token).await.unwrap();
    }

    async fn same_identity_signs_in_to_the_same_user(idp, app) {
        idp.set_user(fake_user("repeat"));
        let first = sign_in(&app, "corp").await;
        let second = sign_in(&app, "corp").await;
        assert_eq!(first.user.id, second.user.id);
        assert_ne!(first.session_id, second.session_id);
        assert_eq!(app.client.signed_in(&second).sessions().await.unwrap().len(), 2);
        // A different provider account is a different user.
        idp.set_user(fake_user("someone"));
        let third = sign_in(&app, "corp").await;
        assert_ne!(third.user.id, first.user.id);
        // Same login at the provider again → a suffixed, still unique username.
        let mut clash = fake_user("clash");
        clash.login = first.user.username.clone();
        idp.set_user(clash);
        let fourth = sign_in(&app, "corp").await;
        assert!(fourth.user.username.starts_with(&format!("{}_", first.user.username)), "{}", fourth.user.username);
        // A disabled account cannot sign in through its provider either.
        idp.set_user(fake_user("repeat2"));
        let t = sign_in(&app, "corp").await;
        confab::accounts::service::disable_user(&app.state, t.user.id).await.unwrap();
        let cb = provider_round_trip(&app, &app.client, "corp", None, false).await;
        assert_eq!(callback_err(&app, &cb).await, (403, "account_disabled".into()));
    }

    async fn link_mode_links_to_the_signed_in_user(idp, app) {
        let alice = app.user("alice").await;
        let who = fake_user("alice-idp");
        idp.set_user(who.clone());
        // Link mode needs a bearer token.
        let e = app.client.oauth_authorize_url("corp", None, true).await.unwrap_err();
        assert_eq!(code(&e), (401, "unauthorized"));
        let cb = provider_round_trip(&app, &alice.client, "corp", None, true).await;
        match app.client.oauth_callback(&cb).await.unwrap() {
            OauthCallbackOut::Linked(ids) => {
                assert_eq!(ids.len(), 1);
                assert_eq!(ids[0].provider, "corp");
            }
            other => panic!("{other:?}"),
        }
        // Signing in with that provider account now signs in as alice.
        let t = sign_in(&app, "corp").await;
        assert_eq!(t.user.id, alice.id());
        // Linking it to someone else: 409.
        let bob = app.user("bob").await;
        let cb = provider_round_trip(&app, &bob.client, "corp", None, true).await;
        assert_eq!(callback_err(&app, &cb).await, (409, "identity_linked".into()));
        // A second account of the same provider for alice: 409.
        idp.set_user(fake_user("alice-second"));
        let cb = provider_round_trip(&app, &alice.client, "corp", None, true).await;
        assert_eq!(callback_err(&app, &cb).await, (409, "identity_linked".into()));
        assert_eq!(alice.client.identities().await.unwrap().len(), 1);
        // Link mode with a client page: 302 there with `linked=` in the fragment.
        let cb = provider_round_trip(&app, &bob.client, "github", Some(&format!("{ALLOWED}/app/linked")), true).await;
        match app.client.oauth_callback(&cb).await.unwrap() {
            OauthCallbackOut::Redirect(to) => assert_eq!(to.fragment(), Some("linked=github")),
            other => panic!("{other:?}"),
        }
        assert_eq!(bob.client.identities().await.unwrap()[0].provider, "github");
    }

    async fn same_email_is_never_auto_linked(idp, app) {
        let local = app.user("carol").await;
        let mut who = fake_user("carol");
        who.email = format!("{}@example.com", local.username);
        confab::accounts::operator::set_email(&app.state, local.id(), Some(&who.email))
            .await
            .unwrap();
        assert_eq!(local.client.me().await.unwrap().email.as_deref(), Some(who.email.as_str()));
        idp.set_user(who);
        let t = sign_in(&app, "corp").await;
        assert_ne!(t.user.id, local.id(), "a provider account must not take over a local one by email");
        assert_eq!(t.user.email, None);
        assert!(local.client.identities().await.unwrap().is_empty());
    }

    async fn github_sign_in(idp, app) {
        let who = fake_user("Octo-Cat");
        idp.set_user(who.clone());
        let authz = app.client.oauth_authorize_url("github", None, false).await.unwrap();
        assert!(authz.as_str().starts_with(&format!("{}/login/oauth/authorize", idp.base)));
        assert!(query_param(&authz, "code_challenge").is_some());
        let t = sign_in(&app, "github").await;
        assert_eq!(t.user.username, who.login.to_lowercase().replace('-', "_"));
        assert_eq!(t.user.nickname, who.name);
        let ids = app.client.signed_in(&t).identities().await.unwrap();
        // The primary verified address from /user/emails.
        assert_eq!(ids[0].email.as_deref(), Some(who.email.as_str()));
        assert_eq!(sign_in(&app, "github").await.user.id, t.user.id);
        // The same person through the OIDC provider is a different identity → another user.
        assert_ne!(sign_in(&app, "corp").await.user.id, t.user.id);
    }

    async fn bad_state_is_refused(idp, app) {
        idp.set_user(fake_user("state"));
        // Unknown provider.
        let e = app.client.oauth_authorize_url("nope", None, false).await.unwrap_err();
        assert_eq!(code(&e), (404, "oauth_provider_unknown"));
        let cb = provider_round_trip(&app, &app.client, "corp", None, false).await;
        let state = query_param(&cb, "state").unwrap();
        // Missing and random states.
        assert_eq!(callback_err(&app, &with_state(&cb, None)).await, (400, "oauth_state_invalid".into()));
        assert_eq!(callback_err(&app, &with_state(&cb, Some("x"))).await, (400, "oauth_state_invalid".into()));
        assert_eq!(callback_err(&app, &with_state(&cb, Some(&unique("forged")))).await, (400, "oauth_state_invalid".into()));
        // A state issued for another provider.
        let other = provider_round_trip(&app, &app.client, "other", None, false).await;
        let mut crossed = other.clone();
        crossed.set_path("/api/v1/auth/oauth/corp/callback");
        assert_eq!(callback_err(&app, &crossed).await, (400, "oauth_state_invalid".into()));
        // The real one works once; the replay is refused.
        assert!(matches!(app.client.oauth_callback(&cb).await.unwrap(), OauthCallbackOut::SignedIn(_)));
        assert_eq!(callback_err(&app, &cb).await, (400, "oauth_state_invalid".into()));
        assert!(state.len() >= 16, "state is long enough to be unguessable");
    }

    async fn provider_refusal_is_oauth_failed(idp, app) {
        *idp.deny.lock().unwrap() = true;
        let cb = provider_round_trip(&app, &app.client, "corp", None, false).await;
        assert_eq!(query_param(&cb, "error").as_deref(), Some("access_denied"));
        assert_eq!(callback_err(&app, &cb).await, (400, "oauth_failed".into()));
    }

    async fn pkce_binds_the_code_to_its_flow(idp, app) {
        idp.set_user(fake_user("pkce"));
        // A code obtained in flow A, injected into flow B: B's verifier does not match A's
        // challenge, so the provider refuses and nobody is signed in.
        let a = provider_round_trip(&app, &app.client, "corp", None, false).await;
        let b = provider_round_trip(&app, &app.client, "corp", None, false).await;
        let injected = with_state(&a, query_param(&b, "state").as_deref());
        assert_eq!(callback_err(&app, &injected).await, (400, "oauth_failed".into()));
        assert_eq!(*idp.pkce_ok.lock().unwrap(), 0);
        // The same for GitHub.
        let a = provider_round_trip(&app, &app.client, "github", None, false).await;
        let b = provider_round_trip(&app, &app.client, "github", None, false).await;
        let injected = with_state(&a, query_param(&b, "state").as_deref());
        assert_eq!(callback_err(&app, &injected).await, (400, "oauth_failed".into()));
        assert_eq!(*idp.pkce_ok.lock().unwrap(), 0);
    }

    async fn bad_id_tokens_are_refused(idp, app) {
        idp.set_user(fake_user("victim"));
        for t in [Tamper::Nonce, Tamper::Audience, Tamper::Issuer, Tamper::Signature, Tamper::Expired] {
            idp.set_tamper(t);
            let cb = provider_round_trip(&app, &app.client, "corp", None, false).await;
            assert_eq!(callback_err(&app, &cb).await, (400, "oauth_failed".into()), "{t:?}");
        }
        // The untampered token is accepted (so the refusals above are the checks at work).
        idp.set_tamper(Tamper::None);
        sign_in(&app, "corp").await;
    }

    async fn redirect_allow_list(idp, app) {
        idp.set_user(fake_user("redirect"));
        for bad in [
            "//evil.com",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://allowed.example@evil.com/app/",
            "https://allowed.example\\@evil.com/app/",
            "https://evil.com/app/",
            "https://allowed.example/other",
            "https://allowed.example.evil.com/app/",
        ] {
            let e = app.client.oauth_authorize_url("corp", Some(bad), false).await.unwrap_err();
            assert_eq!(code(&e), (422, "validation_failed"), "{bad}");
        }
        let page = format!("{ALLOWED}/app/done?tab=1");
        let cb = provider_round_trip(&app, &app.client, "corp", Some(&page), false).await;
        let to = match app.client.oauth_callback(&cb).await.unwrap() {
            OauthCallbackOut::Redirect(to) => to,
            other => panic!("{other:?}"),
        };
        assert_eq!(to.as_str().split('#').next().unwrap(), page);
        assert!(!to.query().unwrap_or("").contains("token"), "tokens never in the query");
        let frag: HashMap<String, String> = url::form_urlencoded::parse(to.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
        assert_eq!(frag["token_type"], "Bearer");
        assert!(frag["expires_in"].parse::<u64>().unwrap() > 0);
        let me = app.client.with_token(frag["access_token"].clone()).me().await.unwrap();
        let refreshed = app.client.refresh(&frag["refresh_token"]).await.unwrap();
        assert_eq!(refreshed.user.id, me.id);
        assert_eq!(refreshed.session_id.to_string(), frag["session_id"]);
    }

    async fn unlink_rules(idp, app) {
        idp.set_user(fake_user("unlink"));
        let t = sign_in(&app, "corp").await;
        let me = app.client.signed_in(&t);
        // The only way in: refused.
        let e = me.unlink_identity("corp").await.unwrap_err();
        assert_eq!(code(&e), (409, "last_sign_in_method"));
        assert_eq!(code(&me.unlink_identity("github").await.unwrap_err()), (404, "not_found"));
        // With a second identity, either may go, but not both.
        let cb = provider_round_trip(&app, &me, "github", None, true).await;
        app.client.oauth_callback(&cb).await.unwrap();
        assert_eq!(me.identities().await.unwrap().len(), 2);
        me.unlink_identity("corp").await.unwrap();
        assert_eq!(code(&me.unlink_identity("corp").await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&me.unlink_identity("github").await.unwrap_err()), (409, "last_sign_in_method"));
        // The unlinked provider account is a stranger now: signing in with it makes a new user.
        assert_ne!(sign_in(&app, "corp").await.user.id, t.user.id);
        // An account with a password may drop its only identity.
        let dave = app.user("dave").await;
        idp.set_user(fake_user("dave"));
        let cb = provider_round_trip(&app, &dave.client, "corp", None, true).await;
        app.client.oauth_callback(&cb).await.unwrap();
        dave.client.unlink_identity("corp").await.unwrap();
        assert!(dave.client.identities().await.unwrap().is_empty());
        // Anonymous: 401.
        assert_eq!(code(&app.client.identities().await.unwrap_err()), (401, "unauthorized"));
    }
}

/// `auth.registration = "invite"`: a first sign-in that would make an account needs an
/// invite code given at the start of the flow; an existing identity signs in without one.
async fn invite_mode_gates_first_sign_ins(backend: Backend) {
    use confab::config::Registration;
    let idp = Idp::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        idp.configure(c);
        c.auth.registration = Registration::Invite;
    })
    .await;
    let start_with = |invite: Option<&str>| {
        let mut url = app.client.oauth_start_url("corp", None).unwrap();
        if let Some(i) = invite {
            url.query_pairs_mut().append_pair("invite", i);
        }
        url
    };
    let round_trip = |invite: Option<String>| {
        let url = start_with(invite.as_deref());
        let app = &app;
        async move {
            let authz = follow(app, &url).await;
            follow(app, &authz).await
        }
    };
    idp.set_user(fake_user("gated"));
    let cb = round_trip(None).await;
    assert_eq!(
        callback_err(&app, &cb).await,
        (403, "invite_required".into())
    );
    let admin = confab_proto::ids::UserId(0);
    let inv = confab::accounts::invites::create(
        &app.state,
        admin,
        confab_proto::admin::SignupInviteIn {
            max_uses: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let code_s = inv.code.clone().unwrap();
    let cb = round_trip(Some(code_s.clone())).await;
    let first = match app.client.oauth_callback(&cb).await.unwrap() {
        OauthCallbackOut::SignedIn(t) => *t,
        other => panic!("{other:?}"),
    };
    // The same provider account signs in again, no code needed.
    let cb = round_trip(None).await;
    match app.client.oauth_callback(&cb).await.unwrap() {
        OauthCallbackOut::SignedIn(t) => assert_eq!(t.user.id, first.user.id),
        other => panic!("{other:?}"),
    }
    // A new provider account with the used-up code is refused; nothing was made.
    idp.set_user(fake_user("gated2"));
    let cb = round_trip(Some(code_s)).await;
    assert_eq!(
        callback_err(&app, &cb).await,
        (403, "registration_invite_invalid".into())
    );
    let d = confab::accounts::invites::detail(&app.state, inv.id)
        .await
        .unwrap();
    assert_eq!(d.used_by.len(), 1);
    assert_eq!(d.used_by[0].user_id, first.user.id);
    assert_eq!(
        confab::accounts::service::count_users(&app.state)
            .await
            .unwrap()
            .0,
        1
    );
}

mod invite_mode_gates_first_sign_ins {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::invite_mode_gates_first_sign_ins(crate::harness::Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql_redis() {
        let Some(backend) = crate::harness::Backend::cluster() else {
            return;
        };
        super::invite_mode_gates_first_sign_ins(backend).await
    }
}
