//! Routes: `/reports`, `/admin/…`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::admin::{
    AdminReportOut, AuditPage, DismissIn, MessageTrailOut, NoticeIn, NoticeOut, PageQuery,
    ReportIn, ReportOut, ReportPage, SensitiveWordIn, SensitiveWordOut, SensitiveWordsOut,
    StatsOut, UpholdIn, UserAdminOut, UserMuteIn,
};
use confab_proto::ids::{MessageId, ReportId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{reports, service};
use crate::accounts::auth::{AdminUser, AuthUser};
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The admin and report routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_report))
        .routes(routes!(list_reports))
        .routes(routes!(uphold_report))
        .routes(routes!(dismiss_report))
        .routes(routes!(list_sensitive_words, add_sensitive_word))
        .routes(routes!(remove_sensitive_word))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(mute_user, unmute_user))
        .routes(routes!(send_notice))
        .routes(routes!(get_stats))
        .routes(routes!(list_audit))
        .routes(routes!(get_message_trail))
        .merge(super::invites::routes())
}

/// Report a message, a user or a group to the moderators. Filing again while my report on
/// the same target is open returns that report (200) instead of a new one (201).
#[utoipa::path(post, path = "/reports", tag = "reports", security(("bearer" = [])), request_body = ReportIn,
    responses((status = 201, body = ReportOut), (status = 200, description = "My open report on this target", body = ReportOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: nothing I can see by that id", body = ErrorBody),
        (status = 409, description = "`message_recalled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `cannot_target_self`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: `moderation.reports_per_day` used up", body = ErrorBody)))]
pub async fn file_report(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<ReportIn>,
) -> ApiResult<(StatusCode, AppJson<ReportOut>)> {
    let (out, created) = reports::file(&state, auth.user_id, input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(out)))
}

/// Open reports, oldest first, with the reported content as it was (system administrators).
#[utoipa::path(get, path = "/admin/reports", tag = "admin", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = ReportPage),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_reports(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<ReportPage>> {
    Ok(AppJson(reports::list_open(&state, q).await?))
}

/// Uphold a report and act on it: recall the message, mute or disable the user, dissolve
/// the group (system administrators).
#[utoipa::path(post, path = "/admin/reports/{id}/uphold", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = UpholdIn,
    responses((status = 200, body = AdminReportOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`report_closed`: already decided", body = ErrorBody),
        (status = 422, description = "`action_not_applicable`, `cannot_target_self`, `validation_failed`", body = ErrorBody)))]
pub async fn uphold_report(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ReportId>,
    AppJson(input): AppJson<UpholdIn>,
) -> ApiResult<AppJson<AdminReportOut>> {
    Ok(AppJson(
        reports::uphold(&state, admin.user_id, id, input).await?,
    ))
}

