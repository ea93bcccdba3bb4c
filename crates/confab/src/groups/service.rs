//! Group rules: create, read, search, edit and dissolve a group; the wire form of a group;
//! and the checks the membership paths share (who may be added, the history and join
//! policies).

use chrono::{DateTime, Utc};
use confab_proto::groups::{
    GroupDissolvedData, GroupIn, GroupOut, GroupPage, GroupPatch, GroupQuery, GroupUpdatedData,
    HistoryPolicy, JoinPolicy, Role, Visibility,
};
use confab_proto::ids::{ConversationId, FileId, GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::change::{Effects, alive, apply, db_err, lock, locked, manager, member, owner, system};
use super::error::GroupsError;
use super::model::{self, Texts};
use super::store::{self, Group, Member};
use super::system::{GroupChanges, SystemEvent};
use crate::error::ApiError;
use crate::messaging::model::ConversationKind;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

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

/// Checks an avatar: an image I uploaded.
async fn avatar(state: &AppState, me: UserId, f: FileId) -> Result<FileId, ApiError> {
    match crate::media::service::find_own(state, me, f).await? {
        Some(u) if u.kind == crate::media::model::UploadKind::Image => Ok(f),
        _ => Err(GroupsError::Avatar.into()),
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
        return Err(GroupsError::TooManyUsers {
            field,
            max: model::MAX_ADD,
        }
        .into());
    }
    let mut out: Vec<UserId> = Vec::with_capacity(ids.len());
    for &user in ids {
        if user == me || out.contains(&user) {
            continue;
        }
        match crate::accounts::service::get_user(state, user).await {
            Ok(u) if u.status == crate::accounts::model::Status::Active => {}
            _ => return Err(GroupsError::NoUser { user, field }.into()),
        }
        if !are_friends(state, me, user).await? {
            return Err(GroupsError::NotFriend { user, field }.into());
        }
        out.push(user);
    }
    Ok(out)
}

fn limit_in(state: &AppState, v: u32, field: &'static str) -> Result<u32, GroupsError> {
    let max = state.config.groups.max_member_limit;
    if !(2..=max).contains(&v) {
        return Err(GroupsError::MemberLimit { field, max });
    }
    Ok(v)
}

/// Creates a group owned by me, with my friends as its first members.
pub async fn create(state: &AppState, me: UserId, input: GroupIn) -> Result<GroupOut, ApiError> {
    let mut texts = Texts::new(state);
    let (g, members) = draft(state, me, input, &mut texts).await?;
    insert(state, &g, members).await?;
    texts.file_reviews(g.id, me).await;
    metrics::counter!("confab_groups_created_total").increment(1);
    Ok(group_out(&g, Some(Role::Owner)))
}

/// Checks a new group's input: its row, and its first members (me first).
async fn draft(
    state: &AppState,
    me: UserId,
    input: GroupIn,
    texts: &mut Texts<'_>,
) -> Result<(Group, Vec<UserId>), ApiError> {
    let name = texts.text("name", &input.name, 1, model::MAX_NAME, false)?;
    let description = texts
        .optional(
            "description",
            input.description.as_deref(),
            0,
            model::MAX_DESCRIPTION,
            true,
        )?
        .unwrap_or_default();
    let member_limit = match input.member_limit {
        Some(v) => limit_in(state, v, "member_limit")?,
        None => state.config.groups.default_member_limit,
    };
    let avatar = match input.avatar {
        Some(f) => Some(avatar(state, me, f).await?),
        None => None,
    };
    let ids = input.member_ids.as_deref().unwrap_or_default();
    let mut all = vec![me];
    all.extend(addable(state, me, ids, "member_ids").await?);
    let count = u32::try_from(all.len()).unwrap_or(u32::MAX);
    if count > member_limit {
        return Err(GroupsError::TooManyMembers {
            limit: member_limit,
        }
        .into());
    }
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
        created_at: crate::infra::store::from_ms(state.clock.now().timestamp_millis()),
    };
    Ok((g, all))
}

