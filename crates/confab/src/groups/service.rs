//! Group rules: create, read, search, edit and dissolve; the locked-change machinery every
//! membership or settings change runs through; and the hooks messaging asks (may this member
//! send, recall that message, list its readers).

use chrono::{DateTime, Utc};
use confab_proto::ErrorCode;
use confab_proto::groups::{
    GroupDissolvedData, GroupIn, GroupOut, GroupPage, GroupPatch, GroupQuery, GroupUpdatedData,
    HistoryPolicy, JoinPolicy, Role,
};
use confab_proto::ids::{ConversationId, FileId, GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::model::{self, role_required};
use super::store::{self, Group, Member};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::StoreError;
use crate::messaging::Message;
use crate::messaging::model::ConversationKind;
use crate::messaging::service::message_out;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

/// What a committed change still has to do: fan-out index updates (first), then events.
#[derive(Default)]
pub(crate) struct Effects {
    /// Users who joined the conversation.
    pub added: Vec<UserId>,
    /// Users who left it.
    pub removed: Vec<UserId>,
    /// Events to publish, in order.
    pub events: Vec<(Topic, ServerEvent)>,
}

/// `not_found` for a group.
pub(crate) fn no_group() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such group")
}

/// What a non-member hears about a group: a private group does not exist for them (404);
/// a public one answers `not_group_member`.
pub(crate) fn outsider(g: &Group) -> ApiError {
    match g.visibility {
        confab_proto::groups::Visibility::Private => no_group(),
        confab_proto::groups::Visibility::Public => ApiError::new(
            ErrorCode::NotGroupMember,
            "you are not a member of this group",
        ),
    }
}

/// `group_dissolved` once dissolved.
pub(crate) fn alive(g: &Group) -> Result<(), ApiError> {
    if g.dissolved_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::GroupDissolved,
            "the group was dissolved",
        ));
    }
    Ok(())
}

/// My membership, or the outsider's error.
pub(crate) async fn member(
    db: &impl sea_orm::ConnectionTrait,
    g: &Group,
    me: UserId,
) -> Result<Member, ApiError> {
    store::find_member(db, g.id, me)
        .await?
        .ok_or_else(|| outsider(g))
}

/// Requires the owner or an admin.
pub(crate) fn manager(m: &Member) -> Result<(), ApiError> {
    if m.role == Role::Member {
        return Err(role_required("only the owner or an admin may do this"));
    }
    Ok(())
}

/// Requires the owner.
pub(crate) fn owner(m: &Member) -> Result<(), ApiError> {
    if m.role != Role::Owner {
        return Err(role_required("only the owner may do this"));
    }
    Ok(())
}

/// A group as `role` sees it.
pub fn group_out(g: &Group, my_role: Option<Role>) -> GroupOut {
    GroupOut {
        id: g.id,
        conversation_id: g.conversation_id,
        name: g.name.clone(),
        description: g.description.clone(),
        avatar: g.avatar,
        announcement: g.announcement.clone(),
        visibility: g.visibility,
        join_policy: g.join_policy,
        history_policy: g.history_policy,
        member_invite: g.member_invite,
        owner_id: g.owner_id,
        member_limit: g.member_limit,
        member_count: g.member_count,
        all_muted: g.all_muted,
        dissolved: g.dissolved_at.is_some(),
        my_role,
        created_at: g.created_at,
    }
}

fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

/// Runs a change in ONE transaction that first locks the group's conversation (the writer's
/// lock, so sends and membership changes are ordered; see `messaging` invariants), then
/// re-reads the group under it. `f` checks the rules and writes; when it succeeds the
/// transaction commits, then the fan-out index is updated on every node (so a removed member
/// gets nothing published after), then the events are published. An error rolls back.
pub(crate) async fn locked<T>(
    state: &AppState,
    id: GroupId,
    f: impl AsyncFnOnce(&DatabaseTransaction, &mut Locked, Group, &mut Effects) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let g = store::find_group(state.store.reader(), id)
        .await?
        .ok_or_else(no_group)?;
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let mut lock = window::lock(&txn, g.conversation_id)
        .await
        .map_err(db_err)?
        .ok_or_else(no_group)?;
    let g = store::find_group(&txn, id).await?.ok_or_else(no_group)?;
    let mut fx = Effects::default();
    let out = f(&txn, &mut lock, g, &mut fx).await?;
    txn.commit().await.map_err(db_err)?;
    apply(state, lock.conversation_id, fx).await;
    Ok(out)
}

