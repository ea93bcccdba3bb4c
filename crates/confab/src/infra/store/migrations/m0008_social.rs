//! The social graph (docs/social.md): friend requests, friendships (two rows per pair),
//! blocks, follows, and who may find a user by an exact field.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_social"
    }
}

#[derive(DeriveIden)]
enum FriendRequests {
    Table,
    Id,
    FromId,
    ToId,
    Note,
    Greeting,
    Status,
    PendingKey,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Friendships {
    Table,
    UserId,
    FriendId,
    Remark,
    Tags,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Blocks {
    Table,
    UserId,
    BlockedId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Follows {
    Table,
    FollowerId,
    FolloweeId,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PrivacySettings {
    Table,
    UserId,
    FindableByUsername,
    FindableByEmail,
    FindableByPhone,
    UpdatedAt,
}

fn bigint(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
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
        super::create_table(
            manager,
            Table::create()
                .table(FriendRequests::Table)
                .col(bigint(FriendRequests::Id).primary_key())
                .col(bigint(FriendRequests::FromId))
                .col(bigint(FriendRequests::ToId))
                .col(
                    ColumnDef::new(FriendRequests::Note)
                        .string_len(400)
                        .not_null()
                        .default(""),
                )
                .col(ColumnDef::new(FriendRequests::Greeting).text().not_null())
                // pending | accepted | declined | cancelled
                .col(
                    ColumnDef::new(FriendRequests::Status)
                        .string_len(16)
                        .not_null(),
                )
                // "{from}:{to}" while pending, NULL afterwards: at most one pending request
                // per direction (a second one merges into it), enforced by a unique index
                // (NULLs never collide on either database).
                .col(
                    ColumnDef::new(FriendRequests::PendingKey)
                        .string_len(64)
                        .null(),
                )
                .col(bigint(FriendRequests::CreatedAt))
                .col(bigint(FriendRequests::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ux_friend_requests_pending",
            FriendRequests::Table,
            vec![FriendRequests::PendingKey.into_iden()],
            true,
        )
        .await?;
        // Incoming and outgoing pending lists, newest first.
        index(
            manager,
            "ix_friend_requests_to",
            FriendRequests::Table,
            vec![
                FriendRequests::ToId.into_iden(),
                FriendRequests::Status.into_iden(),
                FriendRequests::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_friend_requests_from",
            FriendRequests::Table,
            vec![
                FriendRequests::FromId.into_iden(),
                FriendRequests::Status.into_iden(),
                FriendRequests::Id.into_iden(),
            ],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Friendships::Table)
                .col(bigint(Friendships::UserId))
                .col(bigint(Friendships::FriendId))
                // The owner's alias for the friend ("" when none).
                .col(
                    ColumnDef::new(Friendships::Remark)
                        .string_len(128)
                        .not_null()
                        .default(""),
                )
                // JSON array of the owner's tags for the friend.
                .col(ColumnDef::new(Friendships::Tags).text().not_null())
                .col(bigint(Friendships::CreatedAt))
                .col(bigint(Friendships::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(Friendships::UserId)
                        .col(Friendships::FriendId),
                )
                .to_owned(),
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Blocks::Table)
                .col(bigint(Blocks::UserId))
                .col(bigint(Blocks::BlockedId))
                .col(bigint(Blocks::CreatedAt))
                .primary_key(Index::create().col(Blocks::UserId).col(Blocks::BlockedId))
                .to_owned(),
        )
        .await?;
        // "Who blocks me" (the reverse direction of the either-way check).
        index(
            manager,
            "ix_blocks_blocked",
            Blocks::Table,
            vec![Blocks::BlockedId.into_iden(), Blocks::UserId.into_iden()],
            false,
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Follows::Table)
                .col(bigint(Follows::FollowerId))
                .col(bigint(Follows::FolloweeId))
                // A snowflake: time-ordered, the cursor of the followers/following lists.
                .col(bigint(Follows::Id))
                .col(bigint(Follows::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Follows::FollowerId)
                        .col(Follows::FolloweeId),
                )
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_follows_followee",
            Follows::Table,
            vec![Follows::FolloweeId.into_iden(), Follows::Id.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_follows_follower",
            Follows::Table,
            vec![Follows::FollowerId.into_iden(), Follows::Id.into_iden()],
            false,
        )
        .await?;

        // No row: the defaults (username yes, email and phone no).
        super::create_table(
            manager,
            Table::create()
                .table(PrivacySettings::Table)
                .col(bigint(PrivacySettings::UserId).primary_key())
                .col(
                    ColumnDef::new(PrivacySettings::FindableByUsername)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new(PrivacySettings::FindableByEmail)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(PrivacySettings::FindableByPhone)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(bigint(PrivacySettings::UpdatedAt))
                .to_owned(),
        )
        .await
    }
}
