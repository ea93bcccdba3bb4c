//! Member rows: a member's window (joined, left, cleared), read and recv marks and flags,
//! and a user's memberships.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect, Set,
};

use super::entities::{conversations, members};
use super::{Conversation, Mark, Member, conversation_of, member_of};
use crate::infra::store::{StoreError, to_ms, unique_violation};

/// Makes `user` a member of an open conversation (a channel) if it is not one yet, seeing
/// its whole history with nothing unread before `last_seq`; returns the member's row.
/// Racing first touches (two devices) insert once: the loser's unique violation is ignored.
pub async fn join_open_conversation(
    db: &DatabaseConnection,
    conv: ConversationId,
    user: UserId,
    last_seq: i64,
    now: DateTime<Utc>,
) -> Result<Member, StoreError> {
    let row = new_member(conv, user, 0, last_seq, now);
    match members::Entity::insert(row).exec(db).await {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => {}
        Err(e) => return Err(e.into()),
    }
    find_member(db, conv, user)
        .await?
        .ok_or(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "channel member".into(),
        )))
}

/// A member's row (also for members who left).
pub async fn find_member(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
) -> Result<Option<Member>, StoreError> {
    Ok(members::Entity::find_by_id((conv.0, user.0))
        .one(db)
        .await?
        .map(member_of))
}

/// A member's row (also for members who left) with its conversation, in one query.
pub async fn find_membership(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
) -> Result<Option<(Conversation, Member)>, StoreError> {
    Ok(members::Entity::find_by_id((conv.0, user.0))
        .find_also_related(conversations::Entity)
        .one(db)
        .await?
        .and_then(|(m, c)| Some((conversation_of(c?), member_of(m)))))
}