/// Publishes a committed change's effects: membership first, then events.
pub(crate) async fn apply(state: &AppState, conv: ConversationId, fx: Effects) {
    // Members, roles, mutes, mute-all or dissolution: whatever changed, the send path's
    // cached rows of every group are stale now (`rulecache`).
    crate::rulecache::changed(state).await;
    if !fx.added.is_empty() || !fx.removed.is_empty() {
        crate::messaging::service::members_changed(state, conv, fx.added, fx.removed).await;
    }
    for (topic, event) in fx.events {
        crate::push::emit(state, topic, &event).await;
    }
}

/// Appends the `system` message that records a change (and queues its `message.new`).
pub(crate) async fn system(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    actor: UserId,
    body: serde_json::Value,
    fx: &mut Effects,
) -> Result<Message, ApiError> {
    let m = window::append_system(txn, &state.ids, lock, actor, &body, state.clock.now())
        .await
        .map_err(db_err)?;
    fx.events.push((
        Topic::Conversation(lock.conversation_id),
        ServerEvent::MessageNew(message_out(&m)),
    ));
    Ok(m)
}

/// The stored milliseconds as a time.
pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    crate::infra::store::from_ms(ms)
}

/// Checks an avatar: an image I uploaded.
async fn avatar(state: &AppState, me: UserId, f: FileId) -> Result<FileId, ApiError> {
    match crate::media::service::find_own(state, me, f).await? {
        Some(u) if u.kind == crate::media::model::UploadKind::Image => Ok(f),
        _ => Err(ApiError::invalid("avatar", "avatar: an image you uploaded")),
    }
}

/// Whether `a` and `b` are friends (the social feature's rule).
pub(crate) async fn are_friends(state: &AppState, a: UserId, b: UserId) -> Result<bool, ApiError> {
    crate::social::service::are_friends(state, a, b).await
}

/// Checks users to add (me excluded, deduplicated, at most [`model::MAX_ADD`]): active
/// accounts and my friends.
pub(crate) async fn addable(
    state: &AppState,
    me: UserId,
    ids: &[UserId],
    field: &'static str,
) -> Result<Vec<UserId>, ApiError> {
    if ids.len() > model::MAX_ADD {
        return Err(ApiError::invalid(
            field,
            format!("{field}: at most {}", model::MAX_ADD),
        ));
    }
    let mut out: Vec<UserId> = Vec::with_capacity(ids.len());
    for &u in ids {
        if u == me || out.contains(&u) {
            continue;
        }
        match crate::accounts::service::get_user(state, u).await {
            Ok(user) if user.status == crate::accounts::model::Status::Active => {}
            _ => {
                return Err(
                    ApiError::new(ErrorCode::NotFound, format!("no such user: {u}"))
                        .with_field(field),
                );
            }
        }
        if !are_friends(state, me, u).await? {
            return Err(ApiError::new(
                ErrorCode::InviteeNotFriend,
                format!("user {u} is not your friend"),
            )
            .with_field(field));
        }
        out.push(u);
    }
    Ok(out)
}

fn limit_in(state: &AppState, v: u32, field: &'static str) -> Result<u32, ApiError> {
    let max = state.config.groups.max_member_limit;
    if !(2..=max).contains(&v) {
        return Err(ApiError::invalid(field, format!("{field}: 2 to {max}")));
    }
    Ok(v)
}

/// Creates a group owned by me, with my friends as its first members.
pub async fn create(state: &AppState, me: UserId, input: GroupIn) -> Result<GroupOut, ApiError> {
    let name = model::text(state, "name", &input.name, 1, model::MAX_NAME, false)?;
    let description = match &input.description {
        Some(d) => model::text(state, "description", d, 0, model::MAX_DESCRIPTION, true)?,
        None => String::new(),
    };
    let member_limit = match input.member_limit {
        Some(v) => limit_in(state, v, "member_limit")?,
        None => state.config.groups.default_member_limit,
    };
    let avatar = match input.avatar {
        Some(f) => Some(avatar(state, me, f).await?),
        None => None,
    };
    let others = addable(
        state,
        me,
        input.member_ids.as_deref().unwrap_or_default(),
        "member_ids",
    )
    .await?;
    let count = u32::try_from(others.len() + 1).unwrap_or(u32::MAX);
    if count > member_limit {
        return Err(ApiError::new(
            ErrorCode::GroupFull,
            format!("a group of at most {member_limit} members"),
        ));
    }
    let now = state.clock.now();
    let g = Group {
        id: GroupId(state.ids.next_id()),
        conversation_id: ConversationId(state.ids.next_id()),
        name,
        avatar,
        description,
        announcement: None,
        visibility: input.visibility,
        join_policy: input.join_policy,
        history_policy: input.history_policy.unwrap_or_default(),
        member_invite: input.member_invite.unwrap_or(false),
        owner_id: me,
        member_limit,
        member_count: count,
        all_muted: false,
        dissolved_at: None,
        created_at: crate::infra::store::from_ms(now.timestamp_millis()),
    };
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    window::create(&txn, g.conversation_id, ConversationKind::Group, now).await?;
    let mut lock = window::lock(&txn, g.conversation_id)
        .await
        .map_err(db_err)?
        .ok_or_else(no_group)?;
    store::insert_group(&txn, &g).await?;
    let mut all = vec![me];
    all.extend(others.iter().copied());
    for &u in &all {
        store::insert_member(
            &txn,
            &Member {
                group_id: g.id,
                user_id: u,
                role: if u == me { Role::Owner } else { Role::Member },
                nickname: None,
                muted_until: None,
                joined_at: g.created_at,
            },
        )
        .await?;
        window::open(&txn, g.conversation_id, u, 0, 0, now).await?;
    }
    let mut fx = Effects {
        added: all.clone(),
        ..Effects::default()
    };
    system(
        state,
        &txn,
        &mut lock,
        me,
        serde_json::json!({"event": "group_created", "name": g.name, "member_ids": all}),
        &mut fx,
    )
    .await?;
    txn.commit().await.map_err(db_err)?;
    apply(state, g.conversation_id, fx).await;
    metrics::counter!("confab_groups_created_total").increment(1);
    Ok(group_out(&g, Some(Role::Owner)))
}

