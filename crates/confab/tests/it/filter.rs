//! The sensitive-word filter on the send path: words from the config's file and from the
//! table, each action (`mask`, `reject`, `review`), and runtime changes reaching every node.

use std::path::PathBuf;
use std::time::Duration;

use confab::config::{Config, FilterAction};
use confab::moderation::reports::{Target, list_open};
use confab_client::{Client, ClientError};
use confab_proto::messaging::MessageIn;

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

use crate::harness::text_message as text;

/// A words file in a temp dir (kept alive by the returned guard: peers read it at start).
fn words_file(lines: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    std::fs::write(&path, lines).unwrap();
    (dir, path)
}

/// A node whose filter has `words` from a file and takes `action`.
async fn spawn(
    backend: Backend,
    words: &str,
    action: FilterAction,
) -> (TestApp, tempfile::TempDir) {
    let (dir, path) = words_file(words);
    let app = TestApp::spawn_with(backend, |c: &mut Config| {
        c.moderation.words_file = path.to_string_lossy().into_owned();
        c.moderation.action = action;
    })
    .await;
    (app, dir)
}

/// Texts stored in a conversation, oldest first.
async fn texts(user: &TestUser, c: confab_proto::ids::ConversationId) -> Vec<String> {
    let h = user.client.history(c, None, None, None).await.unwrap();
    h.messages
        .iter()
        .map(|m| m.body["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Runs each test on SQLite, and on MariaDB + Redis when configured.
macro_rules! filter_tests {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = Backend::Sqlite;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some($backend) = Backend::cluster() else { return };
                $body
            }
        }
    )*};
}

