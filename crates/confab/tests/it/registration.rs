//! The registration policy (issue 17 item 5): `closed`, `window` (by the injected clock) and
//! `invite` on every sign-up path, invite codes over the admin API (single and multi use,
//! expiry, revocation, who used which), racing sign-ups that never over-use a code, and the
//! captcha password sign-in needs after failures. (The OAuth first sign-in is in `oauth`.)

use chrono::Utc;
use confab::config::{Config, Registration};
use confab::infra::clock::Clock;
use confab_client::ClientError;
use confab_proto::accounts::RegisterIn;
use confab_proto::admin::{SignupInviteDetailOut, SignupInviteOut, SignupInvitePage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::*;

backend_fn_tests!(
    closed_refuses_new_accounts_and_lets_existing_ones_sign_in,
    window_opens_and_closes_with_the_clock,
    invite_codes_admit_as_many_accounts_as_they_allow,
    racing_sign_ups_never_over_use_a_code,
    password_sign_in_needs_a_captcha_after_failures,
);

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

fn with_invite(username: &str, invite: Option<&str>) -> RegisterIn {
    RegisterIn {
        username: username.into(),
        password: PASSWORD.into(),
        nickname: None,
        email: None,
        email_code: None,
        phone: None,
        phone_code: None,
        device: None,
        invite_code: invite.map(str::to_owned),
    }
}

async fn node(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.auth.attempts_per_ip_per_minute = 10_000;
        tweak(c);
    })
    .await
}

async fn create_invite(admin: &TestUser, body: Value) -> SignupInviteOut {
    admin
        .client
        .call(Method::POST, "/api/v1/admin/invites", Some(&body))
        .await
        .unwrap()
}

async fn invite_detail(admin: &TestUser, id: impl std::fmt::Display) -> SignupInviteDetailOut {
    admin
        .client
        .call::<(), _>(Method::GET, &format!("/api/v1/admin/invites/{id}"), None)
        .await
        .unwrap()
}

