//! A client device as the catalogue's rule 4 describes it: at-least-once delivery, exactly
//! once on screen. It keeps a WebSocket open (reconnecting whenever it drops), logs every
//! `message.new` it is pushed, and fills gaps by seq from history — on every (re)connect,
//! on a `resync`, and whenever a pushed seq skips one. Its log (every delivery, duplicates
//! included) is what the [`super::checker`] compares with the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use confab_client::Client;
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::MessageOut;
use tokio::sync::{Mutex, watch};

/// One delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Got {
    /// Conversation.
    pub conv: ConversationId,
    /// Seq.
    pub seq: i64,
    /// Message id.
    pub id: i64,
    /// Pushed on the socket (`false`: fetched to fill a gap).
    pub live: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Online,
    Offline,
    Stop,
}

#[derive(Default)]
struct State {
    log: Vec<Got>,
    /// Per conversation, the seq up to which the device has everything.
    upto: HashMap<ConversationId, i64>,
}

impl State {
    fn push(&mut self, m: &MessageOut, live: bool) -> bool {
        self.log.push(Got {
            conv: m.conversation_id,
            seq: m.seq,
            id: m.id.0,
            live,
        });
        let upto = self.upto.entry(m.conversation_id).or_insert(0);
        if m.seq == *upto + 1 || (!live && m.seq > *upto) {
            *upto = m.seq;
            true
        } else {
            m.seq <= *upto
        }
    }
}

/// A device of one user.
pub struct Device {
    /// Its user.
    pub user: UserId,
    /// A signed-in client of that user.
    pub client: Client,
    state: Arc<Mutex<State>>,
    mode: watch::Sender<Mode>,
    connects: Arc<AtomicUsize>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Device {
    /// Starts it (online: it connects at once, in the background).
    pub fn start(user: UserId, client: Client) -> Device {
        Self::start_in(user, client, true)
    }

    /// Starts it online or offline.
    pub fn start_in(user: UserId, client: Client, online: bool) -> Device {
        let state: Arc<Mutex<State>> = Arc::default();
        let (mode, rx) = watch::channel(if online { Mode::Online } else { Mode::Offline });
        let connects = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(run(client.clone(), state.clone(), rx, connects.clone()));
        Device {
            user,
            client,
            state,
            mode,
            connects,
            task: Some(task),
        }
    }

    /// Drops its socket and stays away until [`Device::online`].
    pub fn offline(&self) {
        self.mode.send_replace(Mode::Offline);
    }

    /// Connects again (and catches up).
    pub fn online(&self) {
        self.mode.send_replace(Mode::Online);
    }

    /// How many times its socket reached `ready`.
    pub fn connects(&self) -> usize {
        self.connects.load(Ordering::SeqCst)
    }

    /// Deliveries so far.
    pub async fn received(&self) -> usize {
        self.state.lock().await.log.len()
    }

    /// Seqs pushed live in `conv`, in arrival order.
    pub async fn live_seqs(&self, conv: ConversationId) -> Vec<i64> {
        let s = self.state.lock().await;
        s.log
            .iter()
            .filter(|g| g.live && g.conv == conv)
            .map(|g| g.seq)
            .collect()
    }

    /// Waits (bounded by `within`) until the device holds everything up to `seq` in `conv`.
    pub async fn wait_for(&self, conv: ConversationId, seq: i64, within: Duration) {
        crate::harness::eventually(within, "a device to catch up", || async {
            (self
                .state
                .lock()
                .await
                .upto
                .get(&conv)
                .copied()
                .unwrap_or(0)
                >= seq)
                .then_some(())
        })
        .await;
    }

    /// Stops it, fills every remaining gap from history, and returns its log.
    pub async fn finish(mut self) -> Vec<Got> {
        self.mode.send_replace(Mode::Stop);
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(30), t)
                .await
                .expect("the device stops")
                .unwrap();
        }
        let mut last = None;
        for _ in 0..50 {
            match catch_up(&self.client, &self.state).await {
                Ok(()) => return std::mem::take(&mut self.state.lock().await.log),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("a device could not catch up: {last:?}");
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// Fetches, for every conversation `GET /sync` lists, the history after what the device
/// holds without a gap.
async fn catch_up(client: &Client, state: &Mutex<State>) -> Result<(), confab_client::ClientError> {
    let sync = client.sync(None).await?;
    for c in sync.conversations {
        // Bounded: a page of 100 at a time, at most 1,000 pages per conversation.
        for _ in 0..1_000 {
            let after = state.lock().await.upto.get(&c.id).copied().unwrap_or(0);
            if after >= c.last_seq {
                break;
            }
            let page = client.history(c.id, None, Some(after), Some(100)).await?;
            let mut s = state.lock().await;
            for m in &page.messages {
                s.push(m, false);
            }
            if !page.has_more {
                // Nothing more visible (a window that ends before last_seq).
                let upto = s.upto.entry(c.id).or_insert(0);
                *upto = (*upto).max(c.last_seq);
                break;
            }
        }
    }
    Ok(())
}

async fn run(
    client: Client,
    state: Arc<Mutex<State>>,
    mut mode: watch::Receiver<Mode>,
    connects: Arc<AtomicUsize>,
) {
    loop {
        let now = *mode.borrow_and_update();
        match now {
            Mode::Stop => return,
            Mode::Offline => {
                if mode.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Mode::Online => {}
        }
        let mut ws = match client.ws().await {
            Ok(ws) => ws,
            Err(_) => {
                // The node is away (a crash, an outage): try again shortly.
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = mode.changed() => {}
                }
                continue;
            }
        };
        connects.fetch_add(1, Ordering::SeqCst);
        // Subscribed first (the socket is open), then fill what was missed.
        let mut behind = true;
        loop {
            if behind {
                if catch_up(&client, &state).await.is_err() {
                    break;
                }
                behind = false;
            }
            tokio::select! {
                ev = ws.next_event() => match ev {
                    Ok(ev) if ev.kind == "message.new" => {
                        let Ok(m) = ev.decode::<MessageOut>() else { continue };
                        behind = !state.lock().await.push(&m, true);
                    }
                    Ok(ev) if ev.kind == "resync" => behind = true,
                    Ok(_) => {}
                    Err(_) => break,
                },
                _ = mode.changed() => break,
            }
        }
    }
}
