//! The cluster for real: MariaDB, Redis, two nodes of the real binary and Debian's nginx
//! running the repository's `deploy/nginx.conf` (only its upstream addresses, listen port
//! and file paths moved to loopback and a temporary directory, and one worker process so
//! that round robin alternates strictly), as `deploy/compose.yaml`
//! lays them out. Checks that a client connected through nginx gets messages sent through
//! either node; that a node whose store is unreachable (its `/readyz` fails) drops out of
//! nginx's rotation while every request through nginx still succeeds; and that stopping a
//! node moves its clients to the other by reconnecting, with nothing lost or duplicated.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use confab_client::{Client, WsConnection, WsError};
use confab_proto::ids::ConversationId;

use crate::crash::{CrashNode, free_port};
use crate::harness::*;

const T: Duration = Duration::from_secs(10);
const NGINX: &str = "/usr/sbin/nginx";

/// A TCP forwarder to MariaDB that can be cut (every connection dropped, new ones refused)
/// and mended: one node's way to its store.
pub struct Link {
    /// The loopback port to connect to instead of the target.
    pub port: u16,
    cut: Arc<AtomicBool>,
}

impl Link {
    /// A forwarder to `target` (`host:port`), open.
    pub async fn to(target: String) -> Link {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let flag = cut.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let flag = flag.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let pipe = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    tokio::pin!(pipe);
                    loop {
                        tokio::select! {
                            _ = &mut pipe => return,
                            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                                if flag.load(Ordering::SeqCst) { return; }
                            }
                        }
                    }
                });
            }
        });
        Link { port, cut }
    }

    /// Cuts (every connection dropped, new ones refused) or mends it.
    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
    }
}

