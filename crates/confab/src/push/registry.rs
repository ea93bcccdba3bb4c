//! The node-local registry: which sockets are open here, by user, session and conversation,
//! and the fan-out that copies one encoded frame into each addressed socket's queue.
//!
//! Locking: one `std::sync::RwLock`, held only for map lookups and `try_send` (both
//! synchronous and short), never across an `.await` — so fan-out cannot wait on a peer.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::ws::Utf8Bytes;
use confab_proto::ids::{ConversationId, SessionId, UserId};
use confab_proto::ws::close_code;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::infra::bus::Topic;

/// Why and how a socket is being closed. The first reason set wins.
#[derive(Clone, Debug)]
pub struct CloseReason {
    /// The WebSocket close code.
    pub code: u16,
    /// The close frame's reason text.
    pub reason: &'static str,
    /// Write what is already queued before the close frame (false for a slow consumer,
    /// whose queue is the problem).
    pub drain: bool,
}

/// A one-shot "close this socket" signal shared by the socket's reader, its writer and the
/// fan-out (which must be able to close a socket whose queue is full, so it cannot queue
/// a close frame).
#[derive(Clone, Default)]
pub struct Kill {
    token: CancellationToken,
    reason: Arc<OnceLock<CloseReason>>,
}

impl Kill {
    /// A fresh, unfired signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks for the socket to close; later calls do not change the reason.
    pub fn close(&self, code: u16, reason: &'static str, drain: bool) {
        let _ = self.reason.set(CloseReason {
            code,
            reason,
            drain,
        });
        self.token.cancel();
    }

    /// Resolves once a close was asked for.
    pub async fn fired(&self) {
        self.token.cancelled().await;
    }

    /// Whether a close was asked for.
    pub fn is_fired(&self) -> bool {
        self.token.is_cancelled()
    }

    /// The reason, once fired.
    pub fn reason(&self) -> Option<CloseReason> {
        self.reason.get().cloned()
    }
}

/// One open, authenticated socket as the registry sees it.
struct Socket {
    user: UserId,
    session: SessionId,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Kill,
}

