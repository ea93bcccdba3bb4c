//! Voice rooms: rooms, mic seats, seat applications and invitations, room moderation,
//! discovery, media tokens and the `room.*` events (see `docs/rooms.md`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ids::{ConversationId, FileId, RoomId, SeatRequestId, UserId};

/// Who can enter a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomVisibility {
    /// Anyone signed in enters.
    Public,
    /// Listed like any room, entered only with the password.
    Private,
}

/// How a seat is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatMode {
    /// Anyone in the room takes a free, unlocked seat.
    Free,
    /// Members apply; the owner or an admin approves. Managers still take seats directly.
    Apply,
}

/// A user's role in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomRole {
    /// Everyone else.
    Member,
    /// Appointed by the owner: manages seats and members (never the owner or other admins).
    Admin,
    /// Made the room.
    Owner,
}

/// `POST /rooms`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRoomIn {
    /// 1–40 characters.
    pub name: String,
    /// An image I uploaded (`POST /files`, kind `image`).
    #[serde(default)]
    pub cover: Option<FileId>,
    /// One of `GET /room-tags`.
    #[serde(default)]
    pub tag: Option<String>,
    /// Up to 500 characters.
    #[serde(default)]
    pub announcement: Option<String>,
    /// `public` (default) or `private` (then `password` is required).
    #[serde(default)]
    pub visibility: Option<RoomVisibility>,
    /// 4–64 characters; stored hashed. Required for a private room.
    #[serde(default)]
    pub password: Option<String>,
    /// 1–20 seats; default 8.
    #[serde(default)]
    pub seat_count: Option<u32>,
    /// `free` (default) or `apply`.
    #[serde(default)]
    pub seat_mode: Option<SeatMode>,
}

/// `PATCH /rooms/{id}`: only the fields given change. The owner changes anything; an admin
/// changes the announcement and `mute_all` only.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomPatch {
    /// 1–40 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// A new cover image I uploaded.
    #[serde(default)]
    pub cover: Option<FileId>,
    /// A tag from `GET /room-tags`, or `""` for none.
    #[serde(default)]
    pub tag: Option<String>,
    /// Up to 500 characters (`""` clears it).
    #[serde(default)]
    pub announcement: Option<String>,
    /// `private` needs a `password` (now or already set).
    #[serde(default)]
    pub visibility: Option<RoomVisibility>,
    /// A new password (4–64 characters).
    #[serde(default)]
    pub password: Option<String>,
    /// 1–20; seats above a smaller count are emptied.
    #[serde(default)]
    pub seat_count: Option<u32>,
    /// `free` or `apply`.
    #[serde(default)]
    pub seat_mode: Option<SeatMode>,
    /// Only the owner and admins may chat.
    #[serde(default)]
    pub mute_all: Option<bool>,
}

/// A room.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct RoomOut {
    /// Id.
    pub id: RoomId,
    /// The room chat (kind `room`): read and send with the conversation endpoints while in
    /// the room.
    pub conversation_id: ConversationId,
    /// The owner.
    pub owner_id: UserId,
    /// Name.
    pub name: String,
    /// Cover image.
    pub cover: Option<FileId>,
    /// Tag.
    pub tag: Option<String>,
    /// Announcement (may be empty).
    pub announcement: String,
    /// `public` or `private`.
    pub visibility: RoomVisibility,
    /// Seats.
    pub seat_count: u32,
    /// `free` or `apply`.
    pub seat_mode: SeatMode,
    /// Only the owner and admins may chat.
    pub mute_all: bool,
    /// Users in the room now.
    pub audience: u32,
    /// Closed: nobody enters; it is never listed.
    pub closed: bool,
    /// Gifts sent in the room since it opened.
    #[serde(default)]
    pub gift_totals: crate::gifts::RoomGiftTotals,
    /// My role (absent in `room.updated`, which everyone in the room gets alike).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_role: Option<RoomRole>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// One seat.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct SeatOut {
    /// 1..=seat count.
    pub position: u32,
    /// Who sits here.
    pub user_id: Option<UserId>,
    /// Locked: empty, and nobody may take it until unlocked.
    pub locked: bool,
    /// Muted by the owner or an admin: the occupant may not publish audio.
    pub muted: bool,
    /// The occupant's own microphone switch (off when the seat is muted).
    pub mic_on: bool,
}

