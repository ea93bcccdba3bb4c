//! Voice rooms: rooms, their seats, who is in which room now, room admins, kicks (re-entry
//! bans), chat mutes, seat applications and invitations, and the admin-managed tag list.
//! One room per user at a time and one seat per user are unique keys, so they hold across
//! nodes whatever the code does (docs/rooms.md).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_rooms"
    }
}

#[derive(DeriveIden)]
enum Rooms {
    Table,
    Id,
    OwnerId,
    ConversationId,
    Name,
    NameKey,
    Cover,
    Tag,
    Announcement,
    Private,
    PasswordHash,
    SeatCount,
    SeatMode,
    MuteAll,
    SeatVersion,
    Audience,
    LastActiveAt,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RoomSeats {
    Table,
    RoomId,
    Position,
    UserId,
    Locked,
    Muted,
    MicOn,
}

#[derive(DeriveIden)]
enum RoomPresence {
    Table,
    UserId,
    RoomId,
    JoinedAt,
    AwaySince,
}

#[derive(DeriveIden)]
enum RoomAdmins {
    Table,
    RoomId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoomKicks {
    Table,
    RoomId,
    UserId,
    Until,
    Reason,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoomMutes {
    Table,
    RoomId,
    UserId,
    Until,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoomRequests {
    Table,
    Id,
    RoomId,
    UserId,
    Kind,
    Position,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    Voided,
}

#[derive(DeriveIden)]
enum RoomTags {
    Table,
    Name,
    Weight,
    CreatedAt,
}

fn big(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().null().to_owned()
}

fn flag(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).boolean().not_null().to_owned()
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A room; `seat_version` grows with every committed seat change, `audience` is the
        // count of room_presence rows (kept in the same transactions).
        super::create_table(
            manager,
            Table::create()
                .table(Rooms::Table)
                .col(big(Rooms::Id).primary_key())
                .col(big(Rooms::OwnerId))
                .col(big(Rooms::ConversationId))
                .col(text(Rooms::Name, 160))
                // Lower-cased name, for search.
                .col(text(Rooms::NameKey, 160))
                .col(big_null(Rooms::Cover))
                .col(ColumnDef::new(Rooms::Tag).string_len(32).null())
                .col(text(Rooms::Announcement, 2000))
                .col(flag(Rooms::Private))
                .col(ColumnDef::new(Rooms::PasswordHash).string_len(255).null())
                .col(ColumnDef::new(Rooms::SeatCount).integer().not_null())
                .col(text(Rooms::SeatMode, 8))
                .col(flag(Rooms::MuteAll))
                .col(big(Rooms::SeatVersion))
                .col(ColumnDef::new(Rooms::Audience).integer().not_null())
                .col(big(Rooms::LastActiveAt))
                .col(big_null(Rooms::ClosedAt))
                .col(big(Rooms::CreatedAt))
                .col(big(Rooms::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_rooms_conversation",
            Rooms::Table,
            vec![Rooms::ConversationId.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_rooms_owner",
            Rooms::Table,
            vec![Rooms::OwnerId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_rooms_live",
            Rooms::Table,
            vec![
                Rooms::ClosedAt.into_iden(),
                Rooms::Audience.into_iden(),
                Rooms::LastActiveAt.into_iden(),
            ],
            false,
        )
        .await?;

        // Seats 1..=seat_count. A user holds at most one seat anywhere (unique user_id:
        // several NULLs are allowed by SQLite and MySQL alike).
        super::create_table(
            manager,
            Table::create()
                .table(RoomSeats::Table)
                .col(big(RoomSeats::RoomId))
                .col(ColumnDef::new(RoomSeats::Position).integer().not_null())
                .col(big_null(RoomSeats::UserId))
                .col(flag(RoomSeats::Locked))
                .col(flag(RoomSeats::Muted))
                .col(flag(RoomSeats::MicOn))
                .primary_key(
                    Index::create()
                        .col(RoomSeats::RoomId)
                        .col(RoomSeats::Position),
                )
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_room_seats_user",
            RoomSeats::Table,
            vec![RoomSeats::UserId.into_iden()],
            true,
        )
        .await?;

        // Who is in which room now: one row per user (one room at a time). `away_since`: the
        // user's last socket dropped then; the grace sweep removes them after the grace.
        super::create_table(
            manager,
            Table::create()
                .table(RoomPresence::Table)
                .col(big(RoomPresence::UserId).primary_key())
                .col(big(RoomPresence::RoomId))
                .col(big(RoomPresence::JoinedAt))
                .col(big_null(RoomPresence::AwaySince))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_room_presence_room",
            RoomPresence::Table,
            vec![
                RoomPresence::RoomId.into_iden(),
                RoomPresence::JoinedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_room_presence_away",
            RoomPresence::Table,
            vec![RoomPresence::AwaySince.into_iden()],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(RoomAdmins::Table)
                .col(big(RoomAdmins::RoomId))
                .col(big(RoomAdmins::UserId))
                .col(big(RoomAdmins::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(RoomAdmins::RoomId)
                        .col(RoomAdmins::UserId),
                )
                .to_owned(),
        )
        .await?;

        // Re-entry bans from kicks.
        super::create_table(
            manager,
            Table::create()
                .table(RoomKicks::Table)
                .col(big(RoomKicks::RoomId))
                .col(big(RoomKicks::UserId))
                .col(big(RoomKicks::Until))
                .col(ColumnDef::new(RoomKicks::Reason).string_len(800).null())
                .col(big(RoomKicks::CreatedBy))
                .col(big(RoomKicks::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(RoomKicks::RoomId)
                        .col(RoomKicks::UserId),
                )
                .to_owned(),
        )
        .await?;

        // Chat mutes; `until` NULL: permanently.
        super::create_table(
            manager,
            Table::create()
                .table(RoomMutes::Table)
                .col(big(RoomMutes::RoomId))
                .col(big(RoomMutes::UserId))
                .col(big_null(RoomMutes::Until))
                .col(big(RoomMutes::CreatedBy))
                .col(big(RoomMutes::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(RoomMutes::RoomId)
                        .col(RoomMutes::UserId),
                )
                .to_owned(),
        )
        .await?;

        // Seat applications and invitations (one of each kind per user and room); answered
        // or cancelled ones are deleted, expired or voided ones when the next is made.
        super::create_table(
            manager,
            Table::create()
                .table(RoomRequests::Table)
                .col(big(RoomRequests::Id).primary_key())
                .col(big(RoomRequests::RoomId))
                .col(big(RoomRequests::UserId))
                // application | invitation
                .col(text(RoomRequests::Kind, 16))
                .col(ColumnDef::new(RoomRequests::Position).integer().null())
                .col(big(RoomRequests::CreatedBy))
                .col(big(RoomRequests::CreatedAt))
                .col(big(RoomRequests::ExpiresAt))
                // Why an invitation stopped being valid before it was answered (`locked`):
                // its user is told `seat_locked` on accepting rather than "no invitation".
                .col(ColumnDef::new(RoomRequests::Voided).string_len(16).null())
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_room_requests_user",
            RoomRequests::Table,
            vec![
                RoomRequests::RoomId.into_iden(),
                RoomRequests::UserId.into_iden(),
                RoomRequests::Kind.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            manager,
            "ix_room_requests_list",
            RoomRequests::Table,
            vec![
                RoomRequests::RoomId.into_iden(),
                RoomRequests::Kind.into_iden(),
                RoomRequests::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(RoomTags::Table)
                .col(text(RoomTags::Name, 32).primary_key())
                .col(ColumnDef::new(RoomTags::Weight).integer().not_null())
                .col(big(RoomTags::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
