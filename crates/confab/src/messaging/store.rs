//! The messaging feature's SQL: conversations, members, messages. The seq-allocating write
//! lives in [`super::writer`].

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, MessageId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::model::ConversationKind;
use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};

pub(super) mod conversations {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub kind: crate::messaging::model::ConversationKind,
        pub direct_key: Option<String>,
        pub last_seq: i64,
        pub last_message_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub read_seq: i64,
        pub recv_seq: i64,
        pub cleared_seq: i64,
        pub joined_seq: i64,
        pub left_seq: Option<i64>,
        pub pinned: bool,
        pub muted: bool,
        pub hidden: bool,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::conversations::Entity",
            from = "Column::ConversationId",
            to = "super::conversations::Column::Id"
        )]
        Conversation,
    }

    impl Related<super::conversations::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Conversation.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod messages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub id: i64,
        pub sender_id: i64,
        pub client_msg_id: String,
        pub kind: String,
        pub body: String,
        pub reply_to: Option<i64>,
        pub mentions: Option<String>,
        pub edited_at: Option<i64>,
        pub recalled_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(super) mod reactions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reactions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub conversation_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub emoji: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A conversation row.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// Kind.
    pub kind: ConversationKind,
    /// Newest seq.
    pub last_seq: i64,
    /// When the newest message was stored.
    pub last_message_at: Option<DateTime<Utc>>,
}

fn conversation_of(m: conversations::Model) -> Conversation {
    Conversation {
        id: ConversationId(m.id),
        kind: m.kind,
        last_seq: m.last_seq,
        last_message_at: m.last_message_at.map(from_ms),
    }
}

/// A member's row.
#[derive(Debug, Clone)]
pub struct Member {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// User.
    pub user_id: UserId,
    /// Read up to.
    pub read_seq: i64,
    /// Received up to.
    pub recv_seq: i64,
    /// Cleared ("delete history for me") up to.
    pub cleared_seq: i64,
    /// Joined after this seq.
    pub joined_seq: i64,
    /// Left at this seq, if left.
    pub left_seq: Option<i64>,
    /// Pinned.
    pub pinned: bool,
    /// Notifications muted.
    pub muted: bool,
    /// Hidden.
    pub hidden: bool,
}

impl Member {
    /// The lowest seq the member may NOT see below: it sees seqs greater than this.
    pub fn floor(&self) -> i64 {
        self.joined_seq.max(self.cleared_seq)
    }
    /// The highest seq the member may see, given the conversation's newest.
    pub fn ceiling(&self, last_seq: i64) -> i64 {
        self.left_seq.map_or(last_seq, |l| l.min(last_seq))
    }
    /// Whether the member is still in the conversation.
    pub fn active(&self) -> bool {
        self.left_seq.is_none()
    }
}