/// Stores a new group in one transaction: its conversation (locked), its row, its members
/// and their windows (all history), the `group_created` system message; then publishes.
async fn insert(state: &AppState, g: &Group, all: Vec<UserId>) -> Result<(), ApiError> {
    let now = g.created_at;
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    window::create(&txn, g.conversation_id, ConversationKind::Group, now).await?;
    let mut lock = lock(&txn, g.conversation_id).await?;
    store::insert_group(&txn, g).await?;
    for &u in &all {
        let role = if u == g.owner_id {
            Role::Owner
        } else {
            Role::Member
        };
        store::insert_member(&txn, &new_member(g, u, role, g.created_at)).await?;
        window::open(&txn, g.conversation_id, u, 0, 0, now).await?;
    }
    let mut fx = Effects {
        added: all.clone(),
        ..Effects::default()
    };
    let event = SystemEvent::GroupCreated {
        name: g.name.clone(),
        member_ids: all,
    };
    system(state, &txn, &mut lock, g.owner_id, event, &mut fx).await?;
    txn.commit().await.map_err(db_err)?;
    apply(state, g.conversation_id, fx).await;
    Ok(())
}

/// A new member row: no nickname, not muted.
pub(crate) fn new_member(g: &Group, user: UserId, role: Role, at: DateTime<Utc>) -> Member {
    Member {
        group_id: g.id,
        user_id: user,
        role,
        nickname: None,
        muted_until: None,
        joined_at: at,
    }
}

/// A group as I see it: private groups only for their members.
pub async fn get(state: &AppState, me: UserId, id: GroupId) -> Result<GroupOut, ApiError> {
    let db = state.store.reader();
    let g = store::find_group(db, id)
        .await?
        .ok_or(GroupsError::NoGroup)?;
    let mine = store::find_member(db, id, me).await?;
    if mine.is_none() && g.visibility == Visibility::Private {
        return Err(GroupsError::NoGroup.into());
    }
    Ok(group_out(&g, mine.map(|m| m.role)))
}

