//! Gifts, wallets and their admin API over REST.

use confab_proto::gifts::{
    AdjustmentIn, AdminCatalogOut, BackpackOut, BuyVipIn, CatalogOut, CreateGiftIn, GiftOut,
    GiftPatch, GiftSendOut, GrantIn, LeaderboardOut, LedgerPage, ReconciliationOut, ReverseIn,
    SendGiftIn, SendGiftOut, SendsPage, TopupIn, TopupOut, VipIn, WalletOpOut, WalletOut,
};
use confab_proto::ids::{GiftId, GiftSendId, RoomId, UserId};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};

use crate::{Client, Result, decode};

/// `GET /gifts` with an ETag: the catalog, or `NotModified` when `If-None-Match` matched.
#[derive(Clone, Debug)]
pub enum CatalogAnswer {
    /// 200: the catalog and its ETag.
    Fresh {
        /// The listed gifts.
        catalog: CatalogOut,
        /// The `ETag` header, to send back as `If-None-Match`.
        etag: Option<String>,
    },
    /// 304: the cached copy is current.
    NotModified,
}

fn page_query(cursor: Option<&str>, limit: Option<u32>) -> (Option<String>, Option<String>) {
    (cursor.map(str::to_owned), limit.map(|l| l.to_string()))
}

impl Client {
    /// `GET /api/v1/gifts`, sending `If-None-Match` when `etag` is given.
    pub async fn gift_catalog(&self, etag: Option<&str>) -> Result<CatalogAnswer> {
        let mut req = self.http().get(self.url("/api/v1/gifts")?);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        if let Some(e) = etag {
            req = req.header(IF_NONE_MATCH, e);
        }
        let resp = req.send().await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(CatalogAnswer::NotModified);
        }
        let etag = resp
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let catalog = decode(resp).await?;
        Ok(CatalogAnswer::Fresh { catalog, etag })
    }

    /// `POST /api/v1/gifts/sends`.
    pub async fn send_gift(&self, input: &SendGiftIn) -> Result<SendGiftOut> {
        self.call(Method::POST, "/api/v1/gifts/sends", Some(input))
            .await
    }

    /// `GET /api/v1/gifts/sent` (newest first).
    pub async fn gifts_sent(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<SendsPage> {
        let (c, l) = page_query(cursor, limit);
        self.get_query(
            "/api/v1/gifts/sent",
            &[("cursor", c.as_deref()), ("limit", l.as_deref())],
        )
        .await
    }

    /// `GET /api/v1/gifts/received` (newest first).
    pub async fn gifts_received(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<SendsPage> {
        let (c, l) = page_query(cursor, limit);
        self.get_query(
            "/api/v1/gifts/received",
            &[("cursor", c.as_deref()), ("limit", l.as_deref())],
        )
        .await
    }

    /// `GET /api/v1/gifts/leaderboard?board=&period=[&room_id=]`; `board` is `senders` or
    /// `receivers`, `period` `day`, `week` or `all`.
    pub async fn gift_leaderboard(
        &self,
        board: &str,
        period: &str,
        room: Option<RoomId>,
    ) -> Result<LeaderboardOut> {
        let room = room.map(|r| r.to_string());
        self.get_query(
            "/api/v1/gifts/leaderboard",
            &[
                ("board", Some(board)),
                ("period", Some(period)),
                ("room_id", room.as_deref()),
            ],
        )
        .await
    }

    /// `GET /api/v1/wallet`.
    pub async fn wallet(&self) -> Result<WalletOut> {
        self.call::<(), _>(Method::GET, "/api/v1/wallet", None)
            .await
    }

    /// `GET /api/v1/wallet/ledger` (newest first).
    pub async fn wallet_ledger(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        let (c, l) = page_query(cursor, limit);
        self.get_query(
            "/api/v1/wallet/ledger",
            &[("cursor", c.as_deref()), ("limit", l.as_deref())],
        )
        .await
    }

    /// `GET /api/v1/wallet/backpack`.
    pub async fn backpack(&self) -> Result<BackpackOut> {
        self.call::<(), _>(Method::GET, "/api/v1/wallet/backpack", None)
            .await
    }

    /// `POST /api/v1/wallet/vip`.
    pub async fn buy_vip(&self, input: &BuyVipIn) -> Result<WalletOpOut> {
        self.call(Method::POST, "/api/v1/wallet/vip", Some(input))
            .await
    }

    /// `POST /api/v1/wallet/topups` with the provider's headers; `body` is sent as is, so a
    /// test can sign exactly these bytes.
    pub async fn topup_raw(
        &self,
        body: &[u8],
        timestamp: Option<&str>,
        signature: Option<&str>,
    ) -> Result<TopupOut> {
        let mut req = self
            .http()
            .post(self.url("/api/v1/wallet/topups")?)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(t) = timestamp {
            req = req.header("Confab-Timestamp", t);
        }
        if let Some(s) = signature {
            req = req.header("Confab-Signature", s);
        }
        decode(req.send().await?).await
    }

    /// `POST /api/v1/wallet/topups`, the body serialized from `input`.
    pub async fn topup(
        &self,
        input: &TopupIn,
        timestamp: Option<&str>,
        signature: Option<&str>,
    ) -> Result<TopupOut> {
        let body = serde_json::to_vec(input).map_err(|e| crate::ClientError::Unexpected {
            status: 0,
            detail: e.to_string(),
        })?;
        self.topup_raw(&body, timestamp, signature).await
    }

    /// `GET /api/v1/admin/gifts` (listed and unlisted).
    pub async fn admin_gifts(&self) -> Result<AdminCatalogOut> {
        self.call::<(), _>(Method::GET, "/api/v1/admin/gifts", None)
            .await
    }

    /// `POST /api/v1/admin/gifts`.
    pub async fn admin_create_gift(&self, input: &CreateGiftIn) -> Result<GiftOut> {
        self.call(Method::POST, "/api/v1/admin/gifts", Some(input))
            .await
    }

    /// `PATCH /api/v1/admin/gifts/{id}`.
    pub async fn admin_update_gift(&self, id: GiftId, patch: &GiftPatch) -> Result<GiftOut> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/admin/gifts/{id}"),
            Some(patch),
        )
        .await
    }

    /// `GET /api/v1/admin/wallets/{user_id}`.
    pub async fn admin_wallet(&self, user: UserId) -> Result<WalletOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/admin/wallets/{user}"), None)
            .await
    }

    /// `GET /api/v1/admin/wallets/{user_id}/ledger`.
    pub async fn admin_wallet_ledger(
        &self,
        user: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LedgerPage> {
        let (c, l) = page_query(cursor, limit);
        self.get_query(
            &format!("/api/v1/admin/wallets/{user}/ledger"),
            &[("cursor", c.as_deref()), ("limit", l.as_deref())],
        )
        .await
    }

    /// `POST /api/v1/admin/wallets/{user_id}/adjustments`: credit or debit.
    pub async fn admin_adjust(&self, user: UserId, input: &AdjustmentIn) -> Result<WalletOpOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/admin/wallets/{user}/adjustments"),
            Some(input),
        )
        .await
    }

    /// `GET /api/v1/admin/wallets/reconciliation`.
    pub async fn admin_reconciliation(&self) -> Result<ReconciliationOut> {
        self.call::<(), _>(Method::GET, "/api/v1/admin/wallets/reconciliation", None)
            .await
    }

    /// `POST /api/v1/admin/users/{id}/backpack`: grant items.
    pub async fn admin_grant(&self, user: UserId, input: &GrantIn) -> Result<BackpackOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/admin/users/{user}/backpack"),
            Some(input),
        )
        .await
    }

    /// `PUT /api/v1/admin/users/{id}/vip`: set or clear VIP.
    pub async fn admin_set_vip(&self, user: UserId, input: &VipIn) -> Result<WalletOut> {
        self.call(
            Method::PUT,
            &format!("/api/v1/admin/users/{user}/vip"),
            Some(input),
        )
        .await
    }

    /// `POST /api/v1/admin/gift-sends/{id}/reverse`.
    pub async fn admin_reverse_send(&self, id: GiftSendId, reason: &str) -> Result<GiftSendOut> {
        let body = ReverseIn {
            reason: reason.to_owned(),
        };
        self.call(
            Method::POST,
            &format!("/api/v1/admin/gift-sends/{id}/reverse"),
            Some(&body),
        )
        .await
    }
}
