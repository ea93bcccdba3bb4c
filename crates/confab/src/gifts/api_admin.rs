//! Admin routes: `/admin/gifts…` (the catalog), `/admin/wallets…` (adjustments, ledgers,
//! the reconciliation), `/admin/users/{id}/backpack` and `/vip`, `/admin/gift-sends/{id}/reverse`.

use axum::extract::State;
use axum::http::StatusCode;
use confab_proto::ErrorBody;
use confab_proto::gifts::{
    AdjustmentIn, AdminCatalogOut, BackpackOut, CreateGiftIn, GiftOut, GiftPatch, GiftSendOut,
    GrantIn, LedgerPage, PageQuery, ReconciliationOut, ReverseIn, VipIn, WalletOpOut, WalletOut,
};
use confab_proto::ids::{GiftId, GiftSendId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{backpack, catalog, records, wallet};
use crate::accounts::auth::AdminUser;
use crate::error::ApiResult;
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The admin routes of gifts and wallets.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(admin_list_gifts, admin_create_gift))
        .routes(routes!(admin_update_gift))
        .routes(routes!(admin_wallet))
        .routes(routes!(admin_wallet_ledger))
        .routes(routes!(admin_adjust_wallet))
        .routes(routes!(admin_reconcile))
        .routes(routes!(admin_grant_backpack))
        .routes(routes!(admin_set_vip))
        .routes(routes!(admin_reverse_send))
}

/// Every gift, listed or not (system administrators).
#[utoipa::path(get, path = "/admin/gifts", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AdminCatalogOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_list_gifts(
    _admin: AdminUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<AdminCatalogOut>> {
    Ok(AppJson(catalog::all(&state).await?))
}

/// Add a gift to the catalog.
#[utoipa::path(post, path = "/admin/gifts", tag = "admin", security(("bearer" = [])), request_body = CreateGiftIn,
    responses((status = 201, body = GiftOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "`not_found`: an icon or animation that is not my upload", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn admin_create_gift(
    admin: AdminUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<CreateGiftIn>,
) -> ApiResult<(StatusCode, AppJson<GiftOut>)> {
    let out = catalog::create(&state, admin.0.user_id, input).await?;
    Ok((StatusCode::CREATED, AppJson(out)))
}

/// Change a gift: price, listing, window, files, presets (past sends keep their price).
#[utoipa::path(patch, path = "/admin/gifts/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Gift id")), request_body = GiftPatch,
    responses((status = 200, body = GiftOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn admin_update_gift(
    admin: AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GiftId>,
    AppJson(patch): AppJson<GiftPatch>,
) -> ApiResult<AppJson<GiftOut>> {
    Ok(AppJson(
        catalog::update(&state, admin.0.user_id, id, patch).await?,
    ))
}

/// A user's wallet.
#[utoipa::path(get, path = "/admin/wallets/{user_id}", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")),
    responses((status = 200, body = WalletOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn admin_wallet(
    _admin: AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
) -> ApiResult<AppJson<WalletOut>> {
    Ok(AppJson(wallet::wallet_out(&state, user).await?))
}

/// A user's ledger, newest first.
#[utoipa::path(get, path = "/admin/wallets/{user_id}/ledger", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id"), PageQuery),
    responses((status = 200, body = LedgerPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, description = "`validation_failed` (limit, cursor)", body = ErrorBody)))]
pub async fn admin_wallet_ledger(
    _admin: AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppQuery(q): AppQuery<PageQuery>,
) -> ApiResult<AppJson<LedgerPage>> {
    Ok(AppJson(wallet::ledger(&state, user, q).await?))
}

/// Credit or debit a user's coins or diamonds, with a reason (audited); a debit never takes
/// a balance below zero. Idempotent by `client_key`.
#[utoipa::path(post, path = "/admin/wallets/{user_id}/adjustments", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")), request_body = AdjustmentIn,
    responses((status = 200, body = WalletOpOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`insufficient_balance`, `key_reused`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (delta, reason, client_key)", body = ErrorBody)))]
pub async fn admin_adjust_wallet(
    admin: AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppJson(input): AppJson<AdjustmentIn>,
) -> ApiResult<AppJson<WalletOpOut>> {
    Ok(AppJson(
        wallet::adjust(&state, admin.0.user_id, user, input).await?,
    ))
}

/// The books, checked: Σ wallets = Σ their ledger rows, no negative balance, and each
/// currency's ledger (platform included) sums to zero.
#[utoipa::path(get, path = "/admin/wallets/reconciliation", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ReconciliationOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn admin_reconcile(
    _admin: AdminUser,
    State(state): State<AppState>,
) -> ApiResult<AppJson<ReconciliationOut>> {
    Ok(AppJson(wallet::reconcile(&state).await?))
}

/// Grant backpack items to a user (audited); answers their backpack.
#[utoipa::path(post, path = "/admin/users/{id}/backpack", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = GrantIn,
    responses((status = 200, body = BackpackOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, description = "`validation_failed` (count, expires_at)", body = ErrorBody)))]
pub async fn admin_grant_backpack(
    admin: AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppJson(input): AppJson<GrantIn>,
) -> ApiResult<AppJson<BackpackOut>> {
    Ok(AppJson(
        backpack::grant(&state, admin.0.user_id, user, input).await?,
    ))
}

/// Set a user's VIP expiry, or end it (`until: null`); audited.
#[utoipa::path(put, path = "/admin/users/{id}/vip", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")), request_body = VipIn,
    responses((status = 200, body = WalletOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn admin_set_vip(
    admin: AdminUser,
    State(state): State<AppState>,
    AppPath(user): AppPath<UserId>,
    AppJson(input): AppJson<VipIn>,
) -> ApiResult<AppJson<WalletOut>> {
    Ok(AppJson(
        wallet::set_vip(&state, admin.0.user_id, user, input.until).await?,
    ))
}

/// Reverse a gift send: compensating ledger rows (coins or items back to the sender,
/// diamonds back from the receiver), the room's counters back; nothing is deleted.
#[utoipa::path(post, path = "/admin/gift-sends/{id}/reverse", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "Gift send id")), request_body = ReverseIn,
    responses((status = 200, body = GiftSendOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_reversed`, `insufficient_balance` (the receiver spent the diamonds)", body = ErrorBody),
        (status = 422, description = "`validation_failed` (reason)", body = ErrorBody)))]
pub async fn admin_reverse_send(
    admin: AdminUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<GiftSendId>,
    AppJson(input): AppJson<ReverseIn>,
) -> ApiResult<AppJson<GiftSendOut>> {
    Ok(AppJson(
        records::reverse(&state, admin.0.user_id, id, &input.reason).await?,
    ))
}
