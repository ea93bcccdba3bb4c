//! Gifts and wallets: the catalog, wallets, the ledger (a row per balance change), backpack
//! items, gift sends (idempotent by the sender's client key), top-ups (idempotent by the
//! provider's order id) and wallet operations (admin adjustments, VIP purchases; idempotent
//! by an optional key). Level and VIP live on `users` (profiles show them); a room's gift
//! counters on `rooms`. Money is integers only (docs/gifts.md).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_gifts"
    }
}

#[derive(DeriveIden)]
enum Gifts {
    Table,
    Id,
    Name,
    Price,
    Kind,
    Hot,
    Listed,
    Weight,
    Icon,
    Animation,
    Presets,
    StartsAt,
    EndsAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Wallets {
    Table,
    UserId,
    Coins,
    Diamonds,
    Spent,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Ledger {
    Table,
    Id,
    Account,
    Currency,
    Delta,
    Balance,
    Reason,
    Reference,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GiftSends {
    Table,
    Id,
    SenderId,
    ClientKey,
    ReceiverId,
    GiftId,
    Count,
    UnitPrice,
    Value,
    Cost,
    Diamonds,
    SharePercent,
    Source,
    RoomId,
    ConversationId,
    Seq,
    ComboId,
    ComboCount,
    Message,
    CreatedAt,
    ReversedAt,
    ReversedBy,
}

#[derive(DeriveIden)]
enum BackpackItems {
    Table,
    Id,
    UserId,
    GiftId,
    Count,
    ExpiresAt,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Topups {
    Table,
    OrderId,
    UserId,
    Coins,
    Amount,
    Currency,
    Bonus,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WalletOps {
    Table,
    Id,
    Kind,
    ActorId,
    ClientKey,
    UserId,
    Currency,
    Delta,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Level,
    VipUntil,
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    GiftCount,
    GiftValue,
    GiftSenders,
}

fn big(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().null().to_owned()
}

fn int(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).integer().not_null().to_owned()
}

fn text(c: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(c).string_len(len).not_null().to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

/// Adds one column (SQLite takes one per ALTER).
async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: ColumnDef,
) -> Result<(), DbErr> {
    let mut col = col;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The catalog. `presets` is a JSON array of counts; a `limited` gift is on sale
        // between `starts_at` and `ends_at`.
        super::create_table(
            manager,
            Table::create()
                .table(Gifts::Table)
                .col(big(Gifts::Id).primary_key())
                .col(text(Gifts::Name, 160))
                .col(big(Gifts::Price))
                .col(text(Gifts::Kind, 8))
                .col(ColumnDef::new(Gifts::Hot).boolean().not_null())
                .col(ColumnDef::new(Gifts::Listed).boolean().not_null())
                .col(int(Gifts::Weight))
                .col(big_null(Gifts::Icon))
                .col(big_null(Gifts::Animation))
                .col(text(Gifts::Presets, 200))
                .col(big_null(Gifts::StartsAt))
                .col(big_null(Gifts::EndsAt))
                .col(big(Gifts::CreatedAt))
                .col(big(Gifts::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_gifts_icon",
            Gifts::Table,
            vec![Gifts::Icon.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_gifts_animation",
            Gifts::Table,
            vec![Gifts::Animation.into_iden()],
            false,
        )
        .await?;

        // A user's balances; `spent` is lifetime coins spent (the level derives from it).
        // Created on a user's first balance change. The platform's side of every entry is
        // in the ledger only (account 0), so no hot row serialises all sends.
        super::create_table(
            manager,
            Table::create()
                .table(Wallets::Table)
                .col(big(Wallets::UserId).primary_key())
                .col(big(Wallets::Coins))
                .col(big(Wallets::Diamonds))
                .col(big(Wallets::Spent))
                .col(big(Wallets::UpdatedAt))
                .to_owned(),
        )
        .await?;

        // One row per balance change, never updated or deleted. `balance` is the account's
        // balance after it (NULL for the platform account, which has no wallet row).
        super::create_table(
            manager,
            Table::create()
                .table(Ledger::Table)
                .col(big(Ledger::Id).primary_key())
                .col(big(Ledger::Account))
                .col(text(Ledger::Currency, 8))
                .col(big(Ledger::Delta))
                .col(big_null(Ledger::Balance))
                .col(text(Ledger::Reason, 16))
                .col(text(Ledger::Reference, 160))
                .col(big(Ledger::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_ledger_account",
            Ledger::Table,
            vec![Ledger::Account.into_iden(), Ledger::Id.into_iden()],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(GiftSends::Table)
                .col(big(GiftSends::Id).primary_key())
                .col(big(GiftSends::SenderId))
                .col(text(GiftSends::ClientKey, 64))
                .col(big(GiftSends::ReceiverId))
                .col(big(GiftSends::GiftId))
                .col(int(GiftSends::Count))
                .col(big(GiftSends::UnitPrice))
                .col(big(GiftSends::Value))
                .col(big(GiftSends::Cost))
                .col(big(GiftSends::Diamonds))
                .col(int(GiftSends::SharePercent))
                .col(text(GiftSends::Source, 8))
                .col(big_null(GiftSends::RoomId))
                .col(big(GiftSends::ConversationId))
                .col(big(GiftSends::Seq))
                .col(big(GiftSends::ComboId))
                .col(int(GiftSends::ComboCount))
                .col(text(GiftSends::Message, 400))
                .col(big(GiftSends::CreatedAt))
                .col(big_null(GiftSends::ReversedAt))
                .col(big_null(GiftSends::ReversedBy))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_gift_sends_key",
            GiftSends::Table,
            vec![
                GiftSends::SenderId.into_iden(),
                GiftSends::ClientKey.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_gift_sends_sender",
            GiftSends::Table,
            vec![GiftSends::SenderId.into_iden(), GiftSends::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_gift_sends_receiver",
            GiftSends::Table,
            vec![GiftSends::ReceiverId.into_iden(), GiftSends::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_gift_sends_room",
            GiftSends::Table,
            vec![
                GiftSends::RoomId.into_iden(),
                GiftSends::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_gift_sends_created",
            GiftSends::Table,
            vec![GiftSends::CreatedAt.into_iden()],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(BackpackItems::Table)
                .col(big(BackpackItems::Id).primary_key())
                .col(big(BackpackItems::UserId))
                .col(big(BackpackItems::GiftId))
                .col(int(BackpackItems::Count))
                .col(big_null(BackpackItems::ExpiresAt))
                .col(text(BackpackItems::Reason, 160))
                .col(big(BackpackItems::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_backpack_user",
            BackpackItems::Table,
            vec![
                BackpackItems::UserId.into_iden(),
                BackpackItems::GiftId.into_iden(),
            ],
            false,
        )
        .await?;

        // A provider's order, credited once: the key is the provider's order id.
        super::create_table(
            manager,
            Table::create()
                .table(Topups::Table)
                .col(text(Topups::OrderId, 128).primary_key())
                .col(big(Topups::UserId))
                .col(big(Topups::Coins))
                .col(big(Topups::Amount))
                .col(text(Topups::Currency, 8))
                .col(text(Topups::Bonus, 2000))
                .col(big(Topups::CreatedAt))
                .to_owned(),
        )
        .await?;

        // Admin adjustments and VIP purchases; a key (optional) makes a retry a replay.
        super::create_table(
            manager,
            Table::create()
                .table(WalletOps::Table)
                .col(big(WalletOps::Id).primary_key())
                .col(text(WalletOps::Kind, 8))
                .col(big(WalletOps::ActorId))
                .col(ColumnDef::new(WalletOps::ClientKey).string_len(64).null())
                .col(big(WalletOps::UserId))
                .col(text(WalletOps::Currency, 8))
                .col(big(WalletOps::Delta))
                .col(text(WalletOps::Detail, 800))
                .col(big(WalletOps::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_wallet_ops_key",
            WalletOps::Table,
            vec![
                WalletOps::Kind.into_iden(),
                WalletOps::ActorId.into_iden(),
                WalletOps::ClientKey.into_iden(),
            ],
            true,
        )
        .await?;

        add(
            manager,
            Users::Table,
            ColumnDef::new(Users::Level)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        add(manager, Users::Table, big_null(Users::VipUntil)).await?;
        for c in [Rooms::GiftCount, Rooms::GiftValue, Rooms::GiftSenders] {
            add(
                manager,
                Rooms::Table,
                ColumnDef::new(c)
                    .big_integer()
                    .not_null()
                    .default(0)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
