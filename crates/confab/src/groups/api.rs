//! Routes: `/groups…` and `/invites/{token}/accept`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::groups::{
    BanIn, BanOut, GroupIn, GroupOut, GroupPage, GroupPatch, GroupQuery, InviteIn, InviteOut,
    JoinIn, JoinOut, JoinRequestOut, KickQuery, MemberOut, MemberPage, MemberPatch, MemberQuery,
    MembersIn, MuteAllIn, TransferIn,
};
use confab_proto::ids::{ConversationId, GroupId, JoinRequestId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{bans, invites, members, roles, service};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery, OptionalJson};
use crate::state::AppState;

/// The groups routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_group, search_groups))
        .routes(routes!(get_group, update_group, dissolve_group))
        .routes(routes!(get_group_by_conversation))
        .routes(routes!(list_members, add_members))
        .routes(routes!(update_member, kick_member))
        .routes(routes!(join_group))
        .routes(routes!(leave_group))
        .routes(routes!(transfer_group))
        .routes(routes!(mute_all))
        .routes(routes!(list_invites, create_invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(accept_invite))
        .routes(routes!(list_join_requests))
        .routes(routes!(approve_join_request))
        .routes(routes!(decline_join_request))
        .routes(routes!(list_bans))
        .routes(routes!(ban_user, unban_user))
}

/// Create a group: I own it; `member_ids` (my friends) join at once.
#[utoipa::path(post, path = "/groups", tag = "groups", security(("bearer" = [])), request_body = GroupIn,
    responses(
        (status = 201, body = GroupOut),
        (status = 403, description = "`invitee_not_friend`", body = ErrorBody),
        (status = 404, description = "a `member_ids` user does not exist", body = ErrorBody),
        (status = 409, description = "`group_full` (more initial members than the limit)", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `content_blocked`", body = ErrorBody)))]
pub async fn create_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<GroupIn>,
) -> ApiResult<(StatusCode, AppJson<GroupOut>)> {
    let g = service::create(&state, auth.user_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(g)))
}

/// Search public groups by name (case-insensitive substring), newest first.
#[utoipa::path(get, path = "/groups", tag = "groups", security(("bearer" = [])), params(GroupQuery),
    responses((status = 200, body = GroupPage), (status = 422, body = ErrorBody)))]
pub async fn search_groups(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<GroupQuery>,
) -> ApiResult<AppJson<GroupPage>> {
    Ok(AppJson(service::search(&state, auth.user_id, q).await?))
}

/// A group: public ones for everyone signed in, private ones for their members.
#[utoipa::path(get, path = "/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, body = GroupOut), (status = 404, body = ErrorBody)))]
pub async fn get_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(service::get(&state, auth.user_id, id).await?))
}

/// The group a conversation belongs to (a client's chat list names group chats with it):
/// public groups for everyone signed in, private ones for their members.
#[utoipa::path(get, path = "/groups/by-conversation/{conversation_id}", tag = "groups",
    security(("bearer" = [])),
    params(("conversation_id" = String, Path, description = "The group's conversation id")),
    responses((status = 200, body = GroupOut), (status = 404, body = ErrorBody)))]
pub async fn get_group_by_conversation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(conv): AppPath<ConversationId>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(
        service::get_by_conversation(&state, auth.user_id, conv).await?,
    ))
}

/// Edit the group's name, avatar, description, announcement or settings (owner or admin).
#[utoipa::path(patch, path = "/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = GroupPatch,
    responses(
        (status = 200, description = "The group (the change is a system message and `group.updated`)", body = GroupOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `content_blocked`", body = ErrorBody)))]
pub async fn update_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    AppJson(p): AppJson<GroupPatch>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(service::patch(&state, auth.user_id, id, p).await?))
}

