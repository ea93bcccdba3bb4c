//! Gifts and wallets (issue 14): sends in rooms and chats, idempotency, refusals, top-ups,
//! reversals, conservation of money across two nodes, and a crash during sends.

mod conservation;
mod crash;
mod flows;
mod idempotency;
mod refusals;
mod reversal;
mod topups;

use std::time::Duration;

use confab_client::ClientError;
use confab_proto::gifts::{
    AdjustmentIn, CreateGiftIn, Currency, GiftOut, GiftSource, SendGiftIn, SendGiftOut,
};
use confab_proto::ids::{ConversationId, RoomId, UserId};
use confab_proto::rooms::{RoomOut, SeatMode};

use crate::harness::*;

/// How long an expected event may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// (status, code) of a failed call.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// A node (whose payment provider signs with [`TOPUP_SECRET`], as on every test node).
pub async fn node(backend: Backend) -> TestApp {
    TestApp::spawn(backend).await
}

/// A new gift's body: `name` at `price` coins, everything else by default.
pub fn gift_in(name: &str, price: i64) -> CreateGiftIn {
    CreateGiftIn {
        name: name.into(),
        price,
        kind: None,
        hot: None,
        listed: None,
        weight: None,
        icon: None,
        animation: None,
        presets: None,
        starts_at: None,
        ends_at: None,
    }
}

/// A listed gift at `price` coins, made by `admin`.
pub async fn gift(admin: &TestUser, name: &str, price: i64) -> GiftOut {
    admin
        .client
        .admin_create_gift(&gift_in(name, price))
        .await
        .unwrap()
}

/// Credits `coins` to `user` by an admin adjustment.
pub async fn credit(admin: &TestUser, user: UserId, coins: i64) {
    admin
        .client
        .admin_adjust(
            user,
            &AdjustmentIn {
                currency: Currency::Coins,
                delta: coins,
                reason: "test credit".into(),
                client_key: None,
            },
        )
        .await
        .unwrap();
}

/// A purchase send body into a conversation.
pub fn in_chat(key: &str, gift: &GiftOut, count: u32, to: UserId, c: ConversationId) -> SendGiftIn {
    SendGiftIn {
        client_key: key.into(),
        gift_id: gift.id,
        count,
        receiver_id: to,
        room_id: None,
        conversation_id: Some(c),
        source: GiftSource::Purchase,
        message: None,
    }
}

/// A purchase send body into a room.
pub fn in_room(key: &str, gift: &GiftOut, count: u32, to: UserId, r: RoomId) -> SendGiftIn {
    SendGiftIn {
        room_id: Some(r),
        conversation_id: None,
        ..in_chat(key, gift, count, to, ConversationId(0))
    }
}

/// `a` and `b` as friends and their direct chat.
pub async fn chat(app: &TestApp, a: &TestUser, b: &TestUser) -> ConversationId {
    app.befriend(a, b).await;
    a.client.open_direct(b.id()).await.unwrap().id
}

/// `owner`'s open room, with every user of `others` in it.
pub async fn room_with(owner: &TestUser, others: &[&TestUser]) -> RoomOut {
    let room = crate::rooms::room(owner, "gift room", 8, SeatMode::Free).await;
    owner.client.join_room(room.id, None).await.unwrap();
    for u in others {
        u.client.join_room(room.id, None).await.unwrap();
    }
    room
}

/// Sends and returns the answer, panicking with the error.
pub async fn send(u: &TestUser, input: &SendGiftIn) -> SendGiftOut {
    u.client.send_gift(input).await.unwrap()
}

/// The admin's reconciliation must balance.
pub async fn assert_balanced(admin: &TestUser) {
    let r = admin.client.admin_reconciliation().await.unwrap();
    assert!(r.balanced, "the books do not balance: {r:?}");
    assert!(r.mismatched.is_empty(), "{r:?}");
    assert_eq!(r.coins.balances, r.coins.user_ledger, "{r:?}");
    assert_eq!(r.coins.user_ledger + r.coins.platform_ledger, 0, "{r:?}");
    assert_eq!(r.diamonds.balances, r.diamonds.user_ledger, "{r:?}");
    assert_eq!(
        r.diamonds.user_ledger + r.diamonds.platform_ledger,
        0,
        "{r:?}"
    );
}

/// `u`'s client signed in again (after the clock moved past the access token's life).
pub async fn relogin(app: &TestApp, u: &TestUser) -> confab_client::Client {
    let tokens = app.client.login(&u.username, PASSWORD).await.unwrap();
    app.client.signed_in(&tokens)
}
