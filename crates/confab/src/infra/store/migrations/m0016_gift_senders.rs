//! An index for "has this user an unreversed gift send in this room?", asked on every room
//! gift (a room's distinct-sender counter) and every reversal of one: m0013's room index is
//! (room, time), so for a first-time sender that question read every send of the room.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_gift_senders"
    }
}

#[derive(DeriveIden)]
enum GiftSends {
    Table,
    RoomId,
    SenderId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_gift_sends_room_sender")
                    .table(GiftSends::Table)
                    .col(GiftSends::RoomId)
                    .col(GiftSends::SenderId)
                    .to_owned(),
            )
            .await
    }
}
