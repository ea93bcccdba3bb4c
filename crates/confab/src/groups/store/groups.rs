//! Group rows: create, find (by id, by conversation, by name), write back, count.

use chrono::{DateTime, Utc};
use confab_proto::groups::{HistoryPolicy, JoinPolicy, Visibility};
use confab_proto::ids::{ConversationId, FileId, GroupId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::infra::store::{StoreError, from_ms, like_escape, to_ms};

use super::entities::groups;

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

pub(super) fn group_of(m: groups::Model) -> Group {
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

/// Stores a new group.
pub async fn insert_group(db: &impl ConnectionTrait, g: &Group) -> Result<(), StoreError> {
    group_row(g, g.created_at).insert(db).await?;
    Ok(())
}

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

/// Writes every field of a group back.
pub async fn update_group(
    db: &impl ConnectionTrait,
    g: &Group,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    group_row(g, now).update(db).await?;
    Ok(())
}

/// Groups not dissolved.
pub async fn count_live(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(groups::Entity::find()
        .filter(groups::Column::DissolvedAt.is_null())
        .count(db)
        .await?)
}

/// Whether `file` is the avatar of a live group `user` may see: a public group, or a
/// private one they are a member of.
pub async fn avatar_visible(
    db: &impl ConnectionTrait,
    file: FileId,
    user: UserId,
) -> Result<bool, StoreError> {
    let stmt = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT 1 AS x FROM chat_groups g \
         WHERE g.avatar = ? AND g.dissolved_at IS NULL \
           AND (g.visibility = 'public' OR EXISTS \
             (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = ?)) \
         LIMIT 1",
        [file.0.into(), user.0.into()],
    );
    Ok(db.query_one_raw(stmt).await?.is_some())
}