/// The conversations a user is an active member of (the gateway's fan-out index).
pub async fn active_conversation_ids(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<ConversationId>, StoreError> {
    let ids: Vec<i64> = members::Entity::find()
        .select_only()
        .column(members::Column::ConversationId)
        .filter(members::Column::UserId.eq(user.0))
        .filter(members::Column::LeftSeq.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(ConversationId).collect())
}

/// Every member row of a conversation (active ones unless `with_left`).
pub async fn list_members(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    with_left: bool,
) -> Result<Vec<Member>, StoreError> {
    let mut q = members::Entity::find().filter(members::Column::ConversationId.eq(conv.0));
    if !with_left {
        q = q.filter(members::Column::LeftSeq.is_null());
    }
    Ok(q.all(db).await?.into_iter().map(member_of).collect())
}

/// A user's conversations with their member rows, each with whether its messages or the
/// user's row changed after `since` (always true without `since`). Two queries.
pub async fn list_memberships(
    db: &impl ConnectionTrait,
    user: UserId,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<(Conversation, Member, bool)>, StoreError> {
    let rows = members::Entity::find()
        .filter(members::Column::UserId.eq(user.0))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|m| m.conversation_id).collect();
    let mut convs = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        convs.extend(
            conversations::Entity::find()
                .filter(conversations::Column::Id.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    let by_id: std::collections::HashMap<i64, conversations::Model> =
        convs.into_iter().map(|c| (c.id, c)).collect();
    let since = since.map(to_ms);
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let Some(c) = by_id.get(&m.conversation_id) else {
            continue;
        };
        let changed = since.is_none_or(|since| {
            c.last_message_at.is_some_and(|t| t > since) || m.updated_at > since
        });
        out.push((conversation_of(c.clone()), member_of(m), changed));
    }
    Ok(out)
}

/// Every member row (left ones too) of these conversations, in one query per 500.
pub async fn members_of(
    db: &impl ConnectionTrait,
    convs: &[ConversationId],
) -> Result<Vec<Member>, StoreError> {
    let mut out = Vec::new();
    for chunk in convs.chunks(500) {
        out.extend(
            members::Entity::find()
                .filter(members::Column::ConversationId.is_in(chunk.iter().map(|c| c.0)))
                .all(db)
                .await?
                .into_iter()
                .map(member_of),
        );
    }
    Ok(out)
}

/// Marks the conversation as changed for every member (so `GET /sync` reports it) without
/// moving any mark: used when an existing message changes.
pub async fn touch_members(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(members::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(members::Column::ConversationId.eq(conv.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves a member's mark forward to `seq` (never back). Reading implies receiving.
/// Returns the member's row afterwards.
pub async fn advance_mark(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
    mark: Mark,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let base = |col: members::Column| {
        members::Entity::update_many()
            .col_expr(col, Expr::value(seq))
            .col_expr(members::Column::UpdatedAt, Expr::value(to_ms(now)))
            .filter(members::Column::ConversationId.eq(conv.0))
            .filter(members::Column::UserId.eq(user.0))
            .filter(col.lt(seq))
    };
    if mark == Mark::Read {
        base(members::Column::ReadSeq).exec(db).await?;
    }
    base(members::Column::RecvSeq).exec(db).await?;
    Ok(())
}

/// Sets a member's flags; `None` leaves one as it is.
pub async fn set_flags(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
    pinned: Option<bool>,
    muted: Option<bool>,
    hidden: Option<bool>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut q = members::Entity::update_many()
        .col_expr(members::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(members::Column::ConversationId.eq(conv.0))
        .filter(members::Column::UserId.eq(user.0));
    if let Some(v) = pinned {
        q = q.col_expr(members::Column::Pinned, Expr::value(v));
    }
    if let Some(v) = muted {
        q = q.col_expr(members::Column::Muted, Expr::value(v));
    }
    if let Some(v) = hidden {
        q = q.col_expr(members::Column::Hidden, Expr::value(v));
    }
    q.exec(db).await?;
    Ok(())
}

/// "Clear history for me": the member no longer sees anything up to `seq`, and has read it.
pub async fn clear_history(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(members::Column::ClearedSeq, Expr::value(seq))
        .col_expr(
            members::Column::ReadSeq,
            Expr::cust_with_values(
                "CASE WHEN read_seq < ? THEN ? ELSE read_seq END",
                [seq, seq],
            ),
        )
        .col_expr(members::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(members::Column::ConversationId.eq(conv.0))
        .filter(members::Column::UserId.eq(user.0))
        .filter(Condition::all().add(members::Column::ClearedSeq.lt(seq)))
        .exec(db)
        .await?;
    Ok(())
}

/// Opens a member's window at `joined_seq` (they see seqs above it), marking everything up
/// to `read_seq` read. A returning member's old row is reused: its window starts afresh.
/// Call it with the conversation locked ([`crate::messaging::window::lock`]).
pub async fn join_member(
    txn: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
    joined_seq: i64,
    read_seq: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let t = to_ms(now);
    match members::Entity::find_by_id((conv.0, user.0))
        .one(txn)
        .await?
    {
        Some(_) => {
            members::Entity::update_many()
                .col_expr(members::Column::JoinedSeq, Expr::value(joined_seq))
                .col_expr(members::Column::LeftSeq, Expr::value(Option::<i64>::None))
                .col_expr(members::Column::ReadSeq, Expr::value(read_seq))
                .col_expr(members::Column::RecvSeq, Expr::value(read_seq))
                .col_expr(members::Column::ClearedSeq, Expr::value(0))
                .col_expr(members::Column::Hidden, Expr::value(false))
                .col_expr(members::Column::UpdatedAt, Expr::value(t))
                .filter(members::Column::ConversationId.eq(conv.0))
                .filter(members::Column::UserId.eq(user.0))
                .exec(txn)
                .await?;
        }
        None => {
            new_member(conv, user, joined_seq, read_seq, now)
                .insert(txn)
                .await?;
        }
    }
    Ok(())
}

/// Closes an active member's window at `left_seq`: they keep seeing up to it, nothing after.
/// Call it with the conversation locked ([`crate::messaging::window::lock`]).
pub async fn leave_member(
    txn: &impl ConnectionTrait,
    conv: ConversationId,
    user: UserId,
    left_seq: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(members::Column::LeftSeq, Expr::value(left_seq))
        .col_expr(members::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(members::Column::ConversationId.eq(conv.0))
        .filter(members::Column::UserId.eq(user.0))
        .filter(members::Column::LeftSeq.is_null())
        .exec(txn)
        .await?;
    Ok(())
}

/// A new member row: window from `joined_seq`, read and received up to `read_seq`, no flags.
pub(super) fn new_member(
    conv: ConversationId,
    user: UserId,
    joined_seq: i64,
    read_seq: i64,
    now: DateTime<Utc>,
) -> members::ActiveModel {
    members::ActiveModel {
        conversation_id: Set(conv.0),
        user_id: Set(user.0),
        read_seq: Set(read_seq),
        recv_seq: Set(read_seq),
        cleared_seq: Set(0),
        joined_seq: Set(joined_seq),
        left_seq: Set(None),
        pinned: Set(false),
        muted: Set(false),
        hidden: Set(false),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
    }
}
