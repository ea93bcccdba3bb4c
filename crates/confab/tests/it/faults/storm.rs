//! R7: a reconnect storm. N devices in a group (and direct chats in pairs) drop at once;
//! while they are away messages pile up unread; then all reconnect at the same moment and
//! catch up through sync and history while new messages keep arriving. Every device ends
//! with exactly its window, every unread count is last_seq − read_seq: the checker holds.
//!
//! Default: 50 devices. `CONFAB_TEST_HEAVY=1`: 200.

use std::time::Duration;

use confab_proto::messaging::MessageIn;
use serde_json::json;

use super::checker::{self, Acked};
use super::device::Device;
use crate::harness::*;

fn text(cmid: String) -> MessageIn {
    MessageIn {
        client_msg_id: cmid,
        kind: "text".into(),
        body: json!({"text": "storm"}),
        reply_to: None,
        mentions: None,
    }
}

backend_fn_tests!(r7_every_device_reconnecting_at_once_catches_up);

async fn r7_every_device_reconnecting_at_once_catches_up(backend: Backend) {
    let n = super::scale(50, 200);
    let app = TestApp::spawn_with(backend, super::many_users).await;
    let (users, g) = super::users_in_group(&app, "r7u", n, "R7").await;
    let group = g.conversation_id;
    let mut directs = Vec::new();
    for p in 0..n / 2 {
        let (a, b) = (&users[2 * p], &users[2 * p + 1]);
        app.befriend(a, b).await;
        directs.push(a.client.open_direct(b.id()).await.unwrap().id);
    }
    let devices: Vec<Device> = users
        .iter()
        .map(|u| Device::start(u.id(), u.client.clone()))
        .collect();
    for d in &devices {
        eventually(Duration::from_secs(60), "every device online", || async {
            (d.connects() > 0).then_some(())
        })
        .await;
    }
    let mut acked = Vec::new();
    let mut send = async |i: usize, conv, cmid: String| {
        let ack = users[i].client.send(conv, &text(cmid)).await.unwrap();
        acked.push(Acked {
            sender: users[i].id(),
            ack,
        });
    };
    for k in 0..10 {
        send(k % n, group, format!("r7-live-{k}")).await;
    }

    // Everyone drops at once; messages pile up unread in the group and every direct chat.
    for d in &devices {
        d.offline();
    }
    for k in 0..50 {
        send((k * 7) % n, group, format!("r7-away-{k}")).await;
    }
    for (p, conv) in directs.iter().enumerate() {
        for k in 0..3 {
            send(2 * p + k % 2, *conv, format!("r7-dm-{p}-{k}")).await;
        }
    }
    // Some read part of it elsewhere (another device of theirs) meanwhile.
    for u in users.iter().step_by(3) {
        u.client.mark_read(group, 20).await.unwrap();
    }

    // All reconnect at the same moment, while new messages keep coming.
    for d in &devices {
        d.online();
    }
    for k in 0..20 {
        send((k * 3) % n, group, format!("r7-back-{k}")).await;
    }
    let last = users[0].client.conversation(group).await.unwrap().last_seq;
    for d in &devices {
        d.wait_for(group, last, Duration::from_secs(120)).await;
        eventually(
            Duration::from_secs(60),
            "every device reconnected",
            || async { (d.connects() >= 2).then_some(()) },
        )
        .await;
    }
    let unread_before: i64 = {
        let mut t = 0;
        for u in &users {
            t += u.client.sync(None).await.unwrap().total_unread;
        }
        t
    };
    let members = checker::members(devices, users.iter().map(|u| &u.client)).await;
    let figures = checker::check(&app.state.store, &acked, &members).await;
    eprintln!(
        "R7: {n} devices reconnected at once, {unread_before} unread between them; checked {figures:?}"
    );
}