/// Dissolve the group (owner only): nothing more can be sent or changed; members keep
/// reading its history.
#[utoipa::path(delete, path = "/groups/{id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 204, description = "Dissolved (`group.dissolved`)"),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody)))]
pub async fn dissolve_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<StatusCode> {
    service::dissolve(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The members, by user id (members only).
#[utoipa::path(get, path = "/groups/{id}/members", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), MemberQuery),
    responses(
        (status = 200, body = MemberPage),
        (status = 403, description = "`not_group_member`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_members(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    AppQuery(q): AppQuery<MemberQuery>,
) -> ApiResult<AppJson<MemberPage>> {
    Ok(AppJson(members::list(&state, auth.user_id, id, q).await?))
}

/// Add my friends to the group (owner or admin; members too when `member_invite` is on).
#[utoipa::path(post, path = "/groups/{id}/members", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = MembersIn,
    responses(
        (status = 200, description = "The added members", body = Vec<MemberOut>),
        (status = 403, description = "`not_group_member`, `group_role_required`, `invitee_not_friend`, `banned_from_group`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_member`, `group_full`, `group_dissolved`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_members(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    AppJson(input): AppJson<MembersIn>,
) -> ApiResult<AppJson<Vec<MemberOut>>> {
    Ok(AppJson(
        members::add(&state, auth.user_id, id, input).await?,
    ))
}

/// Change a member: `role` (owner only), `mute` / `mute_until` (owner or admin, over a
/// lower role), `nickname` (only my own).
#[utoipa::path(patch, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("user_id" = String, Path, description = "Member")),
    request_body = MemberPatch,
    responses(
        (status = 200, body = MemberOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `content_blocked`", body = ErrorBody)))]
pub async fn update_member(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(GroupId, UserId)>,
    AppJson(p): AppJson<MemberPatch>,
) -> ApiResult<AppJson<MemberOut>> {
    Ok(AppJson(
        roles::patch(&state, auth.user_id, id, user, p).await?,
    ))
}

/// Kick a member (owner or admin, over a lower role), optionally banning them.
#[utoipa::path(delete, path = "/groups/{id}/members/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("user_id" = String, Path, description = "Member"), KickQuery),
    responses(
        (status = 204, description = "Kicked (`group.member_kicked`); they see nothing after it"),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn kick_member(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(GroupId, UserId)>,
    AppQuery(q): AppQuery<KickQuery>,
) -> ApiResult<StatusCode> {
    bans::kick(&state, auth.user_id, id, user, q).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join a public group: at once when it is open (200, the group), by a join request when
/// it needs approval (202, the request). The body is optional.
#[utoipa::path(post, path = "/groups/{id}/join", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = JoinIn,
    responses(
        (status = 200, description = "Joined", body = GroupOut),
        (status = 202, description = "Asked to join", body = JoinRequestOut),
        (status = 403, description = "`banned_from_group`", body = ErrorBody),
        (status = 404, description = "no such group (private groups are joined by invite)", body = ErrorBody),
        (status = 409, description = "`already_member`, `group_full`, `join_request_pending`, `group_dissolved`", body = ErrorBody)))]
pub async fn join_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    OptionalJson(input): OptionalJson<JoinIn>,
) -> ApiResult<(StatusCode, AppJson<JoinOut>)> {
    let out = members::join(&state, auth.user_id, id, input).await?;
    Ok((invites::join_status(&out), AppJson(out)))
}

/// Leave the group (the owner must transfer it first).
#[utoipa::path(post, path = "/groups/{id}/leave", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 204, description = "Left (`group.member_left`); nothing after it reaches me"),
        (status = 403, description = "`not_group_member`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`owner_must_transfer`, `group_dissolved`", body = ErrorBody)))]
pub async fn leave_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<StatusCode> {
    members::leave(&state, auth.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Transfer ownership to another member (owner only); I become an admin.
#[utoipa::path(post, path = "/groups/{id}/transfer", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = TransferIn,
    responses(
        (status = 200, body = GroupOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn transfer_group(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    AppJson(input): AppJson<TransferIn>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(
        roles::transfer(&state, auth.user_id, id, input).await?,
    ))
}

/// Mute or unmute the whole group (owner or admin): while muted only the owner and admins
/// may send.
#[utoipa::path(put, path = "/groups/{id}/mute-all", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = MuteAllIn,
    responses(
        (status = 200, body = GroupOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody)))]
pub async fn mute_all(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    AppJson(input): AppJson<MuteAllIn>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(
        roles::mute_all(&state, auth.user_id, id, input).await?,
    ))
}

/// The group's invites, with who made them and how often they were used (owner or admin).
#[utoipa::path(get, path = "/groups/{id}/invites", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, body = Vec<InviteOut>),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_invites(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<AppJson<Vec<InviteOut>>> {
    Ok(AppJson(invites::list(&state, auth.user_id, id).await?))
}

/// Make an invite token (owner or admin): optional expiry and use limit. The body is
/// optional.
#[utoipa::path(post, path = "/groups/{id}/invites", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")), request_body = InviteIn,
    responses(
        (status = 201, body = InviteOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_invite(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
    OptionalJson(input): OptionalJson<InviteIn>,
) -> ApiResult<(StatusCode, AppJson<InviteOut>)> {
    let i = invites::create(&state, auth.user_id, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(i)))
}

/// Revoke an invite token (owner or admin).
#[utoipa::path(delete, path = "/groups/{id}/invites/{token}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("token" = String, Path, description = "Invite token")),
    responses(
        (status = 204, description = "Revoked (or already was)"),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn revoke_invite(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, token)): AppPath<(GroupId, String)>,
) -> ApiResult<StatusCode> {
    invites::revoke(&state, auth.user_id, id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join a group with an invite token (private or public; bans and the limit still apply).
#[utoipa::path(post, path = "/invites/{token}/accept", tag = "groups", security(("bearer" = [])),
    params(("token" = String, Path, description = "Invite token")),
    responses(
        (status = 200, description = "Joined", body = GroupOut),
        (status = 403, description = "`banned_from_group`", body = ErrorBody),
        (status = 404, description = "`invite_invalid`", body = ErrorBody),
        (status = 409, description = "`already_member`, `group_full`, `group_dissolved`", body = ErrorBody)))]
pub async fn accept_invite(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(token): AppPath<String>,
) -> ApiResult<AppJson<GroupOut>> {
    Ok(AppJson(
        invites::accept(&state, auth.user_id, &token).await?,
    ))
}

/// Pending join requests, oldest first (owner or admin).
#[utoipa::path(get, path = "/groups/{id}/join-requests", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, body = Vec<JoinRequestOut>),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_join_requests(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<AppJson<Vec<JoinRequestOut>>> {
    Ok(AppJson(invites::requests(&state, auth.user_id, id).await?))
}

