//! Routes: `/conversations…`, `/sync`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{
    ConversationOut, ConversationPatch, DirectIn, HistoryOut, HistoryQuery, MarkIn, MarksOut,
    MessageIn, MessageOut, MessagePatch, ReactionsOut, ReadersOut, SendAck, SyncOut, SyncQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::Mark;
use super::{actions, service};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The messaging routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sync))
        .routes(routes!(list_conversations))
        .routes(routes!(open_direct))
        .routes(routes!(get_conversation, update_conversation))
        .routes(routes!(clear_conversation))
        .routes(routes!(list_messages, send_message))
        .routes(routes!(mark_read))
        .routes(routes!(mark_recv))
        .routes(routes!(edit_message, recall_message))
        .routes(routes!(list_reactions))
        .routes(routes!(put_reaction, delete_reaction))
        .routes(routes!(list_readers))
}

/// What changed since my last sync: conversations with their unread counts and last
/// messages, and my total unread.
#[utoipa::path(get, path = "/sync", tag = "conversations", security(("bearer" = [])), params(SyncQuery),
    responses((status = 200, body = SyncOut), (status = 422, body = ErrorBody)))]
pub async fn sync(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<SyncQuery>,
) -> ApiResult<AppJson<SyncOut>> {
    Ok(AppJson(service::sync(&state, auth.user_id, &q).await?))
}

/// My conversations: pinned first, then by last activity (hidden ones left out).
#[utoipa::path(get, path = "/conversations", tag = "conversations", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConversationOut>)))]
pub async fn list_conversations(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<Vec<ConversationOut>>> {
    Ok(AppJson(service::list(&state, auth.user_id).await?))
}

/// Open (or find) my one-to-one chat with a user.
#[utoipa::path(post, path = "/conversations/direct", tag = "conversations", security(("bearer" = [])), request_body = DirectIn,
    responses(
        (status = 200, body = ConversationOut),
        (status = 403, description = "`not_friends` (`social.direct_policy = \"friends\"`), `blocked`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn open_direct(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<DirectIn>,
) -> ApiResult<AppJson<ConversationOut>> {
    Ok(AppJson(
        service::open_direct(&state, auth.user_id, input.user_id).await?,
    ))
}

/// One of my conversations.
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationOut), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
) -> ApiResult<AppJson<ConversationOut>> {
    Ok(AppJson(service::get(&state, auth.user_id, id).await?))
}

/// Pin, mute or hide a conversation (for me).
#[utoipa::path(patch, path = "/conversations/{id}", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")), request_body = ConversationPatch,
    responses((status = 200, body = ConversationOut), (status = 404, body = ErrorBody)))]
pub async fn update_conversation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(p): AppJson<ConversationPatch>,
) -> ApiResult<AppJson<ConversationOut>> {
    Ok(AppJson(service::patch(&state, auth.user_id, id, p).await?))
}

/// Clear the history for me (others keep theirs).
#[utoipa::path(post, path = "/conversations/{id}/clear", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationOut), (status = 404, body = ErrorBody)))]
pub async fn clear_conversation(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
) -> ApiResult<AppJson<ConversationOut>> {
    Ok(AppJson(service::clear(&state, auth.user_id, id).await?))
}

/// A page of messages by seq (inside my visibility window).
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), HistoryQuery),
    responses((status = 200, body = HistoryOut), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
    AppQuery(q): AppQuery<HistoryQuery>,
) -> ApiResult<AppJson<HistoryOut>> {
    Ok(AppJson(
        service::history(&state, auth.user_id, id, q).await?,
    ))
}

/// Send a message. Answered after it is stored; a retry with the same `client_msg_id`
/// returns the original.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")), request_body = MessageIn,
    responses(
        (status = 201, description = "Stored (or, for a retry, the original)", body = SendAck),
        (status = 403, description = "`not_member`; in a direct chat `not_friends` (`social.direct_policy = \"friends\"`) or `blocked`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate_client_msg_id`", body = ErrorBody),
        (status = 422, description = "`invalid_message`", body = ErrorBody)))]
pub async fn send_message(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(input): AppJson<MessageIn>,
) -> ApiResult<(StatusCode, AppJson<SendAck>)> {
    let ack = service::send(&state, auth.user_id, id, input).await?;
    Ok((StatusCode::CREATED, AppJson(ack)))
}

/// Mark read up to a seq (only moves forward).
#[utoipa::path(post, path = "/conversations/{id}/read", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")), request_body = MarkIn,
    responses((status = 200, body = MarksOut), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(m): AppJson<MarkIn>,
) -> ApiResult<AppJson<MarksOut>> {
    Ok(AppJson(
        service::mark(&state, auth.user_id, id, Mark::Read, m.seq).await?,
    ))
}

