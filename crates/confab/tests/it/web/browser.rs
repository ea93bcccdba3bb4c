//! The web client in real browsers against a real `confab` binary on loopback:
//! `tests/web/e2e.mjs` (playwright-core driving Debian's headless Chromium) runs every
//! scenario, and this test kills and restarts the node on the same port and data when the
//! script asks (`@@restart`); `tests/web/firefox.mjs` (puppeteer-core driving Debian's
//! stock `firefox-esr` over WebDriver BiDi) runs the core scenario. A script's output is
//! printed; its exit status is the verdict. Screenshots of every step go to
//! `$CARGO_TARGET_DIR/web-screens/<backend>/` (never committed).
//!
//! Needs `node`, the browser and `npm ci` in `tests/web`: without them the test is skipped
//! with a note, except under `CI=true` or `CONFAB_TEST_BROWSER=1`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::required;
use crate::crash::{CrashNode, wait_healthy};
use crate::harness::*;

/// The password the script gives its users (and the administrator it asks for).
const PASSWORD: &str = "correct horse battery staple";

/// The whole browser run may take this long (each wait gives up after 30–60 s).
const BUDGET: Duration = Duration::from_secs(480);

fn script_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web")
}

fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CONFAB_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

fn firefox() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CONFAB_FIREFOX") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/firefox-esr", "/usr/bin/firefox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A browser, its driver script and what the script needs.
#[derive(Clone, Copy)]
enum Browser {
    Chromium,
    Firefox,
}

impl Browser {
    fn script(self) -> &'static str {
        match self {
            Browser::Chromium => "e2e.mjs",
            Browser::Firefox => "firefox.mjs",
        }
    }
    /// The executable and the variable the script reads it from.
    fn executable(self) -> Option<(&'static str, PathBuf)> {
        match self {
            Browser::Chromium => chromium().map(|p| ("CONFAB_CHROMIUM", p)),
            Browser::Firefox => firefox().map(|p| ("CONFAB_FIREFOX", p)),
        }
    }
    fn driver(self) -> &'static str {
        match self {
            Browser::Chromium => "playwright-core",
            Browser::Firefox => "puppeteer-core",
        }
    }
    /// At least this many screenshots show a full run.
    fn min_shots(self) -> usize {
        match self {
            Browser::Chromium => 16,
            Browser::Firefox => 6,
        }
    }
}

/// What is missing to run the browser test, if anything.
fn missing(browser: Browser) -> Option<String> {
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("node is not installed".into());
    }
    if browser.executable().is_none() {
        return Some(match browser {
            Browser::Chromium => "chromium is not installed (apt-get install chromium)".into(),
            Browser::Firefox => "firefox-esr is not installed (apt-get install firefox-esr)".into(),
        });
    }
    if !script_dir()
        .join("node_modules")
        .join(browser.driver())
        .exists()
    {
        return Some("run `npm ci` in crates/confab/tests/web".into());
    }
    None
}

/// The screenshots' folder under the cargo target dir.
fn screens(backend: &str) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("web-screens").join(backend)
}

async fn run(browser: Browser, cluster: Option<(String, String)>, backend: &str) {
    if let Some(why) = missing(browser) {
        assert!(
            !required("CONFAB_TEST_BROWSER"),
            "the browser test cannot run: {why} (CI=true or CONFAB_TEST_BROWSER=1 forbid skipping it)"
        );
        eprintln!("note: browser test not run: {why}");
        return;
    }
    let mut node = CrashNode::start(cluster, &[]).await;
    let base = node
        .anon
        .base_url()
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let dir = screens(backend);
    let _ = std::fs::remove_dir_all(&dir);
    let (exe_var, exe) = browser.executable().unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg(browser.script())
        .current_dir(script_dir())
        .env("CONFAB_BASE_URL", &base)
        .env(exe_var, exe)
        .env("CONFAB_SCREENS", &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node starts");
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let stderr = child.stderr.take().unwrap();
    let errors = tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        let mut all = String::new();
        while let Ok(Some(l)) = lines.next_line().await {
            all.push_str(&l);
            all.push('\n');
        }
        all
    });
    let drive = async {
        let mut log = String::new();
        while let Some(line) = out.next_line().await.unwrap() {
            println!("e2e: {line}");
            log.push_str(&line);
            log.push('\n');
            if line == "@@restart" {
                node.node.child.kill().unwrap();
                node.node.child.wait().unwrap();
                stdin.write_all(b"down\n").await.unwrap();
                node.node.restart();
                wait_healthy(&node.anon).await;
                stdin.write_all(b"up\n").await.unwrap();
            }
            if let Some(args) = line.strip_prefix("@@cli ") {
                // The admin's password comes through the environment, as documented.
                let args: Vec<&str> = args.split(' ').collect();
                node.cli(&args, &[("CONFAB_ADMIN_PASSWORD", PASSWORD)]);
                stdin.write_all(b"ok\n").await.unwrap();
            }
        }
        log
    };
    let log = tokio::time::timeout(BUDGET, drive)
        .await
        .unwrap_or_else(|_| panic!("the browser run took longer than {BUDGET:?}"));
    let status = child.wait().await.unwrap();
    let stderr = errors.await.unwrap();
    assert!(
        status.success() && log.contains("all steps passed"),
        "the browser run failed ({status}); screenshots in {}\n{log}\nstderr:\n{stderr}",
        dir.display()
    );
    // Every step left a screenshot.
    let shots = std::fs::read_dir(&dir).unwrap().count();
    assert!(
        shots >= browser.min_shots(),
        "{shots} screenshots in {}",
        dir.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_in_real_browsers_sqlite() {
    run(Browser::Chromium, None, "sqlite").await;
}

/// The core scenario (sign up, befriend, chat both ways, `<img onerror>` as text) in stock
/// Firefox: "works in the latest Chromium and Firefox".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_in_firefox_sqlite() {
    run(Browser::Firefox, None, "firefox").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_chat_in_real_browsers_mysql_redis() {
    let (Some(mysql), Some(redis)) = (mysql_url(), redis_url()) else {
        return;
    };
    run(Browser::Chromium, Some((mysql, redis)), "mysql_redis").await;
}
