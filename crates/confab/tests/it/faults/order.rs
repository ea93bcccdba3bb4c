//! R3: one group, 50 members online, many senders at once, no fault. Every member's socket
//! is pushed the identical order, exactly seq 1..N of the conversation with nothing missing
//! or repeated (no gap to fill), and each sender's own messages arrive in its send order.
//!
//! Default: 10 senders × 50 (25,000 deliveries). `CONFAB_TEST_HEAVY=1`: the catalogue's
//! 20 senders × 500 (500,000 deliveries).

use std::collections::HashMap;
use std::time::Duration;

use confab_proto::messaging::MessageIn;
use serde_json::json;

use super::checker::{self, Acked};
use crate::harness::*;

const MEMBERS: usize = 50;

backend_fn_tests!(r3_fifty_members_see_one_order);

async fn r3_fifty_members_see_one_order(backend: Backend) {
    let senders = super::scale(10, 20);
    let per = super::scale(50, 500);
    let app = TestApp::spawn_with(backend, |c| {
        // Flow control has its own tests (R6, gateway): a starved CPU must not turn an
        // ordering test into one.
        c.gateway.outbound_queue = 65_536;
        super::many_users(c);
    })
    .await;
    let (users, g) = super::users_in_group(&app, "r3m", MEMBERS, "R3").await;
    let conv = g.conversation_id;
    let (base, devices) = super::devices_caught_up(&users, conv).await;
    for d in &devices {
        eventually(Duration::from_secs(60), "every member online", || async {
            (d.connects() > 0).then_some(())
        })
        .await;
    }

    // The senders are members 0..senders; each sends in order, waiting for each ack.
    let tasks: Vec<_> = users[..senders]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (client, id) = (u.client.clone(), u.id());
            tokio::spawn(async move {
                let mut acks = Vec::new();
                for k in 0..per {
                    let msg = MessageIn {
                        client_msg_id: format!("r3-{i}-{k}"),
                        kind: "text".into(),
                        body: json!({"text": format!("{i}:{k}")}),
                        reply_to: None,
                        mentions: None,
                    };
                    acks.push(Acked {
                        sender: id,
                        ack: client.send(conv, &msg).await.unwrap(),
                    });
                }
                acks
            })
        })
        .collect();
    let mut acked = Vec::new();
    // seq -> (sender, its k-th message)
    let mut origin: HashMap<i64, (usize, usize)> = HashMap::new();
    for (i, t) in tasks.into_iter().enumerate() {
        let acks = t.await.unwrap();
        assert!(
            acks.windows(2).all(|w| w[0].ack.seq < w[1].ack.seq),
            "sender {i}: acks out of its send order"
        );
        for (k, a) in acks.iter().enumerate() {
            origin.insert(a.ack.seq, (i, k));
        }
        acked.extend(acks);
    }
    let n = (senders * per) as i64;
    let want: Vec<i64> = (base + 1..=base + n).collect();
    let mut deliveries = 0;
    for (m, d) in devices.iter().enumerate() {
        d.wait_for(conv, base + n, Duration::from_secs(120)).await;
        let seen: Vec<i64> = d
            .live_seqs(conv)
            .await
            .into_iter()
            .filter(|s| *s > base)
            .collect();
        if seen != want {
            let p = seen.iter().zip(&want).position(|(a, b)| a != b);
            panic!(
                "member {m} was pushed another order ({} of {n}; first difference at {p:?})",
                seen.len()
            );
        }
        // Each sender's messages in its send order (follows from the above; said plainly).
        let mut next = vec![0; senders];
        for s in &seen {
            let (i, k) = origin[s];
            assert_eq!(k, next[i], "member {m}: sender {i}'s messages out of order");
            next[i] += 1;
        }
        deliveries += seen.len();
    }
    let members = checker::members(devices, users.iter().map(|u| &u.client)).await;
    let figures = checker::check(&app.state.store, &acked, &members).await;
    eprintln!("R3: {n} messages, {deliveries} live deliveries in order; checked {figures:?}");
}
