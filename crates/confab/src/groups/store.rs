//! The groups feature's SQL. Every change to members, roles, mutes or settings runs inside a
//! transaction that first locked the group's conversation (`messaging::writer::lock`); the
//! functions here take that transaction (or any connection, for reads).

use chrono::{DateTime, Utc};
use confab_proto::groups::{HistoryPolicy, JoinPolicy, Role, Visibility};
use confab_proto::ids::{ConversationId, FileId, GroupId, JoinRequestId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::infra::store::{StoreError, from_ms, like_escape, to_ms};

mod groups {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "chat_groups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub conversation_id: i64,
        pub name: String,
        pub name_norm: String,
        pub avatar: Option<i64>,
        pub description: String,
        pub announcement: Option<String>,
        pub visibility: String,
        pub join_policy: String,
        pub history_policy: String,
        pub member_invite: bool,
        pub owner_id: i64,
        pub member_limit: i32,
        pub member_count: i32,
        pub all_muted: bool,
        pub dissolved_at: Option<i64>,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "group_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub role: String,
        pub nickname: Option<String>,
        pub muted_until: Option<i64>,
        pub joined_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::groups::Entity",
            from = "Column::GroupId",
            to = "super::groups::Column::Id"
        )]
        Group,
    }

    impl Related<super::groups::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Group.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

mod bans {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "group_bans")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub until: Option<i64>,
        pub by_id: i64,
        pub reason: Option<String>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod invites {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "group_invites")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token: String,
        pub group_id: i64,
        pub creator_id: i64,
        pub expires_at: Option<i64>,
        pub max_uses: Option<i32>,
        pub uses: i32,
        pub revoked_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod requests {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "group_join_requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub group_id: i64,
        pub user_id: i64,
        pub message: Option<String>,
        pub status: String,
        pub decided_by: Option<i64>,
        pub decided_at: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A group row.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Id.
    pub id: GroupId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Name.
    pub name: String,
    /// Avatar.
    pub avatar: Option<FileId>,
    /// Description.
    pub description: String,
    /// Announcement.
    pub announcement: Option<String>,
    /// Visibility.
    pub visibility: Visibility,
    /// Join policy.
    pub join_policy: JoinPolicy,
    /// History policy.
    pub history_policy: HistoryPolicy,
    /// Members may add their friends.
    pub member_invite: bool,
    /// Owner.
    pub owner_id: UserId,
    /// Member limit.
    pub member_limit: u32,
    /// Members now.
    pub member_count: u32,
    /// Only owner and admins speak.
    pub all_muted: bool,
    /// When dissolved.
    pub dissolved_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

fn join_policy_str(v: JoinPolicy) -> &'static str {
    match v {
        JoinPolicy::Open => "open",
        JoinPolicy::Approval => "approval",
    }
}

fn history_str(v: HistoryPolicy) -> &'static str {
    match v {
        HistoryPolicy::FromJoin => "from_join",
        HistoryPolicy::All => "all",
    }
}