/// A group as I see it: private groups only for their members.
pub async fn get(state: &AppState, me: UserId, id: GroupId) -> Result<GroupOut, ApiError> {
    let db = state.store.reader();
    let g = store::find_group(db, id).await?.ok_or_else(no_group)?;
    let mine = store::find_member(db, id, me).await?;
    if mine.is_none() && g.visibility == confab_proto::groups::Visibility::Private {
        return Err(no_group());
    }
    Ok(group_out(&g, mine.map(|m| m.role)))
}

/// Public groups by name, newest first.
pub async fn search(state: &AppState, me: UserId, q: GroupQuery) -> Result<GroupPage, ApiError> {
    let text = q.q.trim();
    let n = text.chars().count();
    if n == 0 || n > model::MAX_NAME {
        return Err(ApiError::invalid("q", "q: 1 to 64 characters"));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit: 1 to 50"));
    }
    let before = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            confab_proto::ids::parse_id(c)
                .map_err(|_| ApiError::invalid("cursor", "cursor: a next_cursor from a page"))?,
        ),
    };
    let db = state.store.reader();
    let found = store::search_public(db, text, before, u64::from(limit) + 1).await?;
    let more = found.len() > limit as usize;
    let mut items = Vec::with_capacity(found.len().min(limit as usize));
    for g in found.into_iter().take(limit as usize) {
        let role = store::find_member(db, g.id, me).await?.map(|m| m.role);
        items.push(group_out(&g, role));
    }
    let next_cursor = if more {
        items.last().map(|g| g.id.to_string())
    } else {
        None
    };
    Ok(GroupPage { items, next_cursor })
}

/// Edits the group's profile and settings (owner or admin).
pub async fn patch(
    state: &AppState,
    me: UserId,
    id: GroupId,
    p: GroupPatch,
) -> Result<GroupOut, ApiError> {
    // Validate (and screen) before taking the lock.
    let name = match &p.name {
        Some(n) => Some(model::text(state, "name", n, 1, model::MAX_NAME, false)?),
        None => None,
    };
    let description = match &p.description {
        Some(d) => Some(model::text(
            state,
            "description",
            d,
            0,
            model::MAX_DESCRIPTION,
            true,
        )?),
        None => None,
    };
    let announcement = match &p.announcement {
        Some(Some(a)) => Some(Some(model::text(
            state,
            "announcement",
            a,
            1,
            model::MAX_ANNOUNCEMENT,
            true,
        )?)),
        Some(None) => Some(None),
        None => None,
    };
    let avatar_v = match p.avatar {
        Some(Some(f)) => Some(Some(avatar(state, me, f).await?)),
        Some(None) => Some(None),
        None => None,
    };
    let limit = match p.member_limit {
        Some(v) => Some(limit_in(state, v, "member_limit")?),
        None => None,
    };
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        let mut fields: Vec<&'static str> = Vec::new();
        if let Some(n) = name.filter(|n| *n != g.name) {
            g.name = n;
            fields.push("name");
        }
        if let Some(d) = description.filter(|d| *d != g.description) {
            g.description = d;
            fields.push("description");
        }
        if let Some(a) = announcement.filter(|a| *a != g.announcement) {
            g.announcement = a;
            fields.push("announcement");
        }
        if let Some(a) = avatar_v.filter(|a| *a != g.avatar) {
            g.avatar = a;
            fields.push("avatar");
        }
        if let Some(v) = p.visibility.filter(|v| *v != g.visibility) {
            g.visibility = v;
            fields.push("visibility");
        }
        if let Some(v) = p.join_policy.filter(|v| *v != g.join_policy) {
            g.join_policy = v;
            fields.push("join_policy");
        }
        if let Some(v) = p.history_policy.filter(|v| *v != g.history_policy) {
            g.history_policy = v;
            fields.push("history_policy");
        }
        if let Some(v) = p.member_invite.filter(|v| *v != g.member_invite) {
            g.member_invite = v;
            fields.push("member_invite");
        }
        if let Some(v) = limit.filter(|v| *v != g.member_limit) {
            if v < g.member_count {
                return Err(ApiError::invalid(
                    "member_limit",
                    format!(
                        "member_limit: at least the {} current members",
                        g.member_count
                    ),
                ));
            }
            g.member_limit = v;
            fields.push("member_limit");
        }
        if !fields.is_empty() {
            updated(state, txn, lock, &g, me, &fields, fx).await?;
        }
        Ok(group_out(&g, Some(m.role)))
    })
    .await
}