/// Mark received (delivered to a device) up to a seq (only moves forward).
#[utoipa::path(post, path = "/conversations/{id}/recv", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id")), request_body = MarkIn,
    responses((status = 200, body = MarksOut), (status = 404, body = ErrorBody)))]
pub async fn mark_recv(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<ConversationId>,
    AppJson(m): AppJson<MarkIn>,
) -> ApiResult<AppJson<MarksOut>> {
    Ok(AppJson(
        service::mark(&state, auth.user_id, id, Mark::Recv, m.seq).await?,
    ))
}

/// Edit my text message (within `messaging.edit_window_secs` of sending it).
#[utoipa::path(patch, path = "/conversations/{id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq")),
    request_body = MessagePatch,
    responses(
        (status = 200, description = "The edited message (also pushed as `message.edited`)", body = MessageOut),
        (status = 403, description = "`not_sender`, `edit_window_passed`, `not_member`, `blocked` (direct chat)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_editable` (not text), `message_recalled`", body = ErrorBody),
        (status = 422, description = "`invalid_message`", body = ErrorBody)))]
pub async fn edit_message(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq)): AppPath<(ConversationId, i64)>,
    AppJson(p): AppJson<MessagePatch>,
) -> ApiResult<AppJson<MessageOut>> {
    Ok(AppJson(
        actions::edit(&state, auth.user_id, id, seq, p).await?,
    ))
}

/// Recall my message (within `messaging.recall_window_secs`): its body becomes `{}` for
/// everyone. Recalling a recalled message succeeds again.
#[utoipa::path(delete, path = "/conversations/{id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq")),
    responses(
        (status = 204, description = "Recalled (pushed as `message.recalled`), or already was"),
        (status = 403, description = "`not_sender`, `recall_window_passed`, `not_member`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn recall_message(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq)): AppPath<(ConversationId, i64)>,
) -> ApiResult<StatusCode> {
    actions::recall(&state, auth.user_id, id, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The reactions to a message, per emoji.
#[utoipa::path(get, path = "/conversations/{id}/messages/{seq}/reactions", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq")),
    responses((status = 200, body = ReactionsOut), (status = 404, body = ErrorBody)))]
pub async fn list_reactions(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq)): AppPath<(ConversationId, i64)>,
) -> ApiResult<AppJson<ReactionsOut>> {
    Ok(AppJson(
        actions::reactions(&state, auth.user_id, id, seq).await?,
    ))
}

/// Set my reaction to a message (one per member: replaces my previous one).
#[utoipa::path(put, path = "/conversations/{id}/messages/{seq}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded (1–32 bytes)")),
    responses(
        (status = 200, description = "The message's reactions now (also pushed as `reaction`)", body = ReactionsOut),
        (status = 403, description = "`not_member`, `blocked` (direct chat)", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`message_recalled`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (`emoji`)", body = ErrorBody)))]
pub async fn put_reaction(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq, emoji)): AppPath<(ConversationId, i64, String)>,
) -> ApiResult<AppJson<ReactionsOut>> {
    Ok(AppJson(
        actions::react(&state, auth.user_id, id, seq, &emoji).await?,
    ))
}

/// Remove my reaction to a message, if it is this emoji (otherwise nothing changes).
#[utoipa::path(delete, path = "/conversations/{id}/messages/{seq}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded")),
    responses(
        (status = 200, description = "The message's reactions now", body = ReactionsOut),
        (status = 403, description = "`not_member`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (`emoji`)", body = ErrorBody)))]
pub async fn delete_reaction(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq, emoji)): AppPath<(ConversationId, i64, String)>,
) -> ApiResult<AppJson<ReactionsOut>> {
    Ok(AppJson(
        actions::unreact(&state, auth.user_id, id, seq, &emoji).await?,
    ))
}

/// Who has read a message: the other current members who joined before it, and which of
/// them read it ("read by N of M"). Any member who can see the message may ask.
#[utoipa::path(get, path = "/conversations/{id}/messages/{seq}/readers", tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Conversation id"), ("seq" = i64, Path, description = "Message seq")),
    responses((status = 200, body = ReadersOut), (status = 404, body = ErrorBody)))]
pub async fn list_readers(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath((id, seq)): AppPath<(ConversationId, i64)>,
) -> ApiResult<AppJson<ReadersOut>> {
    Ok(AppJson(
        actions::readers(&state, auth.user_id, id, seq).await?,
    ))
}
