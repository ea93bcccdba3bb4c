//! `GET /calls/ice-servers`: STUN as configured, and TURN credentials by the TURN REST
//! scheme, checked against an independent HMAC-SHA1 computation (Python's `hmac`, in a
//! subprocess) — the computation coturn does with the same shared secret.

use std::process::Command;

use confab::infra::clock::Clock;

use super::*;

const SECRET: &str = "a-shared-turn-secret-of-more-than-32-bytes";

/// base64(HMAC-SHA1(secret, username)) as Python computes it.
fn python_password(secret: &str, username: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(
            "import base64, hashlib, hmac, sys\n\
             d = hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha1).digest()\n\
             print(base64.b64encode(d).decode())",
        )
        .arg(secret)
        .arg(username)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn turn_credentials(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.calls.turn.stun_urls = vec!["stun:turn.example.test:3478".into()];
        c.calls.turn.urls = vec![
            "turn:turn.example.test:3478?transport=udp".into(),
            "turns:turn.example.test:5349".into(),
        ];
        c.calls.turn.secret = confab::config::Secret::new(SECRET);
        c.calls.turn.ttl_secs = 3600;
    })
    .await;
    let alice = app.user("alice").await;
    let out = alice.client.ice_servers().await.unwrap();
    assert_eq!(out.ice_servers.len(), 2);
    assert_eq!(out.ice_servers[0].urls, ["stun:turn.example.test:3478"]);
    assert!(out.ice_servers[0].username.is_none());
    let turn = &out.ice_servers[1];
    assert_eq!(turn.urls.len(), 2);
    let username = turn.username.clone().unwrap();
    let expiry = app.clock.now().timestamp() + 3600;
    assert_eq!(username, format!("{expiry}:{}", alice.id()));
    assert_eq!(
        turn.credential.clone().unwrap(),
        python_password(SECRET, &username)
    );
    assert_eq!(out.expires_at.map(|t| t.timestamp()), Some(expiry));
    // The secret itself is never handed out.
    let raw = serde_json::to_string(&out).unwrap();
    assert!(!raw.contains(SECRET));
    // Signed-in users only.
    let e = app.client.ice_servers().await.unwrap_err();
    assert_eq!(e.status(), Some(401));
}

backend_tests! {
    async fn without_a_secret_only_stun_is_handed_out(app) {
        let alice = app.user("alice").await;
        let out = alice.client.ice_servers().await.unwrap();
        assert!(out.ice_servers.is_empty());
        assert_eq!(out.expires_at, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_credentials_match_an_independent_hmac_sqlite() {
    turn_credentials(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_credentials_match_an_independent_hmac_mysql_redis() {
    if let Some(b) = Backend::cluster() {
        turn_credentials(b).await;
    }
}