fn member_of(m: members::Model) -> Member {
    Member {
        conversation_id: ConversationId(m.conversation_id),
        user_id: UserId(m.user_id),
        read_seq: m.read_seq,
        recv_seq: m.recv_seq,
        cleared_seq: m.cleared_seq,
        joined_seq: m.joined_seq,
        left_seq: m.left_seq,
        pinned: m.pinned,
        muted: m.muted,
        hidden: m.hidden,
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Seq.
    pub seq: i64,
    /// Global id.
    pub id: MessageId,
    /// Sender.
    pub sender_id: UserId,
    /// Client id.
    pub client_msg_id: String,
    /// Kind.
    pub kind: String,
    /// Body JSON text.
    pub body: String,
    /// Replied-to seq.
    pub reply_to: Option<i64>,
    /// Mentions JSON text.
    pub mentions: Option<String>,
    /// Edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Recalled.
    pub recalled_at: Option<DateTime<Utc>>,
    /// Stored.
    pub created_at: DateTime<Utc>,
}

pub(super) fn message_of(m: messages::Model) -> Message {
    Message {
        conversation_id: ConversationId(m.conversation_id),
        seq: m.seq,
        id: MessageId(m.id),
        sender_id: UserId(m.sender_id),
        client_msg_id: m.client_msg_id,
        kind: m.kind,
        body: m.body,
        reply_to: m.reply_to,
        mentions: m.mentions,
        edited_at: m.edited_at.map(from_ms),
        recalled_at: m.recalled_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// The key that makes a pair's direct chat unique.
pub fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

// ---------------------------------------------------------------- create

/// The direct chat of `a` and `b`, created with both as members if it does not exist.
pub async fn create_or_find_direct(
    db: &DatabaseConnection,
    id: ConversationId,
    a: UserId,
    b: UserId,
    now: DateTime<Utc>,
) -> Result<ConversationId, StoreError> {
    let key = direct_key(a, b);
    if let Some(c) = find_direct(db, &key).await? {
        return Ok(c);
    }
    let txn = db.begin().await?;
    let inserted = conversations::ActiveModel {
        id: Set(id.0),
        kind: Set(ConversationKind::Direct),
        direct_key: Set(Some(key.clone())),
        last_seq: Set(0),
        last_message_at: Set(None),
        created_at: Set(to_ms(now)),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => {
            // Another request made it first.
            txn.rollback().await?;
            return find_direct(db, &key)
                .await?
                .ok_or(StoreError::Db(sea_orm::DbErr::RecordNotFound(key)));
        }
        Err(e) => return Err(e.into()),
    }
    let mut users = vec![a];
    if b != a {
        users.push(b);
    }
    for u in users {
        members::ActiveModel {
            conversation_id: Set(id.0),
            user_id: Set(u.0),
            read_seq: Set(0),
            recv_seq: Set(0),
            cleared_seq: Set(0),
            joined_seq: Set(0),
            left_seq: Set(None),
            pinned: Set(false),
            muted: Set(false),
            hidden: Set(false),
            created_at: Set(to_ms(now)),
            updated_at: Set(to_ms(now)),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------- read

/// The direct chat with this key.
pub async fn find_direct(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<ConversationId>, StoreError> {
    Ok(conversations::Entity::find()
        .filter(conversations::Column::DirectKey.eq(key))
        .one(db)
        .await?
        .map(|m| ConversationId(m.id)))
}

/// A conversation.
pub async fn find_conversation(
    db: &impl ConnectionTrait,
    id: ConversationId,
) -> Result<Option<Conversation>, StoreError> {
    Ok(conversations::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(conversation_of))
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

/// The message at each (conversation, seq), in one query per 200 pairs; pairs with no
/// stored message are left out.
pub async fn messages_at(
    db: &impl ConnectionTrait,
    at: &[(ConversationId, i64)],
) -> Result<Vec<Message>, StoreError> {
    let mut out = Vec::with_capacity(at.len());
    for chunk in at.chunks(200) {
        let mut any = Condition::any();
        for (conv, seq) in chunk {
            any = any.add(
                Condition::all()
                    .add(messages::Column::ConversationId.eq(conv.0))
                    .add(messages::Column::Seq.eq(*seq)),
            );
        }
        out.extend(
            messages::Entity::find()
                .filter(any)
                .all(db)
                .await?
                .into_iter()
                .map(message_of),
        );
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

/// Messages with `lo < seq <= hi`: ascending from `lo` when `ascending`, else the newest
/// first from `hi`; at most `limit`.
pub async fn list_messages(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    lo: i64,
    hi: i64,
    ascending: bool,
    limit: u64,
) -> Result<Vec<Message>, StoreError> {
    if hi <= lo {
        return Ok(Vec::new());
    }
    let q = messages::Entity::find()
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.gt(lo))
        .filter(messages::Column::Seq.lte(hi));
    let q = if ascending {
        q.order_by_asc(messages::Column::Seq)
    } else {
        q.order_by_desc(messages::Column::Seq)
    };
    let mut rows: Vec<Message> = q
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(message_of)
        .collect();
    rows.sort_by_key(|m| m.seq);
    Ok(rows)
}

/// One message.
pub async fn find_message(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
) -> Result<Option<Message>, StoreError> {
    Ok(messages::Entity::find_by_id((conv.0, seq))
        .one(db)
        .await?
        .map(message_of))
}

/// Every reaction to a message as (user, emoji), oldest first.
pub async fn list_reactions(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
) -> Result<Vec<(UserId, String)>, StoreError> {
    Ok(reactions::Entity::find()
        .filter(reactions::Column::ConversationId.eq(conv.0))
        .filter(reactions::Column::Seq.eq(seq))
        .order_by_asc(reactions::Column::CreatedAt)
        .order_by_asc(reactions::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (UserId(r.user_id), r.emoji))
        .collect())
}

// ---------------------------------------------------------------- update

/// Replaces the body of a message that is not recalled and stamps `edited_at`. Returns
/// whether it changed (false: recalled meanwhile, or gone).
pub async fn edit_message(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    body: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value(body))
        .col_expr(messages::Column::EditedAt, Expr::value(to_ms(now)))
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.eq(seq))
        .filter(messages::Column::RecalledAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Recalls a message: body `{}`, `recalled_at` stamped, its reactions dropped. Returns
/// whether this call recalled it (false: already recalled, or gone).
pub async fn recall_message(
    db: &DatabaseConnection,
    conv: ConversationId,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let r = messages::Entity::update_many()
        .col_expr(messages::Column::Body, Expr::value("{}"))
        .col_expr(messages::Column::RecalledAt, Expr::value(to_ms(now)))
        .filter(messages::Column::ConversationId.eq(conv.0))
        .filter(messages::Column::Seq.eq(seq))
        .filter(messages::Column::RecalledAt.is_null())
        .exec(&txn)
        .await?;
    if r.rows_affected == 1 {
        reactions::Entity::delete_many()
            .filter(reactions::Column::ConversationId.eq(conv.0))
            .filter(reactions::Column::Seq.eq(seq))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(r.rows_affected == 1)
}

/// Sets a user's one reaction to a message, replacing any previous one.
pub async fn put_reaction(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    user: UserId,
    emoji: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::OnConflict;
    reactions::Entity::insert(reactions::ActiveModel {
        conversation_id: Set(conv.0),
        seq: Set(seq),
        user_id: Set(user.0),
        emoji: Set(emoji.to_owned()),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::columns([
            reactions::Column::ConversationId,
            reactions::Column::Seq,
            reactions::Column::UserId,
        ])
        .update_columns([reactions::Column::Emoji, reactions::Column::CreatedAt])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
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

/// Which mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Read up to.
    Read,
    /// Received up to.
    Recv,
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

// ---------------------------------------------------------------- delete

/// Removes a user's reaction to a message. Returns whether there was one.
pub async fn delete_reaction(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    seq: i64,
    user: UserId,
) -> Result<bool, StoreError> {
    let r = reactions::Entity::delete_many()
        .filter(reactions::Column::ConversationId.eq(conv.0))
        .filter(reactions::Column::Seq.eq(seq))
        .filter(reactions::Column::UserId.eq(user.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

// ---------------------------------------------------------------- membership windows, open conversations

/// Creates a conversation of `kind` (not direct) with no members yet: a group adds its own in
/// the same transaction; a channel's members join lazily.
pub async fn create_conversation(
    txn: &impl ConnectionTrait,
    id: ConversationId,
    kind: ConversationKind,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conversations::ActiveModel {
        id: Set(id.0),
        kind: Set(kind),
        direct_key: Set(None),
        last_seq: Set(0),
        last_message_at: Set(None),
        created_at: Set(to_ms(now)),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Opens a member's window at `joined_seq` (they see seqs above it), marking everything up
/// to `read_seq` read. A returning member's old row is reused: its window starts afresh.
/// Call it with the conversation locked ([`super::window::lock`]).
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
                created_at: Set(t),
                updated_at: Set(t),
            }
            .insert(txn)
            .await?;
        }
    }
    Ok(())
}

/// Closes an active member's window at `left_seq`: they keep seeing up to it, nothing after.
/// Call it with the conversation locked ([`super::window::lock`]).
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
    let row = members::ActiveModel {
        conversation_id: Set(conv.0),
        user_id: Set(user.0),
        read_seq: Set(last_seq),
        recv_seq: Set(last_seq),
        cleared_seq: Set(0),
        joined_seq: Set(0),
        left_seq: Set(None),
        pinned: Set(false),
        muted: Set(false),
        hidden: Set(false),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
    };
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

/// Messages stored at or after `since` (a range over `ix_messages_created_at`).
pub async fn count_messages_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let n = messages::Entity::find()
        .filter(messages::Column::CreatedAt.gte(to_ms(since)))
        .count(db)
        .await?;
    Ok(n)
}
