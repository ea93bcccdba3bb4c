//! Conversations and messages over REST.

use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{
    ConversationOut, ConversationPatch, DirectIn, HistoryOut, MarkIn, MarksOut, MessageIn,
    MessageOut, MessagePatch, ReactionsOut, ReadersOut, SendAck, SyncOut, SyncQuery,
};
use reqwest::Method;

use crate::{Client, Result, decode};

impl Client {
    /// `POST /api/v1/conversations/direct`.
    pub async fn open_direct(&self, user: UserId) -> Result<ConversationOut> {
        self.call(
            Method::POST,
            "/api/v1/conversations/direct",
            Some(&DirectIn { user_id: user }),
        )
        .await
    }

    /// `GET /api/v1/conversations`.
    pub async fn conversations(&self) -> Result<Vec<ConversationOut>> {
        self.call::<(), _>(Method::GET, "/api/v1/conversations", None)
            .await
    }

    /// `GET /api/v1/conversations/{id}`.
    pub async fn conversation(&self, id: ConversationId) -> Result<ConversationOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/conversations/{id}"), None)
            .await
    }

    /// `PATCH /api/v1/conversations/{id}`.
    pub async fn update_conversation(
        &self,
        id: ConversationId,
        patch: &ConversationPatch,
    ) -> Result<ConversationOut> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/conversations/{id}"),
            Some(patch),
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/clear`.
    pub async fn clear_conversation(&self, id: ConversationId) -> Result<ConversationOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/conversations/{id}/clear"),
            None,
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/messages`.
    pub async fn send(&self, id: ConversationId, msg: &MessageIn) -> Result<SendAck> {
        self.call(
            Method::POST,
            &format!("/api/v1/conversations/{id}/messages"),
            Some(msg),
        )
        .await
    }

    /// Sends a text message with a fresh client id.
    pub async fn send_text(&self, id: ConversationId, text: &str) -> Result<SendAck> {
        let cmid = format!(
            "t{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        self.send(
            id,
            &MessageIn {
                client_msg_id: cmid,
                kind: "text".into(),
                body: serde_json::json!({ "text": text }),
                reply_to: None,
                mentions: None,
            },
        )
        .await
    }

    /// `GET /api/v1/conversations/{id}/messages`.
    pub async fn history(
        &self,
        id: ConversationId,
        before_seq: Option<i64>,
        after_seq: Option<i64>,
        limit: Option<u32>,
    ) -> Result<HistoryOut> {
        let mut url = self.url(&format!("/api/v1/conversations/{id}/messages"))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(b) = before_seq {
                q.append_pair("before_seq", &b.to_string());
            }
            if let Some(a) = after_seq {
                q.append_pair("after_seq", &a.to_string());
            }
            if let Some(l) = limit {
                q.append_pair("limit", &l.to_string());
            }
        }
        self.get_url(url).await
    }

    /// `GET /api/v1/sync` (with a cursor, up to 20 missed messages per conversation come
    /// inline, in `missed`).
    pub async fn sync(&self, cursor: Option<&str>) -> Result<SyncOut> {
        self.sync_with(&SyncQuery {
            cursor: cursor.map(str::to_owned),
            messages: None,
        })
        .await
    }

    /// `GET /api/v1/sync?cursor=&messages=`: `messages` bounds the inline messages per
    /// conversation (0 for none).
    pub async fn sync_with(&self, q: &SyncQuery) -> Result<SyncOut> {
        let mut url = self.url("/api/v1/sync")?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(c) = &q.cursor {
                pairs.append_pair("cursor", c);
            }
            if let Some(n) = q.messages {
                pairs.append_pair("messages", &n.to_string());
            }
        }
        self.get_url(url).await
    }

    /// Every message of a synced conversation after `mine` (the newest seq this client
    /// has), ascending, up to the entry's `last_seq`: what `missed` holds inline, and the
    /// gap between `mine` and it through history pages (none when it was all inline).
    /// Bounded: at most `last_seq - mine` messages, 100 a page.
    pub async fn catch_up(&self, c: &ConversationOut, mine: i64) -> Result<Vec<MessageOut>> {
        let from = c.missed.as_ref().map_or(c.last_seq, |m| m.after_seq);
        let mut out = Vec::new();
        let mut after = mine;
        // Each page moves `after` forward by at least one, or ends the loop.
        while after < from {
            let page = self
                .history(c.id, Some(from + 1), Some(after), Some(100))
                .await?;
            let Some(last) = page.messages.last().map(|m| m.seq) else {
                break;
            };
            out.extend(page.messages.into_iter().filter(|m| m.seq > after));
            if last <= after || !page.has_more {
                break;
            }
            after = last;
        }
        if let Some(m) = &c.missed {
            out.extend(m.messages.iter().filter(|m| m.seq > mine).cloned());
        }
        Ok(out)
    }

    /// `POST /api/v1/conversations/{id}/read`.
    pub async fn mark_read(&self, id: ConversationId, seq: i64) -> Result<MarksOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/conversations/{id}/read"),
            Some(&MarkIn { seq }),
        )
        .await
    }

    /// `POST /api/v1/conversations/{id}/recv`.
    pub async fn mark_recv(&self, id: ConversationId, seq: i64) -> Result<MarksOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/conversations/{id}/recv"),
            Some(&MarkIn { seq }),
        )
        .await
    }

    /// `PATCH /api/v1/conversations/{id}/messages/{seq}`: edit my text message.
    pub async fn edit_message(
        &self,
        id: ConversationId,
        seq: i64,
        text: &str,
    ) -> Result<MessageOut> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/conversations/{id}/messages/{seq}"),
            Some(&MessagePatch {
                body: serde_json::json!({ "text": text }),
            }),
        )
        .await
    }

    /// `DELETE /api/v1/conversations/{id}/messages/{seq}`: recall my message.
    pub async fn recall_message(&self, id: ConversationId, seq: i64) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/conversations/{id}/messages/{seq}"),
            None,
        )
        .await
    }

    /// `PUT /api/v1/conversations/{id}/messages/{seq}/reactions/{emoji}`.
    pub async fn react(&self, id: ConversationId, seq: i64, emoji: &str) -> Result<ReactionsOut> {
        self.reaction_call(Method::PUT, id, seq, emoji).await
    }

    /// `DELETE /api/v1/conversations/{id}/messages/{seq}/reactions/{emoji}`.
    pub async fn unreact(&self, id: ConversationId, seq: i64, emoji: &str) -> Result<ReactionsOut> {
        self.reaction_call(Method::DELETE, id, seq, emoji).await
    }

    /// `GET /api/v1/conversations/{id}/messages/{seq}/reactions`.
    pub async fn reactions(&self, id: ConversationId, seq: i64) -> Result<ReactionsOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/conversations/{id}/messages/{seq}/reactions"),
            None,
        )
        .await
    }

    /// `GET /api/v1/conversations/{id}/messages/{seq}/readers`.
    pub async fn readers(&self, id: ConversationId, seq: i64) -> Result<ReadersOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/conversations/{id}/messages/{seq}/readers"),
            None,
        )
        .await
    }

    async fn reaction_call(
        &self,
        method: Method,
        id: ConversationId,
        seq: i64,
        emoji: &str,
    ) -> Result<ReactionsOut> {
        let mut url = self.url(&format!(
            "/api/v1/conversations/{id}/messages/{seq}/reactions"
        ))?;
        // Percent-encodes the emoji as one path segment.
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.push(emoji);
        }
        let mut req = self.http().request(method, url);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        decode(req.send().await?).await
    }

    async fn get_url<T: serde::de::DeserializeOwned>(&self, url: url::Url) -> Result<T> {
        let mut req = self.http().get(url);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        decode(req.send().await?).await
    }
}
