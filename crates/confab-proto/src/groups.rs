//! Groups: create, find, join, members and roles, invites, join requests, bans, and the
//! `group.*` events (see `docs/groups.md`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::UserOut;
use crate::ids::{ConversationId, FileId, GroupId, JoinRequestId, UserId};

/// Who can find a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Found by search; joined directly or by request (the join policy).
    Public,
    /// Invisible to non-members; joined only through an invite.
    Private,
}

/// How a public group is joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// Anyone who finds it joins at once.
    Open,
    /// A join request, approved by the owner or an admin.
    Approval,
}

/// What a new member sees of the history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryPolicy {
    /// Only messages after joining.
    #[default]
    FromJoin,
    /// Every message since the group began.
    All,
}

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A plain member.
    Member,
    /// Moderates members; appointed by the owner.
    Admin,
    /// Exactly one per group.
    Owner,
}

impl Role {
    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// The role for a stored string.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// `POST /groups`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Rust fans", "visibility": "public", "join_policy": "open", "member_ids": ["7260000000000000002"]}))]
pub struct GroupIn {
    /// 1–64 characters.
    pub name: String,
    /// `public` or `private`.
    pub visibility: Visibility,
    /// `open` or `approval` (only meaningful for public groups).
    pub join_policy: JoinPolicy,
    /// Default `groups.default_member_limit`; at most `groups.max_member_limit`.
    #[serde(default)]
    pub member_limit: Option<u32>,
    /// Initial members besides me: my friends (at most 100).
    #[serde(default)]
    pub member_ids: Option<Vec<UserId>>,
    /// Up to 1000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// An image I uploaded.
    #[serde(default)]
    pub avatar: Option<FileId>,
    /// Default `from_join`.
    #[serde(default)]
    pub history_policy: Option<HistoryPolicy>,
    /// Whether plain members may add their friends directly (default false).
    #[serde(default)]
    pub member_invite: Option<bool>,
}

/// `PATCH /groups/{id}`: absent fields do not change; `null` clears avatar / announcement.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// 1–64 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Up to 1000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// An image I uploaded; `null` removes it.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Option<FileId>>,
    /// Up to 2000 characters; `null` removes it.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub announcement: Option<Option<String>>,
    /// `public` or `private`.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// `open` or `approval`.
    #[serde(default)]
    pub join_policy: Option<JoinPolicy>,
    /// `from_join` or `all` (for members who join from now on).
    #[serde(default)]
    pub history_policy: Option<HistoryPolicy>,
    /// Whether plain members may add their friends directly.
    #[serde(default)]
    pub member_invite: Option<bool>,
    /// Up to `groups.max_member_limit`, and not below the current member count.
    #[serde(default)]
    pub member_limit: Option<u32>,
}

/// `Option<Option<T>>` that tells an absent field (`None`) from `null` (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A group as I see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct GroupOut {
    /// Id.
    pub id: GroupId,
    /// Its conversation: send and read with the conversation endpoints.
    pub conversation_id: ConversationId,
    /// Name.
    pub name: String,
    /// Description (may be empty).
    pub description: String,
    /// Avatar file.
    pub avatar: Option<FileId>,
    /// Announcement.
    pub announcement: Option<String>,
    /// `public` or `private`.
    pub visibility: Visibility,
    /// `open` or `approval`.
    pub join_policy: JoinPolicy,
    /// `from_join` or `all`.
    pub history_policy: HistoryPolicy,
    /// Whether plain members may add their friends directly.
    pub member_invite: bool,
    /// The owner.
    pub owner_id: UserId,
    /// Most members allowed.
    pub member_limit: u32,
    /// Members now.
    pub member_count: u32,
    /// Only the owner and admins may speak.
    pub all_muted: bool,
    /// Dissolved: read-only history, no changes.
    pub dissolved: bool,
    /// My role; `null` if I am not a member.
    pub my_role: Option<Role>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// `GET /groups?q=`: public groups by name.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    /// Part of the name (1–64 characters, case-insensitive; `%` and `_` match literally).
    #[param(min_length = 1)]
    pub q: String,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–50, default 20.
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// A page of groups.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupPage {
    /// The groups, newest first.
    pub items: Vec<GroupOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A member as the group sees them.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MemberOut {
    /// The user.
    pub user: UserOut,
    /// Role.
    pub role: Role,
    /// Group nickname.
    pub nickname: Option<String>,
    /// Muted until (far future, 9999-12-31, for a permanent mute); `null`: not muted.
    pub muted_until: Option<DateTime<Utc>>,
    /// Joined.
    pub joined_at: DateTime<Utc>,
}

/// `GET /groups/{id}/members`: paged by user id.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–200, default 100.
    #[serde(default)]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A page of members.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberPage {
    /// Owner first, then admins, then members; each by user id.
    pub items: Vec<MemberOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `POST /groups/{id}/members`: add my friends directly (owner, admins, or members when the
/// group allows it).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MembersIn {
    /// 1–100 users.
    pub user_ids: Vec<UserId>,
}