/// nginx with the repository's configuration, on loopback in front of `nodes`.
struct Nginx {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(nodes: [u16; 2]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let repo = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/nginx.conf"
        ))
        .unwrap();
        let d = dir.path().display();
        // The compose topology, moved to loopback: each anchor must exist, so the file and
        // this test cannot drift apart silently.
        let mut conf = repo.clone();
        for (from, to) in [
            (
                "server confab1:8080",
                format!("server 127.0.0.1:{}", nodes[0]),
            ),
            (
                "server confab2:8080",
                format!("server 127.0.0.1:{}", nodes[1]),
            ),
            ("listen 80;", format!("listen 127.0.0.1:{port};")),
            // One worker, so round robin alternates strictly (each worker keeps its own).
            ("worker_processes auto;", "worker_processes 1;".to_owned()),
            (
                "http {",
                format!(
                    "http {{\n    access_log {d}/access.log;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;"
                ),
            ),
        ] {
            assert!(
                conf.contains(from),
                "deploy/nginx.conf no longer has `{from}`"
            );
            conf = conf.replacen(from, &to, 1);
        }
        let conf = format!("pid {d}/nginx.pid;\nerror_log {d}/error.log;\n{conf}");
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        // Workers run as an unprivileged user: let them write their temporary files.
        let _ = Command::new("chmod")
            .args(["-R", "0777", &dir.path().display().to_string()])
            .status();
        let child = Command::new(NGINX)
            .args(["-c", &path.display().to_string(), "-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: the master then stops its workers (a killed master leaves
        // them running, holding the port and every file descriptor they inherited).
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A socket through nginx, retried until one opens (a node may be down meanwhile).
async fn connect(client: &Client) -> WsConnection {
    eventually(T, "a socket through nginx", || async {
        client.ws().await.ok()
    })
    .await
}

/// The seqs of every `message.new` this socket receives until `wait` passes without a
/// frame, and whether the socket closed meanwhile.
async fn drain_or_close(
    ws: &mut WsConnection,
    conv: ConversationId,
    wait: Duration,
) -> (Vec<i64>, bool) {
    let mut seqs = Vec::new();
    loop {
        match ws.next_event_within(wait).await {
            Ok(ev) => {
                if ev.kind == "message.new" && ev.data["conversation_id"] == conv.to_string() {
                    seqs.push(ev.data["seq"].as_i64().unwrap());
                }
            }
            Err(WsError::Timeout(_)) => return (seqs, false),
            Err(_) => return (seqs, true),
        }
    }
}

/// [`drain_or_close`] on a socket that must stay open.
async fn drain(ws: &mut WsConnection, conv: ConversationId, wait: Duration) -> Vec<i64> {
    let (seqs, closed) = drain_or_close(ws, conv, wait).await;
    assert!(!closed, "the socket closed");
    seqs
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_behind_nginx() {
    let (Some(mysql), Some(redis)) = (mysql_url(), redis_url()) else {
        return;
    };
    if !std::path::Path::new(NGINX).exists() {
        assert!(
            std::env::var("CI").is_err(),
            "CI runs the cluster test: install nginx (Debian's nginx-light)"
        );
        eprintln!("cluster::two_nodes_behind_nginx skipped: no {NGINX}");
        return;
    }
    let one = CrashNode::start(Some((mysql.clone(), redis)), &[]).await;
    // Node two reaches the same database through a link the test can cut.
    let db_url = one
        .env
        .iter()
        .find(|(k, _)| k == "CONFAB_DATABASE__URL")
        .map(|(_, v)| v.clone())
        .unwrap();
    let db = url::Url::parse(&db_url).unwrap();
    let link = Link::to(format!(
        "{}:{}",
        db.host_str().unwrap(),
        db.port().unwrap_or(3306)
    ))
    .await;
    let mut via_link = db.clone();
    via_link.set_host(Some("127.0.0.1")).unwrap();
    via_link.set_port(Some(link.port)).unwrap();
    let two_db = via_link.to_string();
    let mut two = one
        .start_peer(&[
            ("CONFAB_DATABASE__URL", two_db.as_str()),
            ("CONFAB_DATABASE__ACQUIRE_TIMEOUT_SECS", "1"),
        ])
        .await;
    let nginx = Nginx::start([one.port(), two.port()]);
    let lb = Client::new(&nginx.url()).unwrap();
    eventually(T, "nginx to serve", || async { lb.healthz().await.ok() }).await;

    let alice_t = lb
        .register_simple(&unique("alice_"), PASSWORD)
        .await
        .unwrap();
    let bob_t = lb.register_simple(&unique("bob_"), PASSWORD).await.unwrap();
    let alice = lb.signed_in(&alice_t);
    let bob = lb.signed_in(&bob_t);
    befriend_clients(&alice, &bob, bob_t.user.id).await;
    let conv = alice.open_direct(bob_t.user.id).await.unwrap().id;

    // Four of Alice's devices through nginx: round robin puts two on each node.
    let mut devices = Vec::new();
    for _ in 0..4 {
        devices.push(connect(&alice).await);
    }
    // Bob sends once through each node directly: every device gets both.
    let bob_one = one.anon.signed_in(&bob_t);
    let bob_two = two.anon.signed_in(&bob_t);
    bob_one.send_text(conv, "via one").await.unwrap();
    bob_two.send_text(conv, "via two").await.unwrap();
    for (i, ws) in devices.iter_mut().enumerate() {
        let got = drain(ws, conv, Duration::from_millis(1500)).await;
        assert_eq!(got, vec![1, 2], "device {i}");
    }

    // Node two loses its store: its /readyz fails, and nginx keeps every request on node one.
    link.set_cut(true);
    eventually(T, "node two to report not ready", || async {
        let r = two.anon.readyz().await.ok()?;
        (r.status == 503).then_some(())
    })
    .await;
    for i in 0..20 {
        let r = alice.history(conv, None, None, Some(10)).await;
        assert!(r.is_ok(), "request {i} through nginx failed: {r:?}");
        assert_eq!(r.unwrap().messages.len(), 2);
    }
    link.set_cut(false);
    eventually(T, "node two ready again", || async {
        let r = two.anon.readyz().await.ok()?;
        (r.status == 200).then_some(())
    })
    .await;

    // Node two stops: its sockets close, reconnect through nginx (to node one) and catch up
    // on what was sent meanwhile from the history; the others get it live.
    two.node.child.kill().unwrap();
    two.node.child.wait().unwrap();
    let mut sent = BTreeSet::from([1, 2]);
    for i in 0..3 {
        let ack = bob_one
            .send_text(conv, &format!("while two is down {i}"))
            .await
            .unwrap();
        sent.insert(ack.seq);
    }
    let mut moved = 0;
    for (i, mut ws) in devices.into_iter().enumerate() {
        let mut seen: Vec<i64> = vec![1, 2];
        let (live, closed) = drain_or_close(&mut ws, conv, Duration::from_millis(1500)).await;
        seen.extend(&live);
        if closed {
            moved += 1;
            // Reconnect through nginx, then fetch what came after the last seq seen.
            let mut again = connect(&alice).await;
            let last = *seen.iter().max().unwrap();
            let page = alice
                .history(conv, None, Some(last), Some(50))
                .await
                .unwrap();
            seen.extend(page.messages.iter().map(|m| m.seq));
            // The new socket is live: one more message reaches it.
            let ack = bob_one
                .send_text(conv, &format!("after the move {i}"))
                .await
                .unwrap();
            sent.insert(ack.seq);
            let fresh = drain(&mut again, conv, Duration::from_millis(1500)).await;
            assert!(
                fresh.contains(&ack.seq),
                "device {i} after its move: {fresh:?}"
            );
            seen.extend(fresh);
            let catch_up = alice
                .history(conv, None, Some(ack.seq), Some(50))
                .await
                .unwrap();
            seen.extend(catch_up.messages.iter().map(|m| m.seq));
        }
        seen.sort_unstable();
        seen.dedup();
        let upto: BTreeSet<i64> = sent
            .iter()
            .copied()
            .filter(|s| *s <= *seen.last().unwrap())
            .collect();
        assert_eq!(
            seen.iter().copied().collect::<BTreeSet<_>>(),
            upto,
            "device {i} lost messages"
        );
    }
    assert_eq!(moved, 2, "the two sockets on the stopped node moved");
    // Nothing duplicated: the store holds each acknowledged send once, seqs 1..=N.
    let all = alice.history(conv, None, Some(0), Some(100)).await.unwrap();
    let seqs: Vec<i64> = all.messages.iter().map(|m| m.seq).collect();
    let want: Vec<i64> = (1..=i64::try_from(sent.len()).unwrap()).collect();
    assert_eq!(seqs, want);
}