fn group_of(m: groups::Model) -> Group {
    Group {
        id: GroupId(m.id),
        conversation_id: ConversationId(m.conversation_id),
        name: m.name,
        avatar: m.avatar.map(FileId),
        description: m.description,
        announcement: m.announcement,
        visibility: if m.visibility == "public" {
            Visibility::Public
        } else {
            Visibility::Private
        },
        join_policy: if m.join_policy == "open" {
            JoinPolicy::Open
        } else {
            JoinPolicy::Approval
        },
        history_policy: if m.history_policy == "all" {
            HistoryPolicy::All
        } else {
            HistoryPolicy::FromJoin
        },
        member_invite: m.member_invite,
        owner_id: UserId(m.owner_id),
        member_limit: u32::try_from(m.member_limit).unwrap_or(0),
        member_count: u32::try_from(m.member_count).unwrap_or(0),
        all_muted: m.all_muted,
        dissolved_at: m.dissolved_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

fn group_row(g: &Group, now: DateTime<Utc>) -> groups::ActiveModel {
    groups::ActiveModel {
        id: Set(g.id.0),
        conversation_id: Set(g.conversation_id.0),
        name: Set(g.name.clone()),
        name_norm: Set(g.name.to_lowercase()),
        avatar: Set(g.avatar.map(|f| f.0)),
        description: Set(g.description.clone()),
        announcement: Set(g.announcement.clone()),
        visibility: Set(visibility_str(g.visibility).into()),
        join_policy: Set(join_policy_str(g.join_policy).into()),
        history_policy: Set(history_str(g.history_policy).into()),
        member_invite: Set(g.member_invite),
        owner_id: Set(g.owner_id.0),
        member_limit: Set(i32::try_from(g.member_limit).unwrap_or(i32::MAX)),
        member_count: Set(i32::try_from(g.member_count).unwrap_or(i32::MAX)),
        all_muted: Set(g.all_muted),
        dissolved_at: Set(g.dissolved_at.map(to_ms)),
        created_at: Set(to_ms(g.created_at)),
        updated_at: Set(to_ms(now)),
    }
}

/// A member's group row (roles, nickname, mute). Their conversation row holds the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Group.
    pub group_id: GroupId,
    /// User.
    pub user_id: UserId,
    /// Role.
    pub role: Role,
    /// Group nickname.
    pub nickname: Option<String>,
    /// Muted until (ms; `model::FOREVER_MS` for permanent).
    pub muted_until: Option<i64>,
    /// Joined.
    pub joined_at: DateTime<Utc>,
}

impl Member {
    /// Whether the member is muted at `now`.
    pub fn muted_at(&self, now: DateTime<Utc>) -> bool {
        self.muted_until.is_some_and(|u| u > to_ms(now))
    }
}

fn member_of(m: members::Model) -> Member {
    Member {
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        role: Role::parse(&m.role).unwrap_or(Role::Member),
        nickname: m.nickname,
        muted_until: m.muted_until,
        joined_at: from_ms(m.joined_at),
    }
}

/// A ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// Group.
    pub group_id: GroupId,
    /// Banned user.
    pub user_id: UserId,
    /// Ends (ms); `None`: permanent.
    pub until: Option<i64>,
    /// By.
    pub by: UserId,
    /// Why.
    pub reason: Option<String>,
    /// Since.
    pub created_at: DateTime<Utc>,
}

impl Ban {
    /// Whether the ban holds at `now`.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| u > to_ms(now))
    }
}

fn ban_of(m: bans::Model) -> Ban {
    Ban {
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        until: m.until,
        by: UserId(m.by_id),
        reason: m.reason,
        created_at: from_ms(m.created_at),
    }
}

/// An invite token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The token.
    pub token: String,
    /// Group.
    pub group_id: GroupId,
    /// Made by.
    pub creator_id: UserId,
    /// Expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Most uses.
    pub max_uses: Option<u32>,
    /// Uses so far.
    pub uses: u32,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Made.
    pub created_at: DateTime<Utc>,
}