/// Approve a join request (owner or admin): the user joins.
#[utoipa::path(post, path = "/groups/{id}/join-requests/{request_id}/approve", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("request_id" = String, Path, description = "Join request")),
    responses(
        (status = 200, body = JoinRequestOut),
        (status = 403, description = "`not_group_member`, `group_role_required`, `banned_from_group`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict` (already decided), `group_full`, `already_member`, `group_dissolved`", body = ErrorBody)))]
pub async fn approve_join_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, request)): AppPath<(GroupId, JoinRequestId)>,
) -> ApiResult<AppJson<JoinRequestOut>> {
    Ok(AppJson(
        invites::decide(&state, auth.user_id, id, request, true).await?,
    ))
}

/// Decline a join request (owner or admin).
#[utoipa::path(post, path = "/groups/{id}/join-requests/{request_id}/decline", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("request_id" = String, Path, description = "Join request")),
    responses(
        (status = 200, body = JoinRequestOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`conflict` (already decided), `group_dissolved`", body = ErrorBody)))]
pub async fn decline_join_request(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, request)): AppPath<(GroupId, JoinRequestId)>,
) -> ApiResult<AppJson<JoinRequestOut>> {
    Ok(AppJson(
        invites::decide(&state, auth.user_id, id, request, false).await?,
    ))
}

/// The bans in force (owner or admin).
#[utoipa::path(get, path = "/groups/{id}/bans", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses(
        (status = 200, body = Vec<BanOut>),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn list_bans(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GroupId>,
) -> ApiResult<AppJson<Vec<BanOut>>> {
    Ok(AppJson(bans::bans(&state, auth.user_id, id).await?))
}

/// Ban a user until a time or permanently (owner or admin); a member is kicked with it.
/// The body is optional.
#[utoipa::path(put, path = "/groups/{id}/bans/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("user_id" = String, Path, description = "User")),
    request_body = BanIn,
    responses(
        (status = 200, body = BanOut),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn ban_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(GroupId, UserId)>,
    OptionalJson(input): OptionalJson<BanIn>,
) -> ApiResult<AppJson<BanOut>> {
    Ok(AppJson(
        bans::ban(&state, auth.user_id, id, user, input).await?,
    ))
}

/// Lift a ban (owner or admin).
#[utoipa::path(delete, path = "/groups/{id}/bans/{user_id}", tag = "groups", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), ("user_id" = String, Path, description = "User")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 403, description = "`not_group_member`, `group_role_required`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`group_dissolved`", body = ErrorBody)))]
pub async fn unban_user(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, user)): AppPath<(GroupId, UserId)>,
) -> ApiResult<StatusCode> {
    bans::unban(&state, auth.user_id, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}
