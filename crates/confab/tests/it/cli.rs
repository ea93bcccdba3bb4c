//! The `confab` binary itself: config errors stop start-up with one line naming the key,
//! `confab config` hides secrets, and SIGTERM shuts a serving node down cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_confab");

fn confab(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn assert_one_line_naming(out: &std::process::Output, key: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
    assert!(lines[0].contains(key), "{key} not named in: {stderr}");
}

#[test]
fn bad_env_value_stops_startup_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(&["serve"], &[("CONFAB_NODE_ID", "abc")], dir.path());
    assert_one_line_naming(&out, "node_id");
    let out = confab(
        &["serve"],
        &[("CONFAB_DATABASE__URL", "postgres://x/y")],
        dir.path(),
    );
    assert_one_line_naming(&out, "database.url");
    let out = confab(
        &["serve"],
        &[("CONFAB_HTTP__REQUEST_TIMEOUT_SECS", "0")],
        dir.path(),
    );
    assert_one_line_naming(&out, "http.request_timeout_secs");
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created when config is bad"
    );
}

#[test]
fn bad_file_value_and_unknown_key_stop_startup() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("confab.toml"),
        "listen = \"not an address\"\n",
    )
    .unwrap();
    let out = confab(&["serve"], &[], dir.path());
    assert_one_line_naming(&out, "listen");
    std::fs::write(
        dir.path().join("confab.toml"),
        "[database]\nurll = \"typo\"\n",
    )
    .unwrap();
    let out = confab(&["serve"], &[], dir.path());
    assert_one_line_naming(&out, "urll");
    std::fs::write(
        dir.path().join("confab.toml"),
        "mode = \"production\"\n[mail]\nprovider = \"disabled\"\n[sms]\nprovider = \"disabled\"\n\
         [http]\ncors_allowed_origins = [\"*\"]\n",
    )
    .unwrap();
    let out = confab(&["serve"], &[], dir.path());
    assert_one_line_naming(&out, "http.cors_allowed_origins");
}

#[test]
fn config_prints_the_effective_config_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(
        &["config", "--listen", "127.0.0.1:9999"],
        &[
            ("CONFAB_REDIS__URL", "redis://:hunter2@127.0.0.1:6379/0"),
            ("CONFAB_BLOB__S3__SECRET_ACCESS_KEY", "AKIAsecret"),
            (
                "CONFAB_AUTH__JWT_SECRET",
                "jwt-secret-jwt-secret-jwt-secret-xyz",
            ),
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:9999\""), "{text}");
    assert!(
        text.contains("redis://:********@127.0.0.1:6379/0"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2") && !text.contains("AKIAsecret"),
        "{text}"
    );
    // It is valid TOML that reads back.
    let parsed: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(parsed["mode"].as_str(), Some("dev"));
}

#[test]
fn migrate_creates_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = confab(&["migrate", "--data-dir", "d"], &[], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("d/confab.db").is_file());
}

#[test]
fn sigterm_stops_a_serving_node_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", "data"])
        .current_dir(dir.path())
        .env("CONFAB_LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        // `serve` logs to standard output by default (`log.output`).
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the node logs its address");
        log.push(line.clone());
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
            && v["message"] == "listening"
        {
            break v["addr"].as_str().unwrap().to_owned();
        }
    };
    // Dev mode announces itself.
    assert!(log.iter().any(|l| l.contains("dev mode")), "{log:?}");
    let health = reqwest::blocking_get(&format!("http://{addr}/healthz"));
    assert_eq!(health, 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the node did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    // The process has exited, so its output ends: read to the end.
    let rest: Vec<String> = rx.iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("\"stopped\"")),
        "no clean stop logged: {rest:?}"
    );
}

