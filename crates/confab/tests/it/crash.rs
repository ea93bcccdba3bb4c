//! Crash safety: `kill -9` a real node during a storm of sends
//! whose clients retry unacknowledged sends with the same `client_msg_id`, restart it at
//! once on the same port and data, and check — by reading the store directly — that every
//! acknowledged message is stored exactly once with the seq it was acknowledged with, that
//! every conversation's seqs are exactly 1..N, and that every member's view through the API
//! equals the store's.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use confab::config::{Config, Dsn};
use confab::infra::store::Store;
use confab_client::Client;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{MessageIn, SendAck};
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::Mutex;

use crate::harness::*;

const BIN: &str = env!("CARGO_BIN_EXE_confab");
const SENDERS: usize = 8;
const PER_SENDER: usize = 120;

/// A `confab serve` child process that can be killed and restarted on the same port and data.
pub struct Node {
    /// The process.
    pub child: Child,
    env: Vec<(String, String)>,
    dir: std::path::PathBuf,
}

impl Node {
    fn start(env: &[(String, String)], dir: &std::path::Path) -> Child {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env_remove("RUST_LOG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    }

    /// Starts the binary again with the same environment.
    pub fn restart(&mut self) {
        self.child = Self::start(&self.env, &self.dir);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until the node answers `/healthz`.
pub async fn wait_healthy(client: &Client) {
    eventually(Duration::from_secs(30), "the node to serve", || async {
        client.healthz().await.ok()
    })
    .await;
}

/// Sends until acknowledged, retrying the same client id through crashes.
pub async fn send_until_acked(
    client: &Client,
    conv: ConversationId,
    cmid: String,
    deadline: Instant,
) -> SendAck {
    let msg = MessageIn {
        client_msg_id: cmid,
        kind: "text".into(),
        body: serde_json::json!({ "text": "storm" }),
        reply_to: None,
        mentions: None,
    };
    loop {
        match client.send(conv, &msg).await {
            Ok(ack) => return ack,
            Err(e) => {
                // Transport errors and 503s are the crash, 429 asks for a pause (a client
                // retries all three with the same id); anything else is a bug.
                let status = e.status();
                assert!(
                    status.is_none() || status == Some(503) || status == Some(429),
                    "unexpected send failure: {e}"
                );
                assert!(
                    Instant::now() < deadline,
                    "send not acknowledged before the deadline: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A node of the real binary on a free loopback port with its own data dir (and, for a
/// cluster, a fresh MariaDB database and Redis prefix). Sign-up and send limits are lifted:
/// they are not what a crash test is about.
pub struct CrashNode {
    /// The process.
    pub node: Node,
    /// A signed-out client of it.
    pub anon: Client,
    /// A config pointing at its store, for reading it directly.
    pub config: Config,
    /// The environment it runs with (for the CLI).
    pub env: Vec<(String, String)>,
    _db: Option<TempDatabase>,
    _dir: tempfile::TempDir,
}

impl CrashNode {
    /// Starts one and waits until it serves.
    pub async fn start(cluster: Option<(String, String)>, extra: &[(&str, &str)]) -> CrashNode {
        init_logging();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut env = vec![
            ("CONFAB_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            (
                "CONFAB_DATA_DIR".to_owned(),
                dir.path().join("data").display().to_string(),
            ),
            (
                "CONFAB_AUTH__ATTEMPTS_PER_IP_PER_MINUTE".to_owned(),
                "10000".to_owned(),
            ),
            (
                "CONFAB_MESSAGING__SENDS_PER_SECOND".to_owned(),
                "10000".to_owned(),
            ),
            (
                "CONFAB_MESSAGING__SENDS_BURST".to_owned(),
                "100000".to_owned(),
            ),
        ];
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let db = match &cluster {
            Some((mysql, redis)) => {
                let db = TempDatabase::create(mysql).await;
                env.push(("CONFAB_DATABASE__URL".into(), db.url.clone()));
                env.push(("CONFAB_REDIS__URL".into(), redis.clone()));
                env.push(("CONFAB_REDIS__PREFIX".into(), unique("t")));
                env.push((
                    "CONFAB_AUTH__JWT_SECRET".into(),
                    "crash-test-secret-crash-test-secret-xx".into(),
                ));
                config.database.url = Dsn::new(db.url.clone());
                Some(db)
            }
            None => None,
        };
        let node = Node {
            child: Node::start(&env, dir.path()),
            env: env.clone(),
            dir: dir.path().to_owned(),
        };
        let anon = Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
        wait_healthy(&anon).await;
        CrashNode {
            node,
            anon,
            config,
            env,
            _db: db,
            _dir: dir,
        }
    }

    /// A second node of the same cluster (same database, Redis prefix and token key) on a
    /// port and data dir of its own, with `extra` environment on top.
    pub async fn start_peer(&self, extra: &[(&str, &str)]) -> CrashNode {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut env: Vec<(String, String)> = self
            .env
            .iter()
            .filter(|(k, _)| k != "CONFAB_LISTEN" && k != "CONFAB_DATA_DIR")
            .cloned()
            .collect();
        env.push(("CONFAB_LISTEN".into(), format!("127.0.0.1:{port}")));
        env.push((
            "CONFAB_DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        ));
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        let node = Node {
            child: Node::start(&env, dir.path()),
            env: env.clone(),
            dir: dir.path().to_owned(),
        };
        let anon = Client::new(&format!("http://127.0.0.1:{port}")).unwrap();
        wait_healthy(&anon).await;
        CrashNode {
            node,
            anon,
            config: self.config.clone(),
            env,
            _db: None,
            _dir: dir,
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.env
            .iter()
            .find(|(k, _)| k == "CONFAB_LISTEN")
            .and_then(|(_, v)| v.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap()
    }

    /// `kill -9`, then start again at once and wait until it serves.
    pub async fn crash_and_restart(&mut self) {
        self.node.child.kill().unwrap();
        self.node.child.wait().unwrap();
        self.node.restart();
        wait_healthy(&self.anon).await;
    }

    /// Runs `confab <args>` against the same store and configuration; panics on failure.
    pub fn cli(&self, args: &[&str], extra: &[(&str, &str)]) {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.node.dir)
            .env_remove("RUST_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "confab {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn run(cluster: Option<(String, String)>) {
    let mut crash = CrashNode::start(cluster, &[]).await;
    let anon = crash.anon.clone();
    let config = crash.config.clone();
    // Four conversations between eight users: each sender talks in one.
    let mut users = Vec::new();
    for i in 0..SENDERS {
        let name = unique(&format!("u{i}_"));
        let t = anon.register_simple(&name, PASSWORD).await.unwrap();
        users.push(anon.signed_in(&t));
    }
    let mut convs = Vec::new();
    for pair in 0..SENDERS / 2 {
        let peer = users[2 * pair + 1].me().await.unwrap().id;
        // Direct messages are between friends (`social.direct_policy = "friends"`).
        befriend_clients(&users[2 * pair], &users[2 * pair + 1], peer).await;
        convs.push(users[2 * pair].open_direct(peer).await.unwrap().id);
    }

    let acks: Arc<Mutex<Vec<(usize, String, SendAck)>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut tasks = Vec::new();
    for (i, client) in users.iter().enumerate() {
        let client = client.clone();
        let conv = convs[i / 2];
        let acks = acks.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..PER_SENDER {
                let cmid = format!("s{i}-{j}");
                let ack = send_until_acked(&client, conv, cmid.clone(), deadline).await;
                acks.lock().await.push((i, cmid, ack));
            }
        }));
    }

    // Crash mid-storm, restart at once; twice.
    for _ in 0..2 {
        let before = acks.lock().await.len();
        eventually(Duration::from_secs(60), "sends to be flowing", || {
            let acks = acks.clone();
            async move { (acks.lock().await.len() >= before + 150).then_some(()) }
        })
        .await;
        let killed_at = Instant::now();
        let acked_at_kill = acks.lock().await.len();
        crash.crash_and_restart().await;
        eventually(
            Duration::from_secs(30),
            "the first ack after the restart",
            || {
                let acks = acks.clone();
                async move { (acks.lock().await.len() > acked_at_kill).then_some(()) }
            },
        )
        .await;
        eprintln!(
            "first ack {:?} after kill -9 (includes start-up)",
            killed_at.elapsed()
        );
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acks = acks.lock().await.clone();
    assert_eq!(
        acks.len(),
        SENDERS * PER_SENDER,
        "every send was eventually acknowledged"
    );

    // The checker reads the store itself.
    let store = Store::connect(&config).await.unwrap();
    let rows = store
        .reader()
        .query_all_raw(Statement::from_string(
            store.backend(),
            "SELECT conversation_id, seq, sender_id, client_msg_id, id FROM messages",
        ))
        .await
        .unwrap();
    let mut by_conv: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut by_cmid: HashMap<String, Vec<(i64, i64, i64)>> = HashMap::new();
    for r in rows {
        let conv: i64 = r.try_get("", "conversation_id").unwrap();
        let seq: i64 = r.try_get("", "seq").unwrap();
        let cmid: String = r.try_get("", "client_msg_id").unwrap();
        let id: i64 = r.try_get("", "id").unwrap();
        by_conv.entry(conv).or_default().push(seq);
        by_cmid.entry(cmid).or_default().push((conv, seq, id));
    }
    // (a) every acknowledged send is stored exactly once, as acknowledged.
    for (_, cmid, ack) in &acks {
        let stored = by_cmid
            .get(cmid)
            .unwrap_or_else(|| panic!("acked {cmid} is not stored"));
        assert_eq!(stored.len(), 1, "{cmid} stored {} times", stored.len());
        assert_eq!(
            stored[0],
            (ack.conversation_id.0, ack.seq, ack.id.0),
            "{cmid} differs from its ack"
        );
    }
    assert_eq!(
        by_cmid.len(),
        SENDERS * PER_SENDER,
        "nothing but the storm was stored"
    );
    // (b) gapless seqs per conversation.
    for (conv, mut seqs) in by_conv {
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (1..=seqs.len() as i64).collect::<Vec<_>>(),
            "conversation {conv} has gaps"
        );
    }
    // (c) each member's view after sync equals the store's.
    for (i, client) in users.iter().enumerate() {
        let conv = convs[i / 2];
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = client
                .history(conv, None, Some(after), Some(100))
                .await
                .unwrap();
            seen.extend(
                page.messages
                    .iter()
                    .map(|m| (m.seq, m.client_msg_id.clone())),
            );
            after = page.messages.last().map_or(after, |m| m.seq);
            if !page.has_more {
                break;
            }
        }
        assert_eq!(
            seen.len(),
            2 * PER_SENDER,
            "member {i} sees {} messages",
            seen.len()
        );
        for (seq, cmid) in &seen {
            assert_eq!(by_cmid[cmid][0].1, *seq);
        }
        let sync = client.sync(None).await.unwrap();
        let c = sync.conversations.iter().find(|c| c.id == conv).unwrap();
        assert_eq!(c.last_seq, 2 * PER_SENDER as i64);
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_send_storm_loses_and_duplicates_nothing_sqlite() {
    run(None).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_send_storm_loses_and_duplicates_nothing_mysql_redis() {
    let (Some(mysql), Some(redis)) = (mysql_url(), redis_url()) else {
        return;
    };
    run(Some((mysql, redis))).await;
}
