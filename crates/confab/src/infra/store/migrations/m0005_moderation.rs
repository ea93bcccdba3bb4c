//! Moderation: the admin-managed sensitive words (the file's words never touch the database)
//! and reports (filed by users, or by the filter itself with no reporter).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_moderation"
    }
}

#[derive(DeriveIden)]
enum SensitiveWords {
    Table,
    Word,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    Kind,
    ConversationId,
    Seq,
    TargetUserId,
    ReporterId,
    Reason,
    Excerpt,
    Status,
    CreatedAt,
    ReviewedBy,
    ReviewedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(SensitiveWords::Table)
                // Stored normalised (moderation::filter::normalise), so one spelling is one row.
                .col(
                    ColumnDef::new(SensitiveWords::Word)
                        .string_len(128)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(SensitiveWords::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                // The administrator who added it; NULL when added by a tool or migration.
                .col(
                    ColumnDef::new(SensitiveWords::CreatedBy)
                        .big_integer()
                        .null(),
                )
                .to_owned(),
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Reports::Table)
                .col(
                    ColumnDef::new(Reports::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                // message | user | group | moment
                .col(ColumnDef::new(Reports::Kind).string_len(16).not_null())
                // The target: a message is (conversation_id, seq); a user is target_user_id.
                .col(ColumnDef::new(Reports::ConversationId).big_integer().null())
                .col(ColumnDef::new(Reports::Seq).big_integer().null())
                .col(ColumnDef::new(Reports::TargetUserId).big_integer().null())
                // NULL: filed by the system (the sensitive-word filter).
                .col(ColumnDef::new(Reports::ReporterId).big_integer().null())
                .col(ColumnDef::new(Reports::Reason).string_len(500).not_null())
                // What the reviewer needs to see even after a recall: the original content,
                // at most 500 characters.
                .col(ColumnDef::new(Reports::Excerpt).text().null())
                // open | upheld | dismissed
                .col(
                    ColumnDef::new(Reports::Status)
                        .string_len(16)
                        .not_null()
                        .default("open"),
                )
                .col(ColumnDef::new(Reports::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Reports::ReviewedBy).big_integer().null())
                .col(ColumnDef::new(Reports::ReviewedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        // The review queue: open reports, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_status_created")
                    .table(Reports::Table)
                    .col(Reports::Status)
                    .col(Reports::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