/// The group of a conversation, with the same visibility rule as [`get`].
pub async fn get_by_conversation(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<GroupOut, ApiError> {
    let g = store::find_group_by_conversation(state.store.reader(), conv)
        .await?
        .ok_or(GroupsError::NoGroup)?;
    get(state, me, g.id).await
}

/// Parses a page cursor this feature handed out (an id).
pub(crate) fn cursor(raw: Option<&str>) -> Result<Option<i64>, GroupsError> {
    match raw {
        None | Some("") => Ok(None),
        Some(c) => confab_proto::ids::parse_id(c)
            .map(Some)
            .map_err(|_| GroupsError::Cursor),
    }
}

/// Public groups by name, newest first.
pub async fn search(state: &AppState, me: UserId, q: GroupQuery) -> Result<GroupPage, ApiError> {
    let text = q.q.trim();
    let n = text.chars().count();
    if n == 0 || n > model::MAX_NAME {
        return Err(GroupsError::SearchText.into());
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(GroupsError::SearchLimit.into());
    }
    let before = cursor(q.cursor.as_deref())?;
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

/// A checked settings patch: the new values (`None`: leave as is).
struct Settings {
    name: Option<String>,
    description: Option<String>,
    announcement: Option<Option<String>>,
    avatar: Option<Option<FileId>>,
    member_limit: Option<u32>,
    visibility: Option<Visibility>,
    join_policy: Option<JoinPolicy>,
    history_policy: Option<HistoryPolicy>,
    member_invite: Option<bool>,
}

impl Settings {
    /// Checks (and screens) a patch, before any lock is taken.
    async fn check(
        state: &AppState,
        me: UserId,
        p: GroupPatch,
        texts: &mut Texts<'_>,
    ) -> Result<Self, ApiError> {
        let name = texts.optional("name", p.name.as_deref(), 1, model::MAX_NAME, false)?;
        let description = texts.optional(
            "description",
            p.description.as_deref(),
            0,
            model::MAX_DESCRIPTION,
            true,
        )?;
        let announcement = match &p.announcement {
            Some(a) => Some(texts.optional(
                "announcement",
                a.as_deref(),
                1,
                model::MAX_ANNOUNCEMENT,
                true,
            )?),
            None => None,
        };
        let avatar = match p.avatar {
            Some(Some(f)) => Some(Some(avatar(state, me, f).await?)),
            Some(None) => Some(None),
            None => None,
        };
        let member_limit = p
            .member_limit
            .map(|v| limit_in(state, v, "member_limit"))
            .transpose()?;
        Ok(Self {
            name,
            description,
            announcement,
            avatar,
            member_limit,
            visibility: p.visibility,
            join_policy: p.join_policy,
            history_policy: p.history_policy,
            member_invite: p.member_invite,
        })
    }

    /// Sets what differs on `g`; returns the names of the changed fields, in order.
    fn apply(self, g: &mut Group) -> Result<Vec<&'static str>, GroupsError> {
        let mut fields = Vec::new();
        let mut set = |name: &'static str, changed: bool| {
            if changed {
                fields.push(name);
            }
        };
        set("name", replace(&mut g.name, self.name));
        set("description", replace(&mut g.description, self.description));
        set(
            "announcement",
            replace(&mut g.announcement, self.announcement),
        );
        set("avatar", replace(&mut g.avatar, self.avatar));
        set("visibility", replace(&mut g.visibility, self.visibility));
        set("join_policy", replace(&mut g.join_policy, self.join_policy));
        set(
            "history_policy",
            replace(&mut g.history_policy, self.history_policy),
        );
        set(
            "member_invite",
            replace(&mut g.member_invite, self.member_invite),
        );
        if let Some(v) = self.member_limit.filter(|v| *v != g.member_limit) {
            if v < g.member_count {
                return Err(GroupsError::MemberLimitBelowCount {
                    count: g.member_count,
                });
            }
            g.member_limit = v;
            set("member_limit", true);
        }
        Ok(fields)
    }
}

/// Puts `v` in `slot` when it is given and differs; returns whether it did.
fn replace<T: PartialEq>(slot: &mut T, v: Option<T>) -> bool {
    match v {
        Some(v) if v != *slot => {
            *slot = v;
            true
        }
        _ => false,
    }
}

/// Edits the group's profile and settings (owner or admin).
pub async fn patch(
    state: &AppState,
    me: UserId,
    id: GroupId,
    p: GroupPatch,
) -> Result<GroupOut, ApiError> {
    let mut texts = Texts::new(state);
    let settings = Settings::check(state, me, p, &mut texts).await?;
    let out = locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        let fields = settings.apply(&mut g)?;
        if !fields.is_empty() {
            updated(state, txn, lock, &g, me, &fields, fx).await?;
        }
        Ok(group_out(&g, Some(m.role)))
    })
    .await?;
    texts.file_reviews(id, me).await;
    Ok(out)
}

/// Writes the group row back and records a settings change: a system message and
/// `group.updated`.
pub(crate) async fn updated(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    g: &Group,
    by: UserId,
    fields: &[&'static str],
    fx: &mut Effects,
) -> Result<(), ApiError> {
    store::update_group(txn, g, state.clock.now()).await?;
    let event = SystemEvent::GroupUpdated {
        by,
        fields: fields.to_vec(),
        changes: GroupChanges::of(g, fields),
    };
    let m = system(state, txn, lock, by, event, fx).await?;
    fx.for_conversation(
        g,
        ServerEvent::GroupUpdated(GroupUpdatedData {
            group: group_out(g, None),
            seq: m.seq,
            by,
        }),
    );
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
        let m = system(state, txn, lock, by, SystemEvent::GroupDissolved { by }, fx).await?;
        fx.for_conversation(
            &g,
            ServerEvent::GroupDissolved(GroupDissolvedData {
                group_id: g.id,
                conversation_id: g.conversation_id,
                seq: m.seq,
                by,
            }),
        );
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
