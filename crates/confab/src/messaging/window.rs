//! Membership windows and system messages: the one way other features (groups, channels)
//! change messaging's rows. A group adds and removes members and records each change as a
//! `system` message inside ITS transaction, after locking the conversation ([`lock`]) the
//! way the writer does, so a send and a removal are always ordered (decision 0009).

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, MessageId, UserId};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, EntityTrait, Set, Statement,
};

use super::model::ConversationKind;
use super::store::Message;
use super::store::entities::messages;

pub use super::store::{create_conversation as create, join_member as open, leave_member as close};
use crate::infra::ids::IdGen;
use crate::infra::store::{from_ms, to_ms};

/// The conversation row, locked by a membership transaction (see [`lock`]). Holding it
/// orders the transaction with every batch of the writer: a send is either committed before
/// (its seq is lower) or checks membership after this transaction committed.
#[derive(Debug)]
pub struct Locked {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Its kind.
    pub kind: ConversationKind,
    /// Its newest seq, as of the lock (moved by [`append_system`]).
    pub last_seq: i64,
}

/// Locks a conversation for a membership change, as the writer does (`FOR UPDATE` on MySQL;
/// on SQLite the single writer connection's transaction is the lock). Call it FIRST in the
/// transaction, before reading or changing members, so that every transaction takes the
/// conversation lock before any member row (the writer's order too) and none deadlocks.
pub async fn lock(
    txn: &DatabaseTransaction,
    conv: ConversationId,
) -> Result<Option<Locked>, DbErr> {
    let backend = txn.get_database_backend();
    let lock = if backend == DatabaseBackend::MySql {
        " FOR UPDATE"
    } else {
        ""
    };
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id, kind, last_seq FROM conversations WHERE id = ?{lock}"),
            [conv.0.into()],
        ))
        .await?;
    let Some(r) = row else { return Ok(None) };
    let kind: String = r.try_get("", "kind")?;
    let kind = ConversationKind::parse(&kind)
        .ok_or_else(|| DbErr::Type(format!("unknown conversation kind {kind:?}")))?;
    Ok(Some(Locked {
        conversation_id: conv,
        kind,
        last_seq: r.try_get("", "last_seq")?,
    }))
}

/// Stores a `system` message (made by the server, never by a client: the send path refuses
/// the kind) in a locked conversation, with the next seq — inside the caller's transaction,
/// so the change it records and its seq commit together. `actor` is the user whose action
/// it records (the wire's `sender_id`); their read/recv marks move to it when they are a
/// member. The client id is `sys:<message id>`: `:` is outside the client alphabet, so it
/// can never collide with a client's own.
pub async fn append_system(
    txn: &DatabaseTransaction,
    ids: &IdGen,
    locked: &mut Locked,
    actor: UserId,
    event: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Message, DbErr> {
    append(txn, ids, locked, actor, "system", event, now).await
}

/// Stores a `gift` message (gifts: the record of a send, counted as unread like any
/// message; the send path refuses the kind from clients), as [`append_system`] does.
pub async fn append_gift(
    txn: &DatabaseTransaction,
    ids: &IdGen,
    locked: &mut Locked,
    sender: UserId,
    body: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Message, DbErr> {
    append(txn, ids, locked, sender, "gift", body, now).await
}

/// Stores a `call` message (calls: the record of a call with its outcome and duration,
/// counted as unread like any message; the send path refuses the kind from clients), as
/// [`append_system`] does. `caller` is the sender.
pub async fn append_call(
    txn: &DatabaseTransaction,
    ids: &IdGen,
    locked: &mut Locked,
    caller: UserId,
    body: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Message, DbErr> {
    append(txn, ids, locked, caller, "call", body, now).await
}

/// Whether `user` is an active member of the locked conversation (asked under its lock, so
/// the answer holds until the transaction ends).
pub async fn is_active_member(
    txn: &DatabaseTransaction,
    locked: &Locked,
    user: UserId,
) -> Result<bool, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "SELECT 1 AS one FROM conversation_members \
             WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL",
            [locked.conversation_id.0.into(), user.0.into()],
        ))
        .await?;
    Ok(row.is_some())
}

/// A server-made message of `kind` with the next seq (see [`append_system`]).
async fn append(
    txn: &DatabaseTransaction,
    ids: &IdGen,
    locked: &mut Locked,
    actor: UserId,
    kind: &str,
    event: &impl serde::Serialize,
    now: DateTime<Utc>,
) -> Result<Message, DbErr> {
    let body = serde_json::to_string(event).map_err(|e| DbErr::Json(e.to_string()))?;
    let backend = txn.get_database_backend();
    let seq = locked.last_seq + 1;
    let created = to_ms(now);
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE conversations SET last_seq = ?, last_message_at = ? WHERE id = ?",
        [seq.into(), created.into(), locked.conversation_id.0.into()],
    ))
    .await?;
    let id = MessageId(ids.next_id());
    let stored = Message {
        conversation_id: locked.conversation_id,
        seq,
        id,
        sender_id: actor,
        client_msg_id: format!("sys:{id}"),
        kind: kind.into(),
        body,
        reply_to: None,
        mentions: None,
        edited_at: None,
        recalled_at: None,
        created_at: from_ms(created),
    };
    messages::Entity::insert(messages::ActiveModel {
        conversation_id: Set(stored.conversation_id.0),
        seq: Set(seq),
        id: Set(id.0),
        sender_id: Set(actor.0),
        client_msg_id: Set(stored.client_msg_id.clone()),
        kind: Set(stored.kind.clone()),
        body: Set(stored.body.clone()),
        reply_to: Set(None),
        mentions: Set(None),
        edited_at: Set(None),
        recalled_at: Set(None),
        created_at: Set(created),
    })
    .exec_without_returning(txn)
    .await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "UPDATE conversation_members SET read_seq = ?, recv_seq = ?, hidden = ?, updated_at = ? \
         WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL",
        [
            seq.into(),
            seq.into(),
            false.into(),
            created.into(),
            locked.conversation_id.0.into(),
            actor.0.into(),
        ],
    ))
    .await?;
    locked.last_seq = seq;
    Ok(stored)
}
