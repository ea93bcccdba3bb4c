//! Routes: `/gifts…` (catalog, sends, records, leaderboards), `/wallet…` (wallet, ledger,
//! backpack, VIP, the top-up webhook). Admin routes are in `api_admin`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorBody;
use confab_proto::gifts::{
    BackpackOut, BuyVipIn, CatalogOut, LeaderboardOut, LeaderboardQuery, LedgerPage, PageQuery,
    SendGiftIn, SendGiftOut, SendsPage, TopupIn, TopupOut, WalletOpOut, WalletOut,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::sends::Side;
use super::{backpack, catalog, records, send, topups, wallet};
use crate::accounts::auth::AuthUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppQuery, json_from_bytes};
use crate::state::AppState;

/// The gifts and wallet routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_gifts))
        .routes(routes!(send_gift))
        .routes(routes!(sent_gifts))
        .routes(routes!(received_gifts))
        .routes(routes!(gift_leaderboard))
        .routes(routes!(get_wallet))
        .routes(routes!(wallet_ledger))
        .routes(routes!(wallet_backpack))
        .routes(routes!(buy_vip))
        .routes(routes!(wallet_topup))
        .merge(super::api_admin::routes())
}

/// The gifts on sale now, by weight. Answers an `ETag`; send it back in `If-None-Match` to
/// get `304 Not Modified` while the catalog is unchanged.
#[utoipa::path(get, path = "/gifts", tag = "gifts", security(("bearer" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The `ETag` of a catalog I hold")),
    responses((status = 200, body = CatalogOut, headers(("ETag" = String, description = "The catalog's version"))),
        (status = 304, description = "Unchanged since the `ETag` given"),
        (status = 401, body = ErrorBody)))]
pub async fn list_gifts(
    _auth: AuthUser,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (out, etag) = catalog::on_sale(&state).await?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag)], AppJson(out)).into_response())
}

/// Send a gift to a user in a room or a conversation, bought now or from my backpack: one
/// transaction, idempotent by `client_key` (a retry answers the first result, `replayed`).
/// The room or conversation gets `gift.sent` and a `gift` message.
#[utoipa::path(post, path = "/gifts/sends", tag = "gifts", security(("bearer" = [])), request_body = SendGiftIn,
    responses((status = 200, body = SendGiftOut),
        (status = 401, body = ErrorBody),
        (status = 403, description = "`not_member` (me, or the receiver: `field` receiver_id), `blocked`, `not_in_room`, `room_muted`, `room_all_muted`, `member_muted`, `group_all_muted`, `user_muted`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`insufficient_balance`, `insufficient_items`, `gift_unavailable`, `key_reused`, `room_closed`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (client_key, count, message, room_id), `cannot_target_self`, `content_blocked`", body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn send_gift(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<SendGiftIn>,
) -> ApiResult<AppJson<SendGiftOut>> {
    Ok(AppJson(send::send(&state, auth.user_id, input).await?))
}

/// Gifts I sent, newest first.
#[utoipa::path(get, path = "/gifts/sent", tag = "gifts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = SendsPage), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn sent_gifts(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<SendsPage>> {
    Ok(AppJson(
        records::page(&state, auth.user_id, Side::Sent, q).await?,
    ))
}

/// Gifts I received, newest first.
#[utoipa::path(get, path = "/gifts/received", tag = "gifts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = SendsPage), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn received_gifts(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<SendsPage>> {
    Ok(AppJson(
        records::page(&state, auth.user_id, Side::Received, q).await?,
    ))
}

/// A leaderboard of senders or receivers by value, for today, this week or all time,
/// global or of one room (reversed sends left out).
#[utoipa::path(get, path = "/gifts/leaderboard", tag = "gifts", security(("bearer" = [])), params(LeaderboardQuery),
    responses((status = 200, body = LeaderboardOut), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`validation_failed` (board, period, limit)", body = ErrorBody)))]
pub async fn gift_leaderboard(
    _auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<LeaderboardQuery>,
) -> ApiResult<AppJson<LeaderboardOut>> {
    Ok(AppJson(records::leaderboard(&state, q).await?))
}

/// My wallet: coins, diamonds, lifetime spend, level, VIP.
#[utoipa::path(get, path = "/wallet", tag = "wallet", security(("bearer" = [])),
    responses((status = 200, body = WalletOut), (status = 401, body = ErrorBody)))]
pub async fn get_wallet(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<WalletOut>> {
    Ok(AppJson(wallet::wallet_out(&state, auth.user_id).await?))
}

/// My ledger: every change of my balances, newest first.
#[utoipa::path(get, path = "/wallet/ledger", tag = "wallet", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = LedgerPage), (status = 401, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn wallet_ledger(
    auth: AuthUser,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<LedgerPage>> {
    Ok(AppJson(wallet::ledger(&state, auth.user_id, q).await?))
}

/// My backpack: spendable items, soonest-expiring first.
#[utoipa::path(get, path = "/wallet/backpack", tag = "wallet", security(("bearer" = [])),
    responses((status = 200, body = BackpackOut), (status = 401, body = ErrorBody)))]
pub async fn wallet_backpack(
    auth: AuthUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<BackpackOut>> {
    Ok(AppJson(backpack::list(&state, auth.user_id).await?))
}

/// Buy VIP with coins (`gifts.vip_price_coins` per `gifts.vip_days`), extending any VIP I
/// have; idempotent by `client_key`.
#[utoipa::path(post, path = "/wallet/vip", tag = "wallet", security(("bearer" = [])), request_body = BuyVipIn,
    responses((status = 200, body = WalletOpOut), (status = 401, body = ErrorBody),
        (status = 409, description = "`insufficient_balance`, `key_reused`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (periods, client_key)", body = ErrorBody)))]
pub async fn buy_vip(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<BuyVipIn>,
) -> ApiResult<AppJson<WalletOpOut>> {
    Ok(AppJson(wallet::buy_vip(&state, auth.user_id, input).await?))
}

/// The payment provider's notice of a paid order (no bearer token: the request is signed).
/// Headers: `Confab-Timestamp` (Unix seconds) and `Confab-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of `"{timestamp}.{raw body}"` with `gifts.topup_secret`. An order credits
/// once: a replay answers `credited: false`.
#[utoipa::path(post, path = "/wallet/topups", tag = "wallet", request_body = TopupIn,
    params(("Confab-Timestamp" = String, Header, description = "Unix seconds when signed"),
        ("Confab-Signature" = String, Header, description = "`sha256=` and the hex HMAC")),
    responses((status = 200, body = TopupOut),
        (status = 401, description = "`topup_signature_invalid`: unsigned, wrong or stale", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`key_reused`: the order id was credited with other content", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 503, description = "`topups_unavailable`", body = ErrorBody)))]
pub async fn wallet_topup(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<AppJson<TopupOut>> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    topups::verify(
        &state,
        h(topups::TIMESTAMP_HEADER),
        h(topups::SIGNATURE_HEADER),
        &body,
    )?;
    let input: TopupIn = json_from_bytes(&body)?;
    Ok(AppJson(topups::credit(&state, input).await?))
}