/// Dismiss a report (system administrators).
#[utoipa::path(post, path = "/admin/reports/{id}/dismiss", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = DismissIn,
    responses((status = 200, body = AdminReportOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`report_closed`: already decided", body = ErrorBody)))]
pub async fn dismiss_report(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ReportId>,
    AppJson(input): AppJson<DismissIn>,
) -> ApiResult<AppJson<AdminReportOut>> {
    Ok(AppJson(
        reports::dismiss(&state, admin.user_id, id, input).await?,
    ))
}

/// The admin-managed sensitive words (system administrators).
#[utoipa::path(get, path = "/admin/sensitive-words", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SensitiveWordsOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody)))]
pub async fn list_sensitive_words(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<SensitiveWordsOut>> {
    Ok(AppJson(service::list_words(&state).await?))
}

/// Add a sensitive word; every node rebuilds its filter without a restart (system
/// administrators).
#[utoipa::path(post, path = "/admin/sensitive-words", tag = "admin", security(("bearer" = [])),
    request_body = SensitiveWordIn,
    responses((status = 201, body = SensitiveWordOut), (status = 200, description = "Already there", body = SensitiveWordOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`: empty or too long once normalised", body = ErrorBody)))]
pub async fn add_sensitive_word(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<SensitiveWordIn>,
) -> ApiResult<(StatusCode, AppJson<SensitiveWordOut>)> {
    let out = service::add_word(&state, admin.user_id, &input.word).await?;
    let status = if out.added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, AppJson(out)))
}

/// Remove a sensitive word (any spelling of it); every node rebuilds its filter (system
/// administrators).
#[utoipa::path(delete, path = "/admin/sensitive-words/{word}", tag = "admin", security(("bearer" = [])),
    params(("word" = String, Path, description = "The word (percent-encoded)")),
    responses((status = 204),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`: not an admin-managed word", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn remove_sensitive_word(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(word): AppPath<String>,
) -> ApiResult<StatusCode> {
    service::remove_word(&state, admin.user_id, &word).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable a user: sign-in refused, every session revoked and its sockets closed at once on
/// every node (system administrators).
#[utoipa::path(post, path = "/admin/users/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserAdminOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`cannot_target_self`", body = ErrorBody)))]
pub async fn disable_user(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<UserId>,
) -> ApiResult<AppJson<UserAdminOut>> {
    Ok(AppJson(
        service::disable_user(&state, admin.user_id, id, serde_json::json!({})).await?,
    ))
}

/// Re-enable a disabled user (system administrators).
#[utoipa::path(post, path = "/admin/users/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserAdminOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody)))]
pub async fn enable_user(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<UserId>,
) -> ApiResult<AppJson<UserAdminOut>> {
    Ok(AppJson(
        service::enable_user(&state, admin.user_id, id).await?,
    ))
}

/// Mute a user site-wide, until a time or permanently: every send is refused with
/// `user_muted` (system administrators).
#[utoipa::path(post, path = "/admin/users/{id}/mute", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = UserMuteIn,
    responses((status = 200, body = UserAdminOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (until not in the future), `cannot_target_self`", body = ErrorBody)))]
pub async fn mute_user(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<UserId>,
    AppJson(input): AppJson<UserMuteIn>,
) -> ApiResult<AppJson<UserAdminOut>> {
    Ok(AppJson(
        service::mute_user(&state, admin.user_id, id, input.until, None).await?,
    ))
}

/// Lift a user's site-wide mute (system administrators).
#[utoipa::path(delete, path = "/admin/users/{id}/mute", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserAdminOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`: not muted", body = ErrorBody)))]
pub async fn unmute_user(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<UserId>,
) -> ApiResult<AppJson<UserAdminOut>> {
    Ok(AppJson(
        service::unmute_user(&state, admin.user_id, id).await?,
    ))
}

/// Send a system notice to every connected socket on every node (`notice` event; system
/// administrators).
#[utoipa::path(post, path = "/admin/notices", tag = "admin", security(("bearer" = [])), request_body = NoticeIn,
    responses((status = 201, body = NoticeOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 503, description = "`service_unavailable`: the event bus is down", body = ErrorBody)))]
pub async fn send_notice(
    AdminUser(admin): AdminUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<NoticeIn>,
) -> ApiResult<(StatusCode, AppJson<NoticeOut>)> {
    let out = service::send_notice(&state, admin.user_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Server statistics: users, groups, sockets online across the cluster, messages today
/// (system administrators).
#[utoipa::path(get, path = "/admin/stats", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = StatsOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody)))]
pub async fn get_stats(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<StatsOut>> {
    Ok(AppJson(service::stats(&state).await?))
}

/// The audit log of administrator actions, newest first (system administrators).
#[utoipa::path(get, path = "/admin/audit", tag = "admin", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = AuditPage),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_audit(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<AuditPage>> {
    Ok(AppJson(service::list_audit(&state, q).await?))
}

/// What happened to one message: when it committed and, for each node, when it was pushed
/// and to how many sockets (kept `telemetry.trail_secs`; system administrators).
#[utoipa::path(get, path = "/admin/messages/{id}/trail", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Message id")),
    responses((status = 200, body = MessageTrailOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a system administrator", body = ErrorBody),
        (status = 404, description = "`not_found`: no message with that id", body = ErrorBody),
        (status = 400, description = "`bad_request`: not an id", body = ErrorBody)))]
pub async fn get_message_trail(
    AdminUser(_admin): AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<MessageId>,
) -> ApiResult<AppJson<MessageTrailOut>> {
    Ok(AppJson(service::message_trail(&state, id).await?))
}