/// Every seat of a room with the seat version: `GET /rooms/{id}/seats` and the data of
/// `room.seats`. The version grows by one with every committed seat change; a client that
/// sees a gap refetches.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct SeatsOut {
    /// The room.
    pub room_id: RoomId,
    /// Seat version.
    pub version: i64,
    /// Seats 1..=N in order.
    pub seats: Vec<SeatOut>,
}

/// What a user sees on entering: the room, its seats, and the chat.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct JoinedRoomOut {
    /// The room.
    pub room: RoomOut,
    /// Its seats.
    pub seats: SeatsOut,
}

/// `POST /rooms/{id}/join`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRoomIn {
    /// A private room's password.
    #[serde(default)]
    pub password: Option<String>,
}

/// A user in a room now.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomMemberOut {
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: RoomRole,
    /// Their seat, if any.
    pub seat: Option<u32>,
    /// Entered.
    pub joined_at: DateTime<Utc>,
    /// Their last socket dropped; they leave when the grace period ends.
    pub away: bool,
}

/// A page of members (`GET /rooms/{id}/members`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoomMembersOut {
    /// Users in the room now, in order of entry.
    pub members: Vec<RoomMemberOut>,
    /// Users in the room now.
    pub audience: u32,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `GET /rooms`, `GET /rooms/recommended`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RoomQuery {
    /// Part of the name (case-insensitive; `%` and `_` match themselves). `GET /rooms` only.
    #[serde(default)]
    pub q: Option<String>,
    /// Only rooms with this tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–50; default 20.
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// A page of rooms.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoomPageOut {
    /// Rooms.
    pub rooms: Vec<RoomOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// `GET /rooms/{id}/members`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–100; default 50.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// What the owner or an admin does to a seat: `POST /rooms/{id}/seats/{position}/{action}`
/// (`take` is anyone's, in `free` mode or as a manager).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatAction {
    /// Sit here (free mode; managers in any mode).
    Take,
    /// Remove the occupant (body: `reason`).
    Kick,
    /// Empty the seat and keep it empty.
    Lock,
    /// Open a locked seat.
    Unlock,
    /// Force the occupant's microphone off.
    Mute,
    /// Lift a seat mute.
    Unmute,
}

/// The body of a seat action (optional).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatActionIn {
    /// Why (kick; up to 200 characters).
    #[serde(default)]
    pub reason: Option<String>,
    /// The occupant meant (kick, lock, mute): refused with `seat_taken` when someone else
    /// sits there now, so a kick never hits a user who took the seat a moment before.
    #[serde(default)]
    pub user_id: Option<UserId>,
}

/// `POST /rooms/{id}/seats/move`: move a seated user to another seat.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveSeatIn {
    /// Who (seated now).
    pub user_id: UserId,
    /// The seat to move to (unlocked).
    pub to: u32,
    /// When the target seat is taken: swap the two users (`true`) or refuse (`false`,
    /// default: `seat_taken`).
    #[serde(default)]
    pub swap: bool,
}

/// `PUT /rooms/{id}/seats/mic`: the occupant's own microphone.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MicIn {
    /// On or off.
    pub on: bool,
}

/// `POST /rooms/{id}/applications`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyIn {
    /// The seat I would like (else any free one).
    #[serde(default)]
    pub position: Option<u32>,
}

/// `POST /rooms/{id}/invitations`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RoomInviteIn)]
pub struct InviteIn {
    /// Who (in the room now).
    pub user_id: UserId,
    /// The seat offered (else the first free one when accepted).
    #[serde(default)]
    pub position: Option<u32>,
}

/// An application or an invitation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatRequestKind {
    /// A member asks for a seat.
    Application,
    /// The owner or an admin offers one.
    Invitation,
}

/// Where an application or invitation stands (in `room.application` / `room.invitation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SeatRequestState {
    /// Waiting for an answer.
    Pending,
    /// Approved or accepted: the user is seated.
    Accepted,
    /// Rejected or declined.
    Refused,
    /// Withdrawn, or voided by a lock or the user leaving.
    Cancelled,
}

/// A pending application or invitation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct SeatRequestOut {
    /// Id.
    pub id: SeatRequestId,
    /// The room.
    pub room_id: RoomId,
    /// Application or invitation.
    pub kind: SeatRequestKind,
    /// The applicant, or the invited user.
    pub user_id: UserId,
    /// Who made it (the applicant, or the inviting manager).
    pub created_by: UserId,
    /// The seat asked for or offered.
    pub position: Option<u32>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// Void after this.
    pub expires_at: DateTime<Utc>,
}

/// Pending applications (oldest first) or invitations.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SeatRequestsOut {
    /// The list.
    pub requests: Vec<SeatRequestOut>,
}