async fn closed_refuses_new_accounts_and_lets_existing_ones_sign_in(backend: Backend) {
    let app = node(backend, |c| c.auth.registration = Registration::Closed).await;
    let admin = app.admin("boss").await;
    let e = app
        .client
        .register_simple(&unique("new_"), PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_closed"));
    // An invite changes nothing when the server is closed.
    let inv = create_invite(&admin, json!({})).await;
    let e = app
        .client
        .register(&with_invite(&unique("new_"), inv.code.as_deref()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_closed"));
    // No sign-up codes are sent either.
    let e = app
        .client
        .request_code("email", &format!("{}@mail.test", unique("c")), "register")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_closed"));
    // Existing accounts sign in as before.
    app.client.login(&admin.username, PASSWORD).await.unwrap();
    assert_eq!(
        confab::accounts::service::count_users(&app.state)
            .await
            .unwrap()
            .0,
        1
    );
}

async fn window_opens_and_closes_with_the_clock(backend: Backend) {
    let start = Utc::now();
    let app = node(backend, |c| {
        c.auth.registration = Registration::Window;
        c.auth.registration_opens_at = (start + chrono::Duration::hours(1)).to_rfc3339();
        c.auth.registration_closes_at = (start + chrono::Duration::hours(2)).to_rfc3339();
    })
    .await;
    let e = app
        .client
        .register_simple(&unique("early_"), PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_closed"));
    app.clock.advance(chrono::Duration::seconds(3600 + 60));
    let t = app
        .client
        .register_simple(&unique("ontime_"), PASSWORD)
        .await
        .unwrap();
    app.client.login(&t.user.username, PASSWORD).await.unwrap();
    app.clock.advance(chrono::Duration::seconds(3600));
    let e = app
        .client
        .register_simple(&unique("late_"), PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_closed"));
    // The account made inside the window still signs in.
    app.client.login(&t.user.username, PASSWORD).await.unwrap();
}

async fn invite_codes_admit_as_many_accounts_as_they_allow(backend: Backend) {
    let app = node(backend, |c| c.auth.registration = Registration::Invite).await;
    let admin = app.admin("boss").await;
    let e = app
        .client
        .register_simple(&unique("nocode_"), PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "invite_required"));
    let e = app
        .client
        .register(&with_invite(&unique("bad_"), Some("AAAA-BBBB-CCCC-DDDD")))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_invite_invalid"));

    // A two-use code, typed in lower case with spaces, admits two accounts, then nobody.
    let inv = create_invite(&admin, json!({"max_uses": 2, "note": "beta"})).await;
    let typed = inv.code.clone().unwrap().to_lowercase().replace('-', " ");
    let a = app
        .client
        .register(&with_invite(&unique("a_"), Some(&typed)))
        .await
        .unwrap();
    let b = app
        .client
        .register(&with_invite(&unique("b_"), inv.code.as_deref()))
        .await
        .unwrap();
    let e = app
        .client
        .register(&with_invite(&unique("c_"), inv.code.as_deref()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_invite_invalid"));
    // Who used it is recorded; the code is never shown again.
    let d = invite_detail(&admin, inv.id).await;
    assert_eq!(
        (d.invite.uses, d.invite.usable, d.invite.code.clone()),
        (2, false, None)
    );
    let mut used: Vec<_> = d.used_by.iter().map(|u| u.user_id).collect();
    used.sort();
    let mut want = vec![a.user.id, b.user.id];
    want.sort();
    assert_eq!(used, want);
    let page: SignupInvitePage = admin
        .client
        .call::<(), _>(Method::GET, "/api/v1/admin/invites", None)
        .await
        .unwrap();
    assert_eq!(page.invites.len(), 1);
    let listed = serde_json::to_string(&page).unwrap();
    let raw = inv.code.clone().unwrap();
    assert!(
        !listed.contains(&raw) && !listed.contains("\"code\""),
        "{listed}"
    );
    // Nor is it in the audit log.
    let audit: Value = admin
        .client
        .call::<(), _>(Method::GET, "/api/v1/admin/audit", None)
        .await
        .unwrap();
    assert!(!audit.to_string().contains(&raw));
    assert!(audit.to_string().contains("invite.create"));

    // A revoked code admits nobody; revoking again changes nothing.
    let rev = create_invite(&admin, json!({"max_uses": 5})).await;
    let path = format!("/api/v1/admin/invites/{}", rev.id);
    let out: SignupInviteOut = admin
        .client
        .call::<(), _>(Method::DELETE, &path, None)
        .await
        .unwrap();
    assert!(out.revoked_at.is_some() && !out.usable);
    let again: SignupInviteOut = admin
        .client
        .call::<(), _>(Method::DELETE, &path, None)
        .await
        .unwrap();
    assert_eq!(again.revoked_at, out.revoked_at);
    let e = app
        .client
        .register(&with_invite(&unique("r_"), rev.code.as_deref()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_invite_invalid"));

    // Bounds.
    for (body, field) in [
        (json!({"max_uses": 0}), "max_uses"),
        (json!({"max_uses": 10_001}), "max_uses"),
        (json!({"expires_at": "2001-01-01T00:00:00Z"}), "expires_at"),
        (json!({"note": "x".repeat(201)}), "note"),
    ] {
        let e = admin
            .client
            .call::<Value, Value>(Method::POST, "/api/v1/admin/invites", Some(&body))
            .await
            .unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"), "{body}");
        if let ClientError::Api { field: f, .. } = &e {
            assert_eq!(f.as_deref(), Some(field));
        }
    }
    let e = admin
        .client
        .call::<(), Value>(Method::GET, "/api/v1/admin/invites/42", None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (404, "not_found"));
    // An expired code admits nobody (the injected clock moves past its expiry).
    let exp = create_invite(
        &admin,
        json!({"expires_at": (app.clock.now() + chrono::Duration::hours(1)).to_rfc3339()}),
    )
    .await;
    app.clock.advance(chrono::Duration::seconds(2 * 3600));
    let e = app
        .client
        .register(&with_invite(&unique("x_"), exp.code.as_deref()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "registration_invite_invalid"));
    // (The admin's access token expired with the jump: ask the service.)
    let d = confab::accounts::invites::detail(&app.state, exp.id)
        .await
        .unwrap();
    assert_eq!((d.invite.uses, d.invite.usable), (0, false));
}

async fn racing_sign_ups_never_over_use_a_code(backend: Backend) {
    let app = node(backend, |c| c.auth.registration = Registration::Invite).await;
    let admin = app.admin("boss").await;
    let inv = create_invite(&admin, json!({"max_uses": 3})).await;
    let code_s = inv.code.clone().unwrap();
    let mut racers = Vec::new();
    for i in 0..12 {
        let client = app.client.clone();
        let body = with_invite(&unique(&format!("race{i}_")), Some(&code_s));
        racers.push(tokio::spawn(async move { client.register(&body).await }));
    }
    let mut won = Vec::new();
    for r in racers {
        match r.await.unwrap() {
            Ok(t) => won.push(t.user.id),
            Err(e) => assert_eq!(code(&e), (403, "registration_invite_invalid")),
        }
    }
    assert_eq!(won.len(), 3, "exactly max_uses sign-ups win");
    let d = invite_detail(&admin, inv.id).await;
    assert_eq!(d.invite.uses, 3);
    let mut used: Vec<_> = d.used_by.iter().map(|u| u.user_id).collect();
    used.sort();
    won.sort();
    assert_eq!(used, won);
    // The losers left no account behind: the admin and the three winners.
    assert_eq!(
        confab::accounts::service::count_users(&app.state)
            .await
            .unwrap()
            .0,
        4
    );
}

async fn password_sign_in_needs_a_captcha_after_failures(backend: Backend) {
    let app = node(backend, |c| c.auth.captcha_after_failures = 3).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let login = |who: &str, pw: &str, cap: Option<(&str, &str)>| {
        json!({"login": who, "password": pw,
               "captcha_id": cap.map(|c| c.0), "captcha_answer": cap.map(|c| c.1)})
    };
    let call = |body: Value| {
        let c = app.client.clone();
        async move {
            c.call::<Value, Value>(Method::POST, "/api/v1/auth/login", Some(&body))
                .await
        }
    };
    // Below the threshold: no captcha asked, the right password works.
    call(login(&alice.username, PASSWORD, None)).await.unwrap();
    for _ in 0..3 {
        let e = call(login(&alice.username, "wrong password!", None))
            .await
            .unwrap_err();
        assert_eq!(code(&e), (401, "invalid_credentials"));
    }
    // Now even the right password needs a captcha: for this account, and (the address
    // made the failures) for another account from it too.
    for who in [&alice.username, &bob.username] {
        let e = call(login(who, PASSWORD, None)).await.unwrap_err();
        assert_eq!(code(&e), (422, "captcha_required"), "{who}");
    }
    let cap = app.client.captcha().await.unwrap();
    confab::accounts::captcha::remember(&app.state, &cap.captcha_id, "K7M4P")
        .await
        .unwrap();
    let e = call(login(
        &alice.username,
        PASSWORD,
        Some((&cap.captcha_id, "XXXXX")),
    ))
    .await
    .unwrap_err();
    assert_eq!(code(&e), (422, "captcha_invalid"));
    // The captcha was used up by the wrong answer.
    let e = call(login(
        &alice.username,
        PASSWORD,
        Some((&cap.captcha_id, "K7M4P")),
    ))
    .await
    .unwrap_err();
    assert_eq!(code(&e), (422, "captcha_invalid"));
    // A solved captcha with a wrong password: still the same refusal as ever.
    let cap = app.client.captcha().await.unwrap();
    confab::accounts::captcha::remember(&app.state, &cap.captcha_id, "K7M4P")
        .await
        .unwrap();
    let e = call(login(
        &alice.username,
        "wrong again!!",
        Some((&cap.captcha_id, "k7m4p")),
    ))
    .await
    .unwrap_err();
    assert_eq!(code(&e), (401, "invalid_credentials"));
    // A solved captcha and the right password sign in.
    let cap = app.client.captcha().await.unwrap();
    confab::accounts::captcha::remember(&app.state, &cap.captcha_id, "K7M4P")
        .await
        .unwrap();
    let t: Value = call(login(
        &alice.username,
        PASSWORD,
        Some((&cap.captcha_id, "K7M4P")),
    ))
    .await
    .unwrap();
    assert_eq!(t["user"]["id"], json!(alice.id().to_string()));
}
