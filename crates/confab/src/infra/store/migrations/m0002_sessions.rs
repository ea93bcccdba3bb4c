//! Sessions (one per device sign-in), their refresh tokens, and third-party identities.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_sessions"
    }
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Device,
    Ip,
    UserAgent,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    RevokeReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    SessionId,
    CreatedAt,
    RotatedAt,
}

#[derive(DeriveIden)]
enum Identities {
    Table,
    Provider,
    Subject,
    UserId,
    Email,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                .col(ColumnDef::new(Sessions::Device).string_len(64).not_null())
                .col(ColumnDef::new(Sessions::Ip).string_len(64).not_null())
                .col(
                    ColumnDef::new(Sessions::UserAgent)
                        .string_len(256)
                        .not_null(),
                )
                .col(ColumnDef::new(Sessions::CreatedAt).big_integer().not_null())
                .col(
                    ColumnDef::new(Sessions::LastUsedAt)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Sessions::ExpiresAt).big_integer().not_null())
                .col(ColumnDef::new(Sessions::RevokedAt).big_integer().null())
                .col(ColumnDef::new(Sessions::RevokeReason).string_len(32).null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(RefreshTokens::Table)
                // SHA-256 hex of the token; the token itself is never stored.
                .col(
                    ColumnDef::new(RefreshTokens::TokenHash)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RefreshTokens::SessionId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RefreshTokens::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                // Set when exchanged; presenting it again is reuse.
                .col(
                    ColumnDef::new(RefreshTokens::RotatedAt)
                        .big_integer()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_refresh_tokens_session")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::SessionId)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Identities::Table)
                .col(
                    ColumnDef::new(Identities::Provider)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Identities::Subject)
                        .string_len(255)
                        .not_null(),
                )
                .col(ColumnDef::new(Identities::UserId).big_integer().not_null())
                .col(ColumnDef::new(Identities::Email).string_len(254).null())
                .col(
                    ColumnDef::new(Identities::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Identities::Provider)
                        .col(Identities::Subject),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_identities_user_provider")
                    .table(Identities::Table)
                    .col(Identities::UserId)
                    .col(Identities::Provider)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
