//! The send path's rule cache (`rules.rs`) never lets a change go unseen: every rule is
//! first exercised by a send that passes (so its rows are cached), then changed, then the
//! very next send must see the change — on the node that made it at once, on another node
//! within moments (far inside the cache's 10 s expiry, so it is the bus that told it).

use std::time::Duration;

use confab_proto::admin::UserMuteIn;
use confab_proto::groups::{KickQuery, MemberPatch, MuteFor};

use crate::groups::{code, join, open_group, text};
use crate::harness::*;

backend_tests! {
    async fn group_rule_changes_hold_on_the_next_send(app) {
        let owner = app.user("owner").await;
        let mem = app.user("mem").await;
        let g = open_group(&owner, "rules").await;
        join(&mem, &g).await;
        let conv = g.conversation_id;
        let send = |t: &'static str| {
            let c = mem.client.clone();
            async move { c.send(conv, &text(t)).await }
        };
        send("warm").await.unwrap();
        owner.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::OneHour), ..MemberPatch::default() }).await.unwrap();
        assert_eq!(code(&send("muted").await.unwrap_err()), (403, "member_muted"));
        owner.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::Off), ..MemberPatch::default() }).await.unwrap();
        send("unmuted").await.unwrap();
        owner.client.mute_all(g.id, true).await.unwrap();
        assert_eq!(code(&send("all muted").await.unwrap_err()), (403, "group_all_muted"));
        owner.client.mute_all(g.id, false).await.unwrap();
        send("free again").await.unwrap();
        owner.client.kick_group_member(g.id, mem.id(), &KickQuery::default()).await.unwrap();
        assert_eq!(code(&send("kicked").await.unwrap_err()), (403, "not_member"));
        // Nothing refused was stored.
        let texts: Vec<String> = crate::groups::all_messages(&owner, conv).await.into_iter()
            .filter(|m| m.kind == "text")
            .map(|m| m.body["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(texts, ["warm", "unmuted", "free again"]);
    }

    async fn direct_and_site_rule_changes_hold_on_the_next_send(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let admin = app.admin("root").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send_text(c.id, "warm").await.unwrap();
        bob.client.block(alice.id()).await.unwrap();
        assert_eq!(code(&alice.client.send_text(c.id, "blocked").await.unwrap_err()), (403, "blocked"));
        bob.client.unblock(alice.id()).await.unwrap();
        alice.client.send_text(c.id, "unblocked").await.unwrap();
        admin.client.mute_user(alice.id(), &UserMuteIn { until: None }).await.unwrap();
        assert_eq!(code(&alice.client.send_text(c.id, "site muted").await.unwrap_err()), (403, "user_muted"));
        admin.client.unmute_user(alice.id()).await.unwrap();
        alice.client.send_text(c.id, "unmuted").await.unwrap();
        // Under the default `friends` policy, ending the friendship ends the chat.
        bob.client.remove_friend(alice.id(), false).await.unwrap();
        assert_eq!(code(&alice.client.send_text(c.id, "strangers").await.unwrap_err()), (403, "not_friends"));
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        let texts: Vec<_> = h.messages.iter().map(|m| m.body["text"].as_str().unwrap_or_default()).collect();
        assert_eq!(texts, ["warm", "unblocked", "unmuted"]);
    }
}

/// A change made through one node reaches the other node's cache by the bus: the member's
/// next send there is refused within moments, not after the cache's expiry.
#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mute_on_one_node_holds_on_the_other_at_once() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let owner = a.user("owner").await;
    let mem = a.user("mem").await;
    let g = open_group(&owner, "two nodes").await;
    join(&mem, &g).await;
    let mem_on_b = b.client.with_token(mem.tokens.access_token.clone());
    mem_on_b
        .send(g.conversation_id, &text("warm on b"))
        .await
        .unwrap();
    let muted_at = std::time::Instant::now();
    owner
        .client
        .update_group_member(
            g.id,
            mem.id(),
            &MemberPatch {
                mute: Some(MuteFor::OneHour),
                ..MemberPatch::default()
            },
        )
        .await
        .unwrap();
    eventually(
        Duration::from_secs(3),
        "node B refuses the muted member",
        || {
            let c = mem_on_b.clone();
            let conv = g.conversation_id;
            async move {
                match c.send(conv, &text("after the mute")).await {
                    Err(e) if code(&e) == (403, "member_muted") => Some(()),
                    _ => None,
                }
            }
        },
    )
    .await;
    assert!(
        muted_at.elapsed() < confab::rulecache::TTL,
        "only the cache's expiry made it hold"
    );
    b.stop().await;
    a.stop().await;
}
