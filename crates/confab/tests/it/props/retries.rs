//! Any multiset of retries gives one row: a set of sends, each made 1–5 times and now and
//! then once more with a different body under the same client id, over a mix of channels
//! (two HTTP sessions of the sender, its WebSocket, the send service), shuffled and run in
//! concurrent waves. Each message is stored exactly once; every attempt that succeeded got
//! the same ack, naming that row, and carried the body that row holds; every attempt that
//! failed carried another body and got `duplicate_client_msg_id`; seqs are 1..k.

use std::collections::HashMap;
use std::time::Duration;

use confab_client::{Client, WsConnection};
use confab_proto::ids::ConversationId;
use confab_proto::messaging::SendAck;
use confab_proto::ws::{AckData, ClientCommand, SendData};

use super::*;
use crate::harness::*;

/// Messages per sender.
const MESSAGES: usize = 8;

#[derive(Clone, Copy, Debug)]
enum Channel {
    Http,
    SecondSession,
    Socket,
    Service,
}

const CHANNELS: [Channel; 4] = [
    Channel::Http,
    Channel::SecondSession,
    Channel::Socket,
    Channel::Service,
];

/// One sender's ways in.
struct Sender {
    user: TestUser,
    second: Client,
    ws: WsConnection,
}

#[derive(Clone, Debug)]
struct Attempt {
    sender: usize,
    cmid: String,
    body: String,
    channel: Channel,
}

/// Runs `wave` concurrently: HTTP and service attempts as they come, socket attempts sent
/// in order on each sender's socket and their answers collected.
async fn run_wave(
    app: &TestApp,
    senders: &mut [Sender],
    c: ConversationId,
    wave: &[Attempt],
) -> Vec<(Attempt, Result<SendAck, String>)> {
    let mut direct = Vec::new();
    let mut by_socket: Vec<Vec<(usize, &Attempt)>> = senders.iter().map(|_| Vec::new()).collect();
    for (i, a) in wave.iter().enumerate() {
        match a.channel {
            Channel::Socket => by_socket[a.sender].push((i, a)),
            _ => direct.push((i, a)),
        }
    }
    let state = &app.state;
    let clients: Vec<(Client, Client, confab_proto::ids::UserId)> = senders
        .iter()
        .map(|s| (s.user.client.clone(), s.second.clone(), s.user.id()))
        .collect();
    let http = futures::future::join_all(direct.into_iter().map(|(i, a)| {
        let (first, second, me) = clients[a.sender].clone();
        async move {
            let msg = text(&a.cmid, &a.body);
            let r = match a.channel {
                Channel::Http => first
                    .send(c, &msg)
                    .await
                    .map_err(|e| e.code().unwrap_or("?").to_owned()),
                Channel::SecondSession => second
                    .send(c, &msg)
                    .await
                    .map_err(|e| e.code().unwrap_or("?").to_owned()),
                _ => confab::messaging::service::send(state, me, c, msg)
                    .await
                    .map_err(|e| {
                        serde_json::to_value(e.code())
                            .unwrap()
                            .as_str()
                            .unwrap()
                            .to_owned()
                    }),
            };
            (i, r)
        }
    }));
    let sockets = futures::future::join_all(senders.iter_mut().zip(by_socket).map(
        |(s, attempts)| async move {
            for (i, a) in &attempts {
                let cmd = ClientCommand::Send(SendData {
                    conversation_id: c,
                    message: text(&a.cmid, &a.body),
                });
                s.ws.send_command(&cmd, Some(&format!("w{i}")))
                    .await
                    .unwrap();
            }
            let mut out = Vec::new();
            while out.len() < attempts.len() {
                let ev =
                    s.ws.next_event_within(Duration::from_secs(30))
                        .await
                        .unwrap();
                let Some(id) = ev.id.as_deref().and_then(|i| i.strip_prefix('w')) else {
                    continue;
                };
                let i: usize = id.parse().unwrap();
                let r = match ev.kind.as_str() {
                    "ack" => Ok(serde_json::from_value::<SendAck>(
                        ev.decode::<AckData>().unwrap().result,
                    )
                    .unwrap()),
                    _ => Err(ev.error_code().unwrap_or("?").to_owned()),
                };
                out.push((i, r));
            }
            out
        },
    ));
    let (http, sockets) = futures::join!(http, sockets);
    let mut results: Vec<(usize, Result<SendAck, String>)> = http;
    results.extend(sockets.into_iter().flatten());
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, r)| (wave[i].clone(), r))
        .collect()
}

backend_tests! {
    async fn any_multiset_of_retries_stores_each_message_once(app) {
        let mut rng = Rng::from_env(SEED_VAR, "retries");
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap().id;
        let mut senders = Vec::new();
        for user in [alice, bob] {
            let tokens = app.client.login(&user.username, PASSWORD).await.unwrap();
            let second = app.client.signed_in(&tokens);
            let ws = user.client.ws().await.unwrap();
            senders.push(Sender { user, second, ws });
        }
        let mut attempts = Vec::new();
        for s in 0..senders.len() {
            for m in 0..MESSAGES {
                let cmid = format!("r{s}-{m}-{}", rng.below(1_000_000));
                let body = format!("message {s}.{m}");
                for _ in 0..1 + rng.below(5) {
                    let channel = CHANNELS[rng.below(CHANNELS.len())];
                    attempts.push(Attempt { sender: s, cmid: cmid.clone(), body: body.clone(), channel });
                }
                if rng.below(4) == 0 {
                    let channel = CHANNELS[rng.below(CHANNELS.len())];
                    attempts.push(Attempt { sender: s, cmid, body: format!("{body}, changed"), channel });
                }
            }
        }
        rng.shuffle(&mut attempts);
        let mut results = Vec::new();
        let mut rest = &attempts[..];
        while !rest.is_empty() {
            let n = (1 + rng.below(10)).min(rest.len());
            let (wave, more) = rest.split_at(n);
            results.extend(run_wave(&app, &mut senders, c, wave).await);
            rest = more;
        }
        let msgs = all_messages(&senders[0].user.client, c).await;
        assert_gapless_and_unique(&msgs);
        assert_eq!(msgs.len(), senders.len() * MESSAGES, "one row per message");
        let rows: HashMap<(usize, &str), &MessageOut> = msgs
            .iter()
            .map(|m| {
                let s = senders.iter().position(|s| s.user.id() == m.sender_id).unwrap();
                ((s, m.client_msg_id.as_str()), m)
            })
            .collect();
        for (a, r) in &results {
            let row = rows[&(a.sender, a.cmid.as_str())];
            match r {
                Ok(ack) => {
                    assert_eq!((ack.seq, ack.id), (row.seq, row.id), "{a:?}: acked another row");
                    assert_eq!(row.body["text"], a.body.as_str(), "{a:?}: acked, but the row holds another body");
                }
                Err(code) => {
                    assert_eq!(code, "duplicate_client_msg_id", "{a:?}");
                    assert_ne!(row.body["text"], a.body.as_str(), "{a:?}: refused its own body");
                }
            }
        }
        println!("retries: {} attempts for {} messages", attempts.len(), msgs.len());
    }
}