/// How long a mute lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum MuteFor {
    /// One hour.
    #[serde(rename = "1h")]
    OneHour,
    /// 24 hours.
    #[serde(rename = "24h")]
    OneDay,
    /// Until unmuted.
    #[serde(rename = "permanent")]
    Permanent,
    /// Unmute.
    #[serde(rename = "off")]
    Off,
}

/// `PATCH /groups/{id}/members/{user_id}`: role (owner only), mute (owner/admin), nickname
/// (the member themself). Give at least one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    /// `admin` or `member` (owner only; ownership moves with `POST /transfer`).
    #[serde(default)]
    pub role: Option<Role>,
    /// `1h`, `24h`, `permanent` or `off`.
    #[serde(default)]
    pub mute: Option<MuteFor>,
    /// A custom mute end (in the future); instead of `mute`.
    #[serde(default)]
    pub mute_until: Option<DateTime<Utc>>,
    /// My group nickname (1–32 characters); `null` removes it. Only for myself.
    #[serde(
        default,
        with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub nickname: Option<Option<String>>,
}

/// `DELETE /groups/{id}/members/{user_id}`: kick, optionally with a ban.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KickQuery {
    /// Also ban: with `ban_until`, until then; without, permanently.
    #[serde(default)]
    pub ban: Option<bool>,
    /// When the ban ends (RFC 3339, in the future); implies `ban=true`.
    #[serde(default)]
    pub ban_until: Option<DateTime<Utc>>,
}

/// `POST /groups/{id}/transfer`: the owner hands the group to another member.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    /// The new owner (a current member); I become an admin.
    pub user_id: UserId,
}

/// `PUT /groups/{id}/mute-all`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteAllIn {
    /// On: only the owner and admins may speak.
    pub muted: bool,
}

/// `POST /groups/{id}/join`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinIn {
    /// For approval groups: a note to the admins (up to 200 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /groups/{id}/invites`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteIn {
    /// Valid for this long (60 s – 365 days); absent: until revoked.
    #[serde(default)]
    pub expires_in_secs: Option<u64>,
    /// At most this many joins (1–100000); absent: unlimited.
    #[serde(default)]
    pub max_uses: Option<u32>,
}

/// An invite token (only the owner and admins see these).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct InviteOut {
    /// The token (share it as a link); 256 random bits.
    pub token: String,
    /// Its group.
    pub group_id: GroupId,
    /// Who made it.
    pub creator_id: UserId,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Most uses, if limited.
    pub max_uses: Option<u32>,
    /// How often it was used.
    pub uses: u32,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Made.
    pub created_at: DateTime<Utc>,
}

/// A join request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct JoinRequestOut {
    /// Id.
    pub id: JoinRequestId,
    /// The group.
    pub group_id: GroupId,
    /// Who asks.
    pub user_id: UserId,
    /// Their note.
    pub message: Option<String>,
    /// `pending`, `approved` or `declined`.
    pub status: String,
    /// Asked.
    pub created_at: DateTime<Utc>,
}

/// `PUT /groups/{id}/bans/{user_id}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanIn {
    /// Ends then (in the future); absent: permanent.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// Up to 200 characters.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A ban.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BanOut {
    /// The group.
    pub group_id: GroupId,
    /// Who is banned.
    pub user_id: UserId,
    /// Ends then; `null`: permanent.
    pub until: Option<DateTime<Utc>>,
    /// Who banned them.
    pub by: UserId,
    /// Why.
    pub reason: Option<String>,
    /// Since.
    pub created_at: DateTime<Utc>,
}

/// The answer to `POST /groups/{id}/join` and `POST /invites/{token}/accept`: either the
/// group (joined) or a pending join request.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(untagged)]
pub enum JoinOut {
    /// Joined (200).
    Joined(GroupOut),
    /// Waiting for approval (202).
    Requested(JoinRequestOut),
}

/// `group.updated` data: the group's settings changed (name, avatar, description,
/// announcement, policies, limit, mute-all, owner).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct GroupUpdatedData {
    /// The group, as a non-member would see it (`my_role` is `null`).
    pub group: GroupOut,
    /// The system message that records the change.
    pub seq: i64,
    /// Who changed it.
    pub by: UserId,
}

/// `group.member_joined`, `group.member_left`, `group.member_kicked`, `group.member_muted`
/// and `group.member_updated` data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GroupMemberData {
    /// The group.
    pub group_id: GroupId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The system message that records the change.
    pub seq: i64,
    /// The member concerned.
    pub user_id: UserId,
    /// Who did it (the member themself for joins by search and leaves).
    pub by: UserId,
    /// The member's role now (`null` once out of the group).
    pub role: Option<Role>,
    /// For mutes: muted until (`null`: unmuted). For kicks with a ban: banned until (`null`
    /// with `banned: true`: permanently).
    pub until: Option<DateTime<Utc>>,
    /// For kicks: whether a ban came with it.
    pub banned: bool,
}

/// `group.dissolved` data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct GroupDissolvedData {
    /// The group.
    pub group_id: GroupId,
    /// Its conversation (history stays readable to its members).
    pub conversation_id: ConversationId,
    /// The system message that records it.
    pub seq: i64,
    /// The owner, or a system administrator.
    pub by: UserId,
}