mod reqwest {
    /// A tiny blocking GET over a raw socket (the async client would need a runtime here).
    pub fn blocking_get(url: &str) -> u16 {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').unwrap();
        let mut s = std::net::TcpStream::connect(host).unwrap();
        write!(
            s,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut buf = String::new();
        s.read_to_string(&mut buf).unwrap();
        buf[9..12].parse().unwrap()
    }
}

#[tokio::test]
async fn admin_commands_create_disable_and_enable() {
    use confab::accounts::model::{Role, Status};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| confab(args, env, dir.path());
    let out = run(
        &["admin", "create-admin", "root_admin", "--data-dir", data_s],
        &[("CONFAB_ADMIN_PASSWORD", "a long admin passphrase")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let weak = run(
        &["admin", "create-admin", "root_two", "--data-dir", data_s],
        &[("CONFAB_ADMIN_PASSWORD", "password")],
    );
    assert!(
        !weak.status.success(),
        "a weak admin password must be refused"
    );
    let out = run(
        &["admin", "disable-user", "root_admin", "--data-dir", data_s],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = run(
        &["admin", "disable-user", "nobody_here", "--data-dir", data_s],
        &[],
    );
    assert!(!missing.status.success());

    let config = confab::config::Config {
        data_dir: data.clone(),
        listen: ([127, 0, 0, 1], 0).into(),
        ..Default::default()
    };
    let u = account(&config, "root_admin").await;
    assert_eq!((u.role, u.status), (Role::Admin, Status::Disabled));

    let out = run(
        &[
            "admin",
            "enable-user",
            &u.id.to_string(),
            "--data-dir",
            data_s,
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let u = account(&config, "root_admin").await;
    assert_eq!(u.status, Status::Active);
}

/// The account as stored, read by a node on the same data dir (the CLI's own has exited).
async fn account(config: &confab::config::Config, who: &str) -> confab::accounts::model::User {
    let app = confab::Application::build(config.clone()).await.unwrap();
    let state = app.state().clone();
    let u = confab::accounts::operator::find(&state, who)
        .await
        .unwrap()
        .unwrap();
    state.tasks.shutdown(Duration::from_secs(5)).await;
    state.store.close().await;
    u
}

/// `confab admin create-invite | list-invites | revoke-invite`: the code is printed once,
/// works for sign-up on a node with `auth.registration = "invite"`, is never listed, and a
/// revoked invite admits nobody.
#[tokio::test]
async fn admin_invite_commands() {
    use confab::config::Registration;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = confab(args, &[], dir.path());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let made = run(&[
        "admin",
        "create-invite",
        "--max-uses",
        "2",
        "--note",
        "for the band",
        "--data-dir",
        data_s,
    ]);
    let code = made
        .lines()
        .find_map(|l| l.strip_prefix("code: "))
        .expect("the code is printed")
        .to_owned();
    let id = made
        .split_whitespace()
        .nth(1)
        .expect("invite <id> …")
        .to_owned();
    let listed = run(&["admin", "list-invites", "--data-dir", data_s]);
    assert!(
        listed.contains(&id) && listed.contains("for the band"),
        "{listed}"
    );
    assert!(!listed.contains(&code), "codes are never listed");

    let mut config = confab::config::Config {
        data_dir: data.clone(),
        listen: ([127, 0, 0, 1], 0).into(),
        ..Default::default()
    };
    config.auth.registration = Registration::Invite;
    let register = |invite: String| {
        let config = config.clone();
        async move {
            let app = confab::Application::build(config).await.unwrap();
            let state = app.state().clone();
            let origin = confab::accounts::service::Origin {
                ip: [127, 0, 0, 1].into(),
                user_agent: "test".into(),
                device: None,
            };
            let input = confab_proto::accounts::RegisterIn {
                username: format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..10]),
                password: "a long and unusual passphrase".into(),
                nickname: None,
                email: None,
                email_code: None,
                phone: None,
                phone_code: None,
                device: None,
                invite_code: Some(invite),
            };
            let r = confab::accounts::service::register(&state, input, origin).await;
            state.tasks.shutdown(Duration::from_secs(5)).await;
            state.store.close().await;
            r.map(|_| ()).map_err(|e| e.code())
        }
    };
    register(code.clone()).await.unwrap();
    run(&["admin", "revoke-invite", &id, "--data-dir", data_s]);
    assert_eq!(
        register(code).await,
        Err(confab_proto::ErrorCode::RegistrationInviteInvalid)
    );
}