impl Socket {
    /// Queues a frame without waiting; a full queue means the client cannot keep up, so it
    /// is closed with 1013 and re-syncs on reconnect (never grow memory, never wait).
    fn push(&self, frame: &Utf8Bytes) -> bool {
        if self.kill.is_fired() {
            return false;
        }
        match self.tx.try_send(frame.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("confab_ws_slow_consumer_closed_total").increment(1);
                tracing::info!(user_id = %self.user, "socket too slow; closing with 1013");
                self.kill
                    .close(close_code::TRY_AGAIN_LATER, "resync", false);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

#[derive(Default)]
struct Inner {
    sockets: HashMap<u64, Socket>,
    by_user: HashMap<UserId, HashSet<u64>>,
    by_session: HashMap<SessionId, HashSet<u64>>,
    /// Conversation → its members who may have sockets here. Filled by messaging (see
    /// [`Registry::add_conversation_member`]).
    members: HashMap<ConversationId, HashSet<UserId>>,
    /// The reverse of `members`, so a user's entries go when its last socket here closes.
    conversations_of: HashMap<UserId, HashSet<ConversationId>>,
}

/// The sockets open on this node.
#[derive(Default)]
pub struct Registry {
    inner: RwLock<Inner>,
    next: AtomicU64,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    // A poisoned lock only means a panic elsewhere while holding it; the maps are still
    // consistent enough to keep serving (each mutation is a few inserts/removes).
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an authenticated socket. The guard unregisters it when dropped; `first` is true
    /// when it is the user's first socket on this node.
    ///
    /// `first` frames (the `ready` answer) are queued before the socket becomes visible to
    /// fan-out, and `conversations` are indexed under the same lock, so `ready` is always the
    /// socket's first frame and no conversation event can slip between the two.
    pub fn register(
        self: &Arc<Self>,
        user: UserId,
        session: SessionId,
        tx: mpsc::Sender<Utf8Bytes>,
        kill: Kill,
        first: Option<Utf8Bytes>,
        conversations: &[ConversationId],
    ) -> (Registration, bool) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut g = self.write();
        if let Some(frame) = first {
            // A fresh queue: it has room.
            let _ = tx.try_send(frame);
        }
        for c in conversations {
            g.members.entry(*c).or_default().insert(user);
            g.conversations_of.entry(user).or_default().insert(*c);
        }
        g.sockets.insert(
            id,
            Socket {
                user,
                session,
                tx,
                kill,
            },
        );
        let devices = g.by_user.entry(user).or_default();
        devices.insert(id);
        let first = devices.len() == 1;
        g.by_session.entry(session).or_default().insert(id);
        drop(g);
        metrics::gauge!("confab_ws_connections").increment(1.0);
        (
            Registration {
                registry: self.clone(),
                id,
                done: false,
            },
            first,
        )
    }

    /// Removes a socket; true when it was its user's last socket on this node.
    fn unregister(&self, id: u64) -> bool {
        let mut g = self.write();
        let Some(s) = g.sockets.remove(&id) else {
            return false;
        };
        let mut last = false;
        if let Some(set) = g.by_user.get_mut(&s.user) {
            set.remove(&id);
            if set.is_empty() {
                g.by_user.remove(&s.user);
                last = true;
            }
        }
        if last {
            // No socket of this user is left here: its conversation entries deliver
            // nothing any more.
            for conv in g.conversations_of.remove(&s.user).unwrap_or_default() {
                if let Some(set) = g.members.get_mut(&conv) {
                    set.remove(&s.user);
                    if set.is_empty() {
                        g.members.remove(&conv);
                    }
                }
            }
        }
        if let Some(set) = g.by_session.get_mut(&s.session) {
            set.remove(&id);
            if set.is_empty() {
                g.by_session.remove(&s.session);
            }
        }
        drop(g);
        metrics::gauge!("confab_ws_connections").decrement(1.0);
        last
    }

    /// Copies one encoded frame to every local socket `topic` addresses. Returns how many
    /// sockets took it.
    pub fn deliver(&self, topic: Topic, frame: &Utf8Bytes) -> usize {
        let g = self.read();
        let push_user = |user: &UserId| -> usize {
            g.by_user.get(user).map_or(0, |ids| {
                ids.iter()
                    .filter_map(|id| g.sockets.get(id))
                    .filter(|s| s.push(frame))
                    .count()
            })
        };
        match topic {
            Topic::User(u) => push_user(&u),
            Topic::Conversation(c) => g
                .members
                .get(&c)
                .map_or(0, |users| users.iter().map(push_user).sum()),
            Topic::Everyone => g.sockets.values().filter(|s| s.push(frame)).count(),
            Topic::Session(session) => g.by_session.get(&session).map_or(0, |ids| {
                ids.iter()
                    .filter_map(|id| g.sockets.get(id))
                    .filter(|s| s.push(frame))
                    .count()
            }),
            Topic::Control => 0,
        }
    }

    /// Queues `frame` (when given) on every socket of these sessions, then closes them.
    pub fn close_sessions(
        &self,
        sessions: &[SessionId],
        frame: impl Fn(SessionId) -> Option<Utf8Bytes>,
        code: u16,
        reason: &'static str,
    ) -> usize {
        let g = self.read();
        let mut n = 0;
        for session in sessions {
            let Some(ids) = g.by_session.get(session) else {
                continue;
            };
            let f = frame(*session);
            for s in ids.iter().filter_map(|id| g.sockets.get(id)) {
                if let Some(f) = &f {
                    s.push(f);
                }
                s.kill.close(code, reason, true);
                n += 1;
            }
        }
        n
    }

    /// Closes every socket (shutdown).
    pub fn close_all(&self, code: u16, reason: &'static str) {
        for s in self.read().sockets.values() {
            s.kill.close(code, reason, true);
        }
    }

    /// The users with at least one socket here.
    pub fn local_users(&self) -> Vec<UserId> {
        self.read().by_user.keys().copied().collect()
    }

    /// How many sockets of `user` are open here and not closing.
    pub fn connections_of(&self, user: UserId) -> usize {
        let g = self.read();
        g.by_user.get(&user).map_or(0, |ids| {
            ids.iter()
                .filter_map(|id| g.sockets.get(id))
                .filter(|s| !s.kill.is_fired())
                .count()
        })
    }

    /// How many sockets of this signed-in device are open here and not closing.
    pub fn connections_of_session(&self, session: SessionId) -> usize {
        let g = self.read();
        g.by_session.get(&session).map_or(0, |ids| {
            ids.iter()
                .filter_map(|id| g.sockets.get(id))
                .filter(|s| !s.kill.is_fired())
                .count()
        })
    }

    /// How many sockets are open here.
    pub fn len(&self) -> usize {
        self.read().sockets.len()
    }

    /// Whether no socket is open here.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hook messaging fills: `user` is a member of `conversation`, so events published
    /// to `Topic::Conversation(conversation)` reach that user's sockets on this node.
    /// Register members who have sockets here (e.g. on connect and on join); an entry for a
    /// user with no socket here costs a map slot and delivers nothing.
    pub fn add_conversation_member(&self, conversation: ConversationId, user: UserId) {
        let mut g = self.write();
        g.members.entry(conversation).or_default().insert(user);
        g.conversations_of
            .entry(user)
            .or_default()
            .insert(conversation);
    }

    /// Undoes [`Registry::add_conversation_member`] (the user left, or has no socket here).
    pub fn remove_conversation_member(&self, conversation: ConversationId, user: UserId) {
        let mut g = self.write();
        if let Some(set) = g.members.get_mut(&conversation) {
            set.remove(&user);
            if set.is_empty() {
                g.members.remove(&conversation);
            }
        }
        if let Some(set) = g.conversations_of.get_mut(&user) {
            set.remove(&conversation);
            if set.is_empty() {
                g.conversations_of.remove(&user);
            }
        }
    }
}

/// Keeps a socket registered; unregisters it on drop (even if the session task panics).
pub struct Registration {
    registry: Arc<Registry>,
    id: u64,
    done: bool,
}

impl Registration {
    /// Points a socket registered with a holding queue (`held`) at its own queue `tx`:
    /// `first` (the `ready` answer), then every frame held so far in the order it came,
    /// then live frames. Done under the write lock, which fan-out's `try_send`s run under
    /// (as readers), so no frame can land in the holding queue after it is drained or
    /// overtake one held there. A queue that overflows closes the socket with 1013, as
    /// fan-out would.
    pub fn release(
        &self,
        tx: mpsc::Sender<Utf8Bytes>,
        held: &mut mpsc::Receiver<Utf8Bytes>,
        first: Option<Utf8Bytes>,
    ) {
        let mut g = self.registry.write();
        let Some(s) = g.sockets.get_mut(&self.id) else {
            return;
        };
        let frames = first
            .into_iter()
            .chain(std::iter::from_fn(|| held.try_recv().ok()));
        for frame in frames {
            if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(frame) {
                metrics::counter!("confab_ws_slow_consumer_closed_total").increment(1);
                s.kill.close(close_code::TRY_AGAIN_LATER, "resync", false);
                break;
            }
        }
        s.tx = tx;
    }

    /// Unregisters now; true when it was the user's last socket on this node.
    pub fn unregister(mut self) -> bool {
        self.done = true;
        self.registry.unregister(self.id)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if !self.done {
            self.registry.unregister(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(s: &'static str) -> Utf8Bytes {
        Utf8Bytes::from_static(s)
    }

    #[tokio::test]
    async fn fan_out_by_user_everyone_and_conversation() {
        let r = Registry::new();
        let (tx1, mut rx1) = mpsc::channel(4);
        let (tx2, mut rx2) = mpsc::channel(4);
        let (g1, first1) = r.register(UserId(1), SessionId(10), tx1, Kill::new(), None, &[]);
        let (g2, first2) = r.register(UserId(1), SessionId(11), tx2, Kill::new(), None, &[]);
        assert!(first1 && !first2);
        assert_eq!(r.deliver(Topic::User(UserId(1)), &frame("a")), 2);
        assert_eq!(r.deliver(Topic::User(UserId(2)), &frame("b")), 0);
        assert_eq!(r.deliver(Topic::Everyone, &frame("c")), 2);
        assert_eq!(
            r.deliver(Topic::Conversation(ConversationId(5)), &frame("d")),
            0
        );
        r.add_conversation_member(ConversationId(5), UserId(1));
        assert_eq!(
            r.deliver(Topic::Conversation(ConversationId(5)), &frame("e")),
            2
        );
        assert_eq!(r.deliver(Topic::Session(SessionId(11)), &frame("f")), 1);
        assert_eq!(r.connections_of_session(SessionId(11)), 1);
        assert_eq!(r.connections_of_session(SessionId(12)), 0);
        assert_eq!(rx1.recv().await.unwrap().as_str(), "a");
        assert_eq!(rx2.recv().await.unwrap().as_str(), "a");
        assert!(!g1.unregister());
        assert!(g2.unregister());
        assert!(r.is_empty());
    }

    #[tokio::test]
    async fn a_full_queue_closes_only_that_socket() {
        let r = Registry::new();
        let (tx1, _rx1) = mpsc::channel(1);
        let (tx2, mut rx2) = mpsc::channel(8);
        let k1 = Kill::new();
        let (_g1, _) = r.register(UserId(1), SessionId(10), tx1, k1.clone(), None, &[]);
        let (_g2, _) = r.register(UserId(1), SessionId(11), tx2, Kill::new(), None, &[]);
        r.deliver(Topic::User(UserId(1)), &frame("1"));
        r.deliver(Topic::User(UserId(1)), &frame("2"));
        assert_eq!(k1.reason().map(|r| r.code), Some(1013));
        assert_eq!(r.connections_of(UserId(1)), 1);
        assert_eq!(rx2.recv().await.unwrap().as_str(), "1");
        assert_eq!(rx2.recv().await.unwrap().as_str(), "2");
    }

    #[tokio::test]
    async fn a_released_socket_gets_its_first_frame_then_the_held_ones_then_live_ones() {
        let r = Registry::new();
        let (hold, mut held) = mpsc::channel(8);
        let (tx, mut rx) = mpsc::channel(8);
        let (g, _) = r.register(UserId(1), SessionId(1), hold, Kill::new(), None, &[]);
        r.deliver(Topic::User(UserId(1)), &frame("held 1"));
        r.deliver(Topic::User(UserId(1)), &frame("held 2"));
        g.release(tx, &mut held, Some(frame("ready")));
        r.deliver(Topic::User(UserId(1)), &frame("live"));
        for want in ["ready", "held 1", "held 2", "live"] {
            assert_eq!(rx.recv().await.unwrap().as_str(), want);
        }
        assert!(
            held.try_recv().is_err(),
            "nothing goes to the holding queue any more"
        );
    }

    #[test]
    fn dropping_the_guard_unregisters() {
        let r = Registry::new();
        let (tx, _rx) = mpsc::channel(1);
        let (g, _) = r.register(UserId(1), SessionId(1), tx, Kill::new(), None, &[]);
        assert_eq!(r.len(), 1);
        drop(g);
        assert!(r.is_empty());
    }
}