filter_tests! {
    async fn mask_replaces_each_matched_character(backend) {
        let (app, _words) = spawn(backend, "# house list\nbad\n坏蛋\n", FilterAction::Mask).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        for (i, t) in ["you are ＢＡＤ", "b\u{200B}a.d 😀", "你是坏 蛋", "all good"].iter().enumerate() {
            alice.client.send(c.id, &text(&format!("m{i}"), t)).await.unwrap();
        }
        assert_eq!(
            texts(&bob, c.id).await,
            ["you are ***", "***** 😀", "你是***", "all good"]
        );
        // Place names are screened; custom bodies are the client app's and are not.
        let place = MessageIn {
            kind: "location".into(),
            body: serde_json::json!({"lat": 1.0, "lng": 2.0, "name": "Bad Lane"}),
            ..text("loc", "")
        };
        alice.client.send(c.id, &place).await.unwrap();
        let custom = MessageIn {
            kind: "custom".into(),
            body: serde_json::json!({"text": "bad"}),
            ..text("cus", "")
        };
        alice.client.send(c.id, &custom).await.unwrap();
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages[4].body["name"], "*** Lane");
        assert_eq!(h.messages[5].body["text"], "bad");
        // A retry of a masked message is still the same message.
        let again = alice.client.send(c.id, &text("m0", "you are ＢＡＤ")).await.unwrap();
        assert_eq!(again.seq, 1);
    }

    async fn reject_stores_nothing(backend) {
        let (app, _words) = spawn(backend, "bad\n", FilterAction::Reject).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let e = alice.client.send(c.id, &text("r1", "B-A-D news")).await.unwrap_err();
        assert_eq!(code(&e), (422, "content_blocked"));
        assert!(matches!(&e, ClientError::Api { field: Some(f), .. } if f == "body.text"), "{e:?}");
        assert!(texts(&bob, c.id).await.is_empty());
        assert_eq!(bob.client.conversation(c.id).await.unwrap().last_seq, 0);
        // Clean text still goes through, with the next seq (none was used up).
        assert_eq!(alice.client.send(c.id, &text("r2", "good news")).await.unwrap().seq, 1);
    }

    async fn review_delivers_masked_and_files_a_report(backend) {
        let (app, _words) = spawn(backend, "bad\n", FilterAction::Review).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let ack = alice.client.send(c.id, &text("v1", "so Bad!")).await.unwrap();
        assert_eq!(texts(&bob, c.id).await, ["so ***!"]);
        let reports = list_open(&app.state, None, 10).await.unwrap();
        assert_eq!(reports.len(), 1);
        let r = &reports[0];
        assert_eq!(r.target, Target::Message(c.id, ack.seq));
        assert_eq!(r.reporter, None);
        assert_eq!(r.excerpt.as_deref(), Some("so Bad!"));
        assert_eq!(r.status, "open");
        // A retry files nothing more; clean text files nothing.
        alice.client.send(c.id, &text("v1", "so Bad!")).await.unwrap();
        alice.client.send(c.id, &text("v2", "fine")).await.unwrap();
        assert_eq!(list_open(&app.state, None, 10).await.unwrap().len(), 1);
    }

    async fn edits_are_screened_like_sends(backend) {
        // An edit is new user text: masked, refused or filed for review like a send
        // (it used to store and push listed words unmasked).
        let (app, _words) = spawn(backend.clone(), "bad\n", FilterAction::Review).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let ack = alice.client.send(c.id, &text("e1", "all fine")).await.unwrap();
        let edited = alice.client.edit_message(c.id, ack.seq, "now BAD").await.unwrap();
        assert_eq!(edited.body["text"], "now ***");
        assert_eq!(texts(&bob, c.id).await, ["now ***"]);
        let reports = list_open(&app.state, None, 10).await.unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].target, Target::Message(c.id, ack.seq));
        assert_eq!(reports[0].excerpt.as_deref(), Some("now BAD"));

        let (app, _words) = spawn(backend, "bad\n", FilterAction::Reject).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let ack = alice.client.send(c.id, &text("e1", "all fine")).await.unwrap();
        let e = alice.client.edit_message(c.id, ack.seq, "B-A-D news").await.unwrap_err();
        assert_eq!(code(&e), (422, "content_blocked"));
        assert_eq!(texts(&bob, c.id).await, ["all fine"]);
    }

    async fn words_added_at_runtime_apply_without_restart(backend) {
        let cluster = matches!(backend, Backend::Cluster { .. });
        let (app, _words) = spawn(backend, "", FilterAction::Mask).await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send(c.id, &text("w1", "spam")).await.unwrap();

        let peer = if cluster { Some(app.spawn_peer().await) } else { None };
        assert!(confab::moderation::service::add_word(&app.state, "S.P.A.M", None).await.unwrap());
        assert!(!confab::moderation::service::add_word(&app.state, "spam", None).await.unwrap());
        assert_eq!(confab::moderation::service::list_words(&app.state).await.unwrap(), ["spam"]);
        alice.client.send(c.id, &text("w2", "s p a m")).await.unwrap();
        assert_eq!(texts(&bob, c.id).await, ["spam", "*******"]);

        if let Some(peer) = &peer {
            // The other node hears the control message and reloads the table.
            eventually(Duration::from_secs(10), "the peer's filter to know the word", || async {
                confab::moderation::filter::current(&peer.state).mask("spam").map(|_| ())
            })
            .await;
            let on_peer = Client::new(&peer.url("")).unwrap().signed_in(&alice.tokens);
            on_peer.send(c.id, &text("w3", "SPAM")).await.unwrap();
            assert_eq!(texts(&bob, c.id).await.last().unwrap(), "****");
        }

        assert!(confab::moderation::service::remove_word(&app.state, "Spam").await.unwrap());
        alice.client.send(c.id, &text("w4", "spam")).await.unwrap();
        assert_eq!(texts(&bob, c.id).await.last().unwrap(), "spam");
        if let Some(peer) = &peer {
            eventually(Duration::from_secs(10), "the peer to forget the word", || async {
                confab::moderation::filter::current(&peer.state).is_empty().then_some(())
            })
            .await;
        }
    }
}

#[tokio::test]
async fn a_missing_words_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    config.moderation.words_file = dir.path().join("nope.txt").to_string_lossy().into_owned();
    let e = match confab::Application::build(config).await {
        Ok(_) => panic!("the node started without its words file"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("moderation.words_file"), "{e}");
}