impl Invite {
    /// Whether it still admits someone at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none()
            && self.expires_at.is_none_or(|e| e > now)
            && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

fn invite_of(m: invites::Model) -> Invite {
    Invite {
        token: m.token,
        group_id: GroupId(m.group_id),
        creator_id: UserId(m.creator_id),
        expires_at: m.expires_at.map(from_ms),
        max_uses: m.max_uses.and_then(|v| u32::try_from(v).ok()),
        uses: u32::try_from(m.uses).unwrap_or(0),
        revoked_at: m.revoked_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// A join request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Id.
    pub id: JoinRequestId,
    /// Group.
    pub group_id: GroupId,
    /// Who asks.
    pub user_id: UserId,
    /// Note.
    pub message: Option<String>,
    /// `pending`, `approved`, `declined`.
    pub status: String,
    /// Asked.
    pub created_at: DateTime<Utc>,
}

fn request_of(m: requests::Model) -> JoinRequest {
    JoinRequest {
        id: JoinRequestId(m.id),
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        message: m.message,
        status: m.status,
        created_at: from_ms(m.created_at),
    }
}

// ---------------------------------------------------------------- create

/// Stores a new group.
pub async fn insert_group(db: &impl ConnectionTrait, g: &Group) -> Result<(), StoreError> {
    group_row(g, g.created_at).insert(db).await?;
    Ok(())
}

/// Stores a member's group row (replacing a stale one).
pub async fn insert_member(db: &impl ConnectionTrait, m: &Member) -> Result<(), StoreError> {
    delete_member(db, m.group_id, m.user_id).await?;
    members::ActiveModel {
        group_id: Set(m.group_id.0),
        user_id: Set(m.user_id.0),
        role: Set(m.role.as_str().into()),
        nickname: Set(m.nickname.clone()),
        muted_until: Set(m.muted_until),
        joined_at: Set(to_ms(m.joined_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores (or replaces) a ban.
pub async fn put_ban(db: &impl ConnectionTrait, b: &Ban) -> Result<(), StoreError> {
    delete_ban(db, b.group_id, b.user_id).await?;
    bans::ActiveModel {
        group_id: Set(b.group_id.0),
        user_id: Set(b.user_id.0),
        until: Set(b.until),
        by_id: Set(b.by.0),
        reason: Set(b.reason.clone()),
        created_at: Set(to_ms(b.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores a new invite.
pub async fn insert_invite(db: &impl ConnectionTrait, i: &Invite) -> Result<(), StoreError> {
    invites::ActiveModel {
        token: Set(i.token.clone()),
        group_id: Set(i.group_id.0),
        creator_id: Set(i.creator_id.0),
        expires_at: Set(i.expires_at.map(to_ms)),
        max_uses: Set(i.max_uses.and_then(|v| i32::try_from(v).ok())),
        uses: Set(0),
        revoked_at: Set(None),
        created_at: Set(to_ms(i.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores a new join request.
pub async fn insert_request(db: &impl ConnectionTrait, r: &JoinRequest) -> Result<(), StoreError> {
    requests::ActiveModel {
        id: Set(r.id.0),
        group_id: Set(r.group_id.0),
        user_id: Set(r.user_id.0),
        message: Set(r.message.clone()),
        status: Set(r.status.clone()),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(to_ms(r.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- read

/// A group by id.
pub async fn find_group(
    db: &impl ConnectionTrait,
    id: GroupId,
) -> Result<Option<Group>, StoreError> {
    Ok(groups::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(group_of))
}

/// The group that owns a conversation.
pub async fn find_group_by_conversation(
    db: &impl ConnectionTrait,
    conv: ConversationId,
) -> Result<Option<Group>, StoreError> {
    Ok(groups::Entity::find()
        .filter(groups::Column::ConversationId.eq(conv.0))
        .one(db)
        .await?
        .map(group_of))
}

/// The group of conversation `conv` with `u`'s member row in it, in one query; `None` when
/// either is missing.
pub async fn find_membership_by_conversation(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    u: UserId,
) -> Result<Option<(Group, Member)>, StoreError> {
    Ok(members::Entity::find()
        .filter(members::Column::UserId.eq(u.0))
        .find_also_related(groups::Entity)
        .filter(groups::Column::ConversationId.eq(conv.0))
        .one(db)
        .await?
        .and_then(|(m, g)| Some((group_of(g?), member_of(m)))))
}

/// Public, not dissolved groups whose name contains `q` (case-insensitive, literal), newest
/// first, with an id below `before`.
pub async fn search_public(
    db: &impl ConnectionTrait,
    q: &str,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Group>, StoreError> {
    let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
    let mut query = groups::Entity::find()
        .filter(groups::Column::Visibility.eq("public"))
        .filter(groups::Column::DissolvedAt.is_null())
        .filter(Expr::col(groups::Column::NameNorm).like(LikeExpr::new(pattern).escape('\\')));
    if let Some(b) = before {
        query = query.filter(groups::Column::Id.lt(b));
    }
    Ok(query
        .order_by_desc(groups::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(group_of)
        .collect())
}

/// A member's group row.
pub async fn find_member(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<Member>, StoreError> {
    Ok(members::Entity::find_by_id((g.0, u.0))
        .one(db)
        .await?
        .map(member_of))
}

/// Members by user id, above `after`.
pub async fn list_members(
    db: &impl ConnectionTrait,
    g: GroupId,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Member>, StoreError> {
    let mut q = members::Entity::find().filter(members::Column::GroupId.eq(g.0));
    if let Some(a) = after {
        q = q.filter(members::Column::UserId.gt(a));
    }
    Ok(q.order_by_asc(members::Column::UserId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(member_of)
        .collect())
}

/// A ban, whether or not it has ended.
pub async fn find_ban(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<Ban>, StoreError> {
    Ok(bans::Entity::find_by_id((g.0, u.0))
        .one(db)
        .await?
        .map(ban_of))
}

/// A group's bans (ended ones included), newest first, at most 500.
pub async fn list_bans(db: &impl ConnectionTrait, g: GroupId) -> Result<Vec<Ban>, StoreError> {
    Ok(bans::Entity::find()
        .filter(bans::Column::GroupId.eq(g.0))
        .order_by_desc(bans::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(ban_of)
        .collect())
}

/// An invite by token.
pub async fn find_invite(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Invite>, StoreError> {
    Ok(invites::Entity::find_by_id(token.to_owned())
        .one(db)
        .await?
        .map(invite_of))
}

/// A group's invites, newest first, at most 500.
pub async fn list_invites(
    db: &impl ConnectionTrait,
    g: GroupId,
) -> Result<Vec<Invite>, StoreError> {
    Ok(invites::Entity::find()
        .filter(invites::Column::GroupId.eq(g.0))
        .order_by_desc(invites::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(invite_of)
        .collect())
}

/// A join request by id.
pub async fn find_request(
    db: &impl ConnectionTrait,
    id: JoinRequestId,
) -> Result<Option<JoinRequest>, StoreError> {
    Ok(requests::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(request_of))
}

/// A user's pending request to a group.
pub async fn find_pending_request(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<JoinRequest>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::GroupId.eq(g.0))
        .filter(requests::Column::UserId.eq(u.0))
        .filter(requests::Column::Status.eq("pending"))
        .one(db)
        .await?
        .map(request_of))
}

/// A group's pending requests, oldest first, at most 500.
pub async fn list_pending_requests(
    db: &impl ConnectionTrait,
    g: GroupId,
) -> Result<Vec<JoinRequest>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::GroupId.eq(g.0))
        .filter(requests::Column::Status.eq("pending"))
        .order_by_asc(requests::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(request_of)
        .collect())
}

// ---------------------------------------------------------------- update

/// Writes every field of a group back.
pub async fn update_group(
    db: &impl ConnectionTrait,
    g: &Group,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    group_row(g, now).update(db).await?;
    Ok(())
}

/// Writes a member's role, nickname and mute back.
pub async fn update_member(db: &impl ConnectionTrait, m: &Member) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(members::Column::Role, Expr::value(m.role.as_str()))
        .col_expr(members::Column::Nickname, Expr::value(m.nickname.clone()))
        .col_expr(members::Column::MutedUntil, Expr::value(m.muted_until))
        .filter(members::Column::GroupId.eq(m.group_id.0))
        .filter(members::Column::UserId.eq(m.user_id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts one use of an invite.
pub async fn use_invite(db: &impl ConnectionTrait, token: &str) -> Result<(), StoreError> {
    invites::Entity::update_many()
        .col_expr(invites::Column::Uses, Expr::cust("uses + 1"))
        .filter(invites::Column::Token.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes an invite (once). Returns whether this call revoked it.
pub async fn revoke_invite(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = invites::Entity::update_many()
        .col_expr(invites::Column::RevokedAt, Expr::value(to_ms(now)))
        .filter(invites::Column::Token.eq(token))
        .filter(invites::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Decides a pending request. Returns whether it was still pending.
pub async fn decide_request(
    db: &impl ConnectionTrait,
    id: JoinRequestId,
    status: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(status))
        .col_expr(requests::Column::DecidedBy, Expr::value(by.0))
        .col_expr(requests::Column::DecidedAt, Expr::value(to_ms(now)))
        .filter(requests::Column::Id.eq(id.0))
        .filter(requests::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

// ---------------------------------------------------------------- delete

/// Removes a member's group row. Returns whether there was one.
pub async fn delete_member(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<bool, StoreError> {
    let r = members::Entity::delete_many()
        .filter(members::Column::GroupId.eq(g.0))
        .filter(members::Column::UserId.eq(u.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Lifts a ban. Returns whether there was one.
pub async fn delete_ban(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<bool, StoreError> {
    let r = bans::Entity::delete_many()
        .filter(bans::Column::GroupId.eq(g.0))
        .filter(bans::Column::UserId.eq(u.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Groups not dissolved.
pub async fn count_live(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(groups::Entity::find()
        .filter(groups::Column::DissolvedAt.is_null())
        .count(db)
        .await?)
}
