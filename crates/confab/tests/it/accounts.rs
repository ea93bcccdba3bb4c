//! Accounts end to end: sign-up, sign-in, refresh rotation and reuse, sessions, revocation,
//! profiles, search, and the rules that guard them.

use std::time::Duration;

use confab_client::ClientError;
use confab_proto::ErrorCode;
use confab_proto::accounts::{MePatch, RegisterIn};

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

backend_tests! {
    async fn register_login_me_and_sessions(app) {
        let name = unique("alice_");
        let t = app.client.register_simple(&name, PASSWORD).await.unwrap();
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.expires_in, 900);
        assert_eq!(t.user.username, name);
        assert!(t.user.has_password);
        let alice = app.client.signed_in(&t);
        let me = alice.me().await.unwrap();
        assert_eq!(me, t.user);

        // Sign in again (another device) by username, upper-cased.
        let t2 = app.client.login(&name.to_uppercase(), PASSWORD).await.unwrap();
        assert_eq!(t2.user.id, me.id);
        assert_ne!(t2.session_id, t.session_id);
        let sessions = alice.sessions().await.unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
        assert!(sessions.iter().find(|s| s.current).unwrap().id == t.session_id);
        assert_eq!(sessions[0].ip, "127.0.0.1");

        // Revoke the other device: its access token stops working at once.
        let other = app.client.signed_in(&t2);
        alice.revoke_session(t2.session_id).await.unwrap();
        let e = other.me().await.unwrap_err();
        assert_eq!(code(&e), (401, "session_revoked"));
        assert_eq!(alice.sessions().await.unwrap().len(), 1);
        // Revoking it again, or someone else's: 404.
        assert_eq!(code(&alice.revoke_session(t2.session_id).await.unwrap_err()), (404, "not_found"));
    }

    async fn unknown_user_and_wrong_password_look_the_same(app) {
        let u = app.user("bob").await;
        let wrong = app.client.login(&u.username, "not the password at all").await.unwrap_err();
        let unknown = app.client.login("nobody_like_this_1", "not the password at all").await.unwrap_err();
        let unknown_email = app.client.login("nobody@example.com", "x").await.unwrap_err();
        for e in [&wrong, &unknown, &unknown_email] {
            match e {
                ClientError::Api { status, code, message, .. } => {
                    assert_eq!((*status, code.as_str()), (401, "invalid_credentials"));
                    assert_eq!(message, "wrong username, email, phone or password");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    async fn refresh_rotates_and_reuse_revokes_the_session(app) {
        let u = app.user("carol").await;
        let r1 = u.tokens.refresh_token.clone();
        let t2 = app.client.refresh(&r1).await.unwrap();
        assert_ne!(t2.refresh_token, r1);
        assert_eq!(t2.session_id, u.tokens.session_id);
        let t3 = app.client.refresh(&t2.refresh_token).await.unwrap();
        app.client.signed_in(&t3).me().await.unwrap();

        // Replaying an exchanged token: refused, and the whole session is signed out.
        let e = app.client.refresh(&r1).await.unwrap_err();
        assert_eq!(code(&e), (401, "refresh_token_invalid"));
        assert_eq!(code(&app.client.signed_in(&t3).me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.refresh(&t3.refresh_token).await.unwrap_err()), (401, "refresh_token_invalid"));
        assert_eq!(code(&app.client.refresh("garbage").await.unwrap_err()), (401, "refresh_token_invalid"));
    }

    async fn concurrent_refreshes_never_mint_two_live_chains(app) {
        for _ in 0..5 {
            let u = app.user("dave").await;
            let r = u.tokens.refresh_token.clone();
            let (a, b) = tokio::join!(app.client.refresh(&r), app.client.refresh(&r));
            let winners: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
            assert!(winners.len() <= 1, "two refreshes with one token both succeeded");
            // Whatever won, at most one chain can still refresh.
            let mut live = 0;
            for w in &winners {
                if app.client.refresh(&w.refresh_token).await.is_ok() {
                    live += 1;
                }
            }
            assert!(live <= 1);
        }
    }

    async fn access_tokens_expire_by_the_clock(app) {
        let u = app.user("erin").await;
        u.client.me().await.unwrap();
        app.clock.advance(chrono::Duration::seconds(899));
        u.client.me().await.unwrap();
        app.clock.advance(chrono::Duration::seconds(31));
        assert_eq!(code(&u.client.me().await.unwrap_err()), (401, "token_expired"));
        let t = app.client.refresh(&u.tokens.refresh_token).await.unwrap();
        app.client.signed_in(&t).me().await.unwrap();
    }

    async fn forged_tokens_are_refused(app) {
        let u = app.user("frank").await;
        let t = u.tokens.access_token.clone();
        let mut bytes = t.clone().into_bytes();
        let i = t.len() - 5;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        for bad in [String::from_utf8(bytes).unwrap(), "x.y.z".into(), format!("{t}x")] {
            let e = app.client.with_token(bad).me().await.unwrap_err();
            assert_eq!(code(&e), (401, "unauthorized"));
        }
        let e = app.client.me().await.unwrap_err();
        assert_eq!(code(&e), (401, "unauthorized"));
    }

    async fn logout_and_logout_all(app) {
        let u = app.user("gina").await;
        let second = app.client.login(&u.username, PASSWORD).await.unwrap();
        let third = app.client.login(&u.username, PASSWORD).await.unwrap();
        app.client.signed_in(&second).logout().await.unwrap();
        assert_eq!(code(&app.client.signed_in(&second).me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.refresh(&second.refresh_token).await.unwrap_err()), (401, "refresh_token_invalid"));
        u.client.me().await.unwrap();
        u.client.logout_all().await.unwrap();
        for t in [&u.tokens, &third] {
            assert_eq!(code(&app.client.signed_in(t).me().await.unwrap_err()), (401, "session_revoked"));
        }
    }

    async fn duplicate_and_weak_and_malformed_sign_ups(app) {
        let u = app.user("hank").await;
        let e = app.client.register_simple(&u.username.to_uppercase(), PASSWORD).await.unwrap_err();
        assert_eq!(code(&e), (409, "username_taken"));
        for weak in ["password", "12345678", "short"] {
            let e = app.client.register_simple(&unique("w_"), weak).await.unwrap_err();
            assert_eq!(code(&e), (422, "weak_password"), "{weak}");
        }
        let name = unique("w_");
        let e = app.client.register_simple(&name, &format!("{name}-Xq9")).await.unwrap_err();
        assert_eq!(code(&e), (422, "weak_password"), "a password containing the username");
        for bad in ["ab", "has space", "tab\tname", "nul\0name", "ünïcode", ".dot", "ok%_"] {
            let e = app.client.register_simple(bad, PASSWORD).await.unwrap_err();
            assert_eq!(code(&e), (422, "validation_failed"), "{bad:?}");
            if let ClientError::Api { field, .. } = &e {
                assert_eq!(field.as_deref(), Some("username"));
            }
        }
        // An email without its code is refused (nobody may claim an address they do not hold).
        let e = app.client.register(&RegisterIn {
            username: unique("m_"), password: PASSWORD.into(), nickname: None,
            email: Some("someone@example.com".into()), email_code: None,
            phone: None, phone_code: None, device: None, invite_code: None,
        }).await.unwrap_err();
        assert_eq!(code(&e), (422, "verification_required"));
        // Wrong JSON shapes.
        let http = app.client.http();
        let url = app.url("/api/v1/auth/register");
        for (body, status, c) in [
            (r#"{"username":"x"}"#, 422, "validation_failed"),
            (r#"{"username":1,"password":"p"}"#, 422, "validation_failed"),
            (r#"{"username":"abc","password":"correct horse battery","admin":true}"#, 422, "validation_failed"),
            (r#"{"username":"abc","#, 400, "invalid_json"),
        ] {
            let r = http.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{body}");
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["error"]["code"], c, "{body}");
        }
        let r = http.post(&url).header("content-type", "text/plain").body("{}").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 415);
        let huge = format!(r#"{{"username":"abc","password":"{}"}}"#, "x".repeat(2_000_000));
        let r = http.post(&url).header("content-type", "application/json").body(huge).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 413);
    }

    async fn profile_edits_and_validation(app) {
        let u = app.user("ivy").await;
        let me = u.client.update_me(&MePatch {
            nickname: Some("  Ivy 🌿 ".into()),
            bio: Some("line one\nline two".into()),
            gender: Some("female".into()),
            tags: Some(vec!["rust".into(), "chat".into(), "rust".into()]),
            ..MePatch::default()
        }).await.unwrap();
        assert_eq!(me.nickname, "Ivy 🌿");
        assert_eq!(me.bio, "line one\nline two");
        assert_eq!(me.tags, ["rust", "chat"]);
        // Absent fields do not change.
        let me2 = u.client.update_me(&MePatch { gender: Some("other".into()), ..MePatch::default() }).await.unwrap();
        assert_eq!((me2.nickname.as_str(), me2.gender.as_str()), ("Ivy 🌿", "other"));
        for (patch, field) in [
            (MePatch { nickname: Some("".into()), ..MePatch::default() }, "nickname"),
            (MePatch { nickname: Some("a\u{202e}b".into()), ..MePatch::default() }, "nickname"),
            (MePatch { gender: Some("robot".into()), ..MePatch::default() }, "gender"),
            (MePatch { bio: Some("x".repeat(501)), ..MePatch::default() }, "bio"),
            (MePatch { tags: Some(vec!["t".into(); 11]), ..MePatch::default() }, "tags"),
        ] {
            let e = u.client.update_me(&patch).await.unwrap_err();
            assert_eq!(code(&e), (422, "validation_failed"));
            if let ClientError::Api { field: f, .. } = &e { assert_eq!(f.as_deref(), Some(field)); }
        }
        let e = u.client.update_me(&MePatch { avatar: Some(Some(confab_proto::ids::FileId(12345))), ..MePatch::default() }).await.unwrap_err();
        assert_eq!(code(&e), (404, "not_found"));
        // Public view hides private fields.
        let other = app.user("jack").await;
        let seen = other.client.user(u.id()).await.unwrap();
        assert_eq!(seen.nickname, "Ivy 🌿");
        let raw: serde_json::Value = other.client.call::<(), _>(reqwest::Method::GET, &format!("/api/v1/users/{}", u.id()), None).await.unwrap();
        assert!(raw.get("email").is_none() && raw.get("phone").is_none() && raw.get("role").is_none());
    }

    async fn password_change_signs_out_other_devices(app) {
        let u = app.user("kim").await;
        let other = app.client.login(&u.username, PASSWORD).await.unwrap();
        let e = u.client.change_password("wrong old password", "a brand new passphrase").await.unwrap_err();
        assert_eq!(code(&e), (401, "invalid_credentials"));
        u.client.change_password(PASSWORD, "a brand new passphrase").await.unwrap();
        u.client.me().await.unwrap();
        assert_eq!(code(&app.client.signed_in(&other).me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.login(&u.username, PASSWORD).await.unwrap_err()), (401, "invalid_credentials"));
        app.client.login(&u.username, "a brand new passphrase").await.unwrap();
    }

    async fn deleting_an_account_scrubs_it_and_frees_the_name(app) {
        let u = app.user("lee").await;
        assert_eq!(code(&u.client.delete_me(Some("wrong")).await.unwrap_err()), (401, "invalid_credentials"));
        u.client.delete_me(Some(PASSWORD)).await.unwrap();
        assert_eq!(code(&u.client.me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.login(&u.username, PASSWORD).await.unwrap_err()), (401, "invalid_credentials"));
        let viewer = app.user("viewer").await;
        assert_eq!(code(&viewer.client.user(u.id()).await.unwrap_err()), (404, "not_found"));
        app.client.register_simple(&u.username, PASSWORD).await.unwrap();
    }

    async fn disabled_accounts_are_shut_out_at_once(app) {
        let u = app.user("mo").await;
        confab::accounts::service::disable_user(&app.state, u.id()).await.unwrap();
        assert_eq!(code(&u.client.me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.login(&u.username, PASSWORD).await.unwrap_err()), (403, "account_disabled"));
        assert_eq!(code(&app.client.login(&u.username, "wrong password here").await.unwrap_err()), (401, "invalid_credentials"));
        confab::accounts::service::enable_user(&app.state, u.id()).await.unwrap();
        app.client.login(&u.username, PASSWORD).await.unwrap();
    }

    async fn search_by_id_name_and_literal_nickname(app) {
        let tag = unique("");
        let searcher = app.user("s").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            let u = app.user("n").await;
            u.client.update_me(&MePatch { nickname: Some(format!("Zed{tag}-{i}")), ..MePatch::default() }).await.unwrap();
            ids.push(u.id());
        }
        let pct = app.user("p").await;
        pct.client.update_me(&MePatch { nickname: Some(format!("100%{tag}")), ..MePatch::default() }).await.unwrap();

        let page1 = searcher.client.search_users(&format!("zed{tag}"), None, Some(3)).await.unwrap();
        assert_eq!(page1.items.len(), 3);
        let page2 = searcher.client.search_users(&format!("zed{tag}"), page1.next_cursor.as_deref(), Some(3)).await.unwrap();
        assert_eq!(page2.items.len(), 2);
        assert!(page2.next_cursor.is_none());
        let mut all: Vec<_> = page1.items.iter().chain(&page2.items).map(|u| u.id).collect();
        all.sort();
        assert_eq!(all, ids);
        // `%` and `_` match themselves only.
        let lit = searcher.client.search_users(&format!("0%{tag}"), None, None).await.unwrap();
        assert_eq!(lit.items.iter().map(|u| u.id).collect::<Vec<_>>(), [pct.id()]);
        let none = searcher.client.search_users("%", None, None).await.unwrap();
        assert!(none.items.iter().all(|u| u.nickname.contains('%')));
        let none = searcher.client.search_users("_", None, None).await.unwrap();
        assert!(none.items.iter().all(|u| u.nickname.contains('_') || u.username.contains('_')));
        // Exact username and id.
        let by_name = searcher.client.search_users(&pct.username, None, None).await.unwrap();
        assert_eq!(by_name.items[0].id, pct.id());
        let by_id = searcher.client.search_users(&pct.id().to_string(), None, None).await.unwrap();
        assert_eq!(by_id.items[0].id, pct.id());
        // SQL metacharacters are just text.
        let sql = searcher.client.search_users("' OR 1=1 --", None, None).await.unwrap();
        assert!(sql.items.is_empty());
        for (q, limit) in [("", None), ("x", Some(0)), ("x", Some(51))] {
            let e = searcher.client.search_users(q, None, limit).await.unwrap_err();
            assert_eq!(code(&e).0, 422);
        }
        assert_eq!(code(&app.client.search_users("x", None, None).await.unwrap_err()), (401, "unauthorized"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_soft_lock_the_account_for_the_hour() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.auth.max_failed_logins_per_hour = 3).await;
    let u = app.user("lock").await;
    for _ in 0..3 {
        let e = app
            .client
            .login(&u.username, "definitely wrong pw")
            .await
            .unwrap_err();
        assert_eq!(code(&e), (401, "invalid_credentials"));
    }
    let e = app.client.login(&u.username, PASSWORD).await.unwrap_err();
    assert_eq!(code(&e), (429, "too_many_attempts"));
    // The same for an account that does not exist: no enumeration through the lock.
    for _ in 0..3 {
        let _ = app
            .client
            .login("ghost_user_x", "definitely wrong pw")
            .await;
    }
    let e = app
        .client
        .login("ghost_user_x", "definitely wrong pw")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (429, "too_many_attempts"));
    // Other accounts are unaffected; the locked one is not locked forever (the window ends).
    let v = app.user("other").await;
    app.client.login(&v.username, PASSWORD).await.unwrap();
    let ttl = app
        .state
        .cache
        .ttl(&format!(
            "login-fail:{}",
            confab::accounts::tokens::hash_secret(&u.username)
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(ttl <= Duration::from_secs(3600));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited_per_ip() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.auth.attempts_per_ip_per_minute = 4).await;
    for _ in 0..4 {
        let _ = app.client.login("someone", "whatever password").await;
    }
    let e = app
        .client
        .login("someone", "whatever password")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (429, "rate_limited"));
    assert!(e.is(ErrorCode::RateLimited));
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_one_node_holds_on_the_other() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let u = a.user("two").await;
    let on_b = b.client.with_token(u.tokens.access_token.clone());
    on_b.me().await.unwrap();
    u.client.logout().await.unwrap();
    // Node B cached the session as live a moment ago; the bus tells it otherwise.
    eventually(
        Duration::from_secs(2),
        "node B to refuse the revoked session",
        || async {
            on_b.me()
                .await
                .err()
                .filter(|e| e.is(ErrorCode::SessionRevoked))
        },
    )
    .await;
}
