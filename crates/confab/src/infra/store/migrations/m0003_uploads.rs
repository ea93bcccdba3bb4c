//! Uploaded files: metadata here, bytes in the blob store under a server-made key.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_uploads"
    }
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    OwnerId,
    Kind,
    StorageKey,
    ThumbKey,
    ContentType,
    Size,
    Sha256,
    Width,
    Height,
    DurationMs,
    FileName,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(Uploads::Table)
                .col(
                    ColumnDef::new(Uploads::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Uploads::OwnerId).big_integer().not_null())
                // image | video | audio | file
                .col(ColumnDef::new(Uploads::Kind).string_len(16).not_null())
                .col(
                    ColumnDef::new(Uploads::StorageKey)
                        .string_len(255)
                        .not_null(),
                )
                .col(ColumnDef::new(Uploads::ThumbKey).string_len(255).null())
                .col(
                    ColumnDef::new(Uploads::ContentType)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(Uploads::Size).big_integer().not_null())
                .col(ColumnDef::new(Uploads::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(Uploads::Width).integer().null())
                .col(ColumnDef::new(Uploads::Height).integer().null())
                .col(ColumnDef::new(Uploads::DurationMs).big_integer().null())
                // The client's name, kept as metadata only; never a storage path.
                .col(ColumnDef::new(Uploads::FileName).string_len(255).not_null())
                .col(ColumnDef::new(Uploads::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_uploads_owner")
                    .table(Uploads::Table)
                    .col(Uploads::OwnerId)
                    .to_owned(),
            )
            .await
    }
}