/// Writes the group row back and records a settings change: a system message and
/// `group.updated`.
pub(crate) async fn updated(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    g: &Group,
    by: UserId,
    fields: &[&str],
    fx: &mut Effects,
) -> Result<(), ApiError> {
    store::update_group(txn, g, state.clock.now()).await?;
    let mut body = serde_json::json!({"event": "group_updated", "by": by, "fields": fields});
    for f in fields {
        body[*f] = match *f {
            "name" => serde_json::json!(g.name),
            "description" => serde_json::json!(g.description),
            "announcement" => serde_json::json!(g.announcement),
            "avatar" => serde_json::json!(g.avatar),
            "visibility" => serde_json::json!(g.visibility),
            "join_policy" => serde_json::json!(g.join_policy),
            "history_policy" => serde_json::json!(g.history_policy),
            "member_invite" => serde_json::json!(g.member_invite),
            "member_limit" => serde_json::json!(g.member_limit),
            "all_muted" => serde_json::json!(g.all_muted),
            "owner_id" => serde_json::json!(g.owner_id),
            _ => serde_json::Value::Null,
        };
    }
    let m = system(state, txn, lock, by, body, fx).await?;
    fx.events.push((
        Topic::Conversation(g.conversation_id),
        ServerEvent::GroupUpdated(GroupUpdatedData {
            group: group_out(g, None),
            seq: m.seq,
            by,
        }),
    ));
    Ok(())
}

/// Dissolves my group (owner only).
pub async fn dissolve(state: &AppState, me: UserId, id: GroupId) -> Result<(), ApiError> {
    dissolve_as(state, id, me, true).await
}

/// Dissolves a group on a system administrator's decision (report review): no group role
/// needed. The caller authorises the administrator and keeps the audit record.
pub async fn dissolve_by_admin(
    state: &AppState,
    group_id: GroupId,
    admin: UserId,
) -> Result<(), ApiError> {
    dissolve_as(state, group_id, admin, false).await
}

async fn dissolve_as(
    state: &AppState,
    id: GroupId,
    by: UserId,
    as_owner: bool,
) -> Result<(), ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        if as_owner {
            owner(&member(txn, &g, by).await?)?;
        }
        alive(&g)?;
        let now = state.clock.now();
        g.dissolved_at = Some(crate::infra::store::from_ms(now.timestamp_millis()));
        store::update_group(txn, &g, now).await?;
        let m = system(
            state,
            txn,
            lock,
            by,
            serde_json::json!({"event": "group_dissolved", "by": by}),
            fx,
        )
        .await?;
        fx.events.push((
            Topic::Conversation(g.conversation_id),
            ServerEvent::GroupDissolved(GroupDissolvedData {
                group_id: g.id,
                conversation_id: g.conversation_id,
                seq: m.seq,
                by,
            }),
        ));
        Ok(())
    })
    .await
}

/// Whether a new member of `g` sees the history before they joined.
pub(crate) fn sees_all(g: &Group) -> bool {
    g.history_policy == HistoryPolicy::All
}

/// Whether joining `g` needs approval.
pub(crate) fn needs_approval(g: &Group) -> bool {
    g.join_policy == JoinPolicy::Approval
}

/// Groups not dissolved (the admin stats).
pub async fn count_live(state: &AppState) -> Result<u64, ApiError> {
    Ok(store::count_live(state.store.reader()).await?)
}