/// `POST /rooms/{id}/kicks`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomKickIn {
    /// Who.
    pub user_id: UserId,
    /// Why (up to 200 characters).
    #[serde(default)]
    pub reason: Option<String>,
    /// How long re-entry is refused, in seconds (0–31536000); default `rooms.kick_ban_secs`.
    #[serde(default)]
    pub ban_secs: Option<u64>,
}

/// How long a room mute lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoomMuteLength {
    /// One hour.
    #[serde(rename = "1h")]
    OneHour,
    /// 24 hours.
    #[serde(rename = "24h")]
    OneDay,
    /// Until lifted.
    Permanent,
}

/// `POST /rooms/{id}/mutes`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomMuteIn {
    /// Who.
    pub user_id: UserId,
    /// `1h`, `24h` or `permanent`.
    pub length: RoomMuteLength,
}

/// `GET /rooms/{id}/members/{user_id}/status`: whether a user is kicked (barred from
/// re-entry) or muted in the room chat, and until when.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomMemberStatusOut {
    /// The room.
    pub room_id: RoomId,
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: RoomRole,
    /// In the room now.
    pub present: bool,
    /// Re-entry refused now.
    pub kicked: bool,
    /// Until when.
    pub kicked_until: Option<DateTime<Utc>>,
    /// Muted in the room chat now.
    pub muted: bool,
    /// Until when (`null` with `muted`: permanently).
    pub muted_until: Option<DateTime<Utc>>,
}

/// `POST /rooms/{id}/media-token`: a LiveKit access token for the room's audio.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MediaTokenOut {
    /// The SFU's URL (may be empty when only tokens are configured).
    pub url: String,
    /// The LiveKit room name.
    pub sfu_room: String,
    /// The JWT.
    pub token: String,
    /// May publish the microphone (holds an unmuted, unlocked seat).
    pub can_publish: bool,
    /// Void after this.
    pub expires_at: DateTime<Utc>,
}

/// A room tag (`GET /room-tags`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomTagOut {
    /// 1–32 characters.
    pub name: String,
    /// Higher first.
    pub weight: i32,
}

/// `GET /room-tags`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RoomTagsOut {
    /// Tags, highest weight first.
    pub tags: Vec<RoomTagOut>,
}

/// `PUT /admin/room-tags/{name}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomTagIn {
    /// Higher first; default 0.
    #[serde(default)]
    pub weight: Option<i32>,
}

/// Why a user left a room (`room.member_left`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// Left, or entered another room.
    Left,
    /// Their connection stayed down past the grace period.
    Disconnected,
    /// Kicked.
    Kicked,
    /// The room closed.
    Closed,
}

/// `room.member_joined` / `room.member_left`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomPresenceData {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
    /// Users in the room now.
    pub audience: u32,
    /// Why they left (`room.member_left` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LeaveReason>,
}

/// `room.seats`: the whole seat list after a committed change.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomSeatsData {
    /// Seats and version.
    #[serde(flatten)]
    pub seats: SeatsOut,
    /// Who made the change.
    pub actor_id: UserId,
    /// What happened: `take`, `leave`, `kick`, `lock`, `unlock`, `mute`, `unmute`, `mic`,
    /// `move`, `approve`, `accept`, `resize`, `disconnect`, `depart`, `close`.
    pub change: String,
    /// Why (a kick's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `room.application` / `room.invitation`: an application or invitation changed state. Sent
/// to the owner, the admins and the user it concerns.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct SeatRequestData {
    /// The request.
    pub request: SeatRequestOut,
    /// Its state now.
    pub state: SeatRequestState,
}

/// `room.kicked`: a user was removed from the room.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomKickedData {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
    /// By whom.
    pub actor_id: UserId,
    /// Why.
    pub reason: Option<String>,
    /// Re-entry refused until.
    pub until: DateTime<Utc>,
}

/// `room.muted`: a user was muted (`muted: true`) or unmuted in the room chat.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomMutedData {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
    /// Muted now.
    pub muted: bool,
    /// Until (`null` with `muted`: permanently).
    pub until: Option<DateTime<Utc>>,
}

/// `room.role`: a user became an admin or stopped being one.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomRoleData {
    /// The room.
    pub room_id: RoomId,
    /// Who.
    pub user_id: UserId,
    /// Their role now.
    pub role: RoomRole,
}

/// `room.closed`: the room closed; everyone was removed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomClosedData {
    /// The room.
    pub room_id: RoomId,
    /// By whom.
    pub actor_id: UserId,
}
