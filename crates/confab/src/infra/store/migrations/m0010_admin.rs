//! Administration: the built-in channels (the world channel), channel mutes, site-wide user
//! mutes, the audit log of administrator actions, group targets and outcomes on reports, and
//! the index that makes "messages today" a range count.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_admin"
    }
}

#[derive(DeriveIden)]
enum Channels {
    Table,
    Slug,
    ConversationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChannelMutes {
    Table,
    ConversationId,
    UserId,
    Until,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserMutes {
    Table,
    UserId,
    Until,
    CreatedBy,
    ReportId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    TargetKind,
    TargetId,
    Details,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    TargetGroupId,
    Resolution,
    ReporterId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Built-in broadcast conversations by name (`world`); the slug is the key two nodes
        // race on at first start.
        super::create_table(
            manager,
            Table::create()
                .table(Channels::Table)
                .col(
                    ColumnDef::new(Channels::Slug)
                        .string_len(32)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Channels::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Channels::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_channels_conversation")
                    .table(Channels::Table)
                    .col(Channels::ConversationId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // A user an administrator silenced in one channel; `until` NULL: permanently.
        super::create_table(
            manager,
            Table::create()
                .table(ChannelMutes::Table)
                .col(
                    ColumnDef::new(ChannelMutes::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelMutes::UserId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(ChannelMutes::Until).big_integer().null())
                .col(
                    ColumnDef::new(ChannelMutes::CreatedBy)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelMutes::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ChannelMutes::ConversationId)
                        .col(ChannelMutes::UserId),
                )
                .to_owned(),
        )
        .await?;

        // A site-wide mute: the user may not send anywhere; `until` NULL: permanently.
        super::create_table(
            manager,
            Table::create()
                .table(UserMutes::Table)
                .col(
                    ColumnDef::new(UserMutes::UserId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(UserMutes::Until).big_integer().null())
                .col(
                    ColumnDef::new(UserMutes::CreatedBy)
                        .big_integer()
                        .not_null(),
                )
                // The report whose uphold imposed it, if any.
                .col(ColumnDef::new(UserMutes::ReportId).big_integer().null())
                .col(
                    ColumnDef::new(UserMutes::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;

        // Every administrator action, newest first by id (snowflakes are time-ordered).
        super::create_table(
            manager,
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditLog::ActorId).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(48).not_null())
                // user | message | group | report | word | channel | notice
                .col(
                    ColumnDef::new(AuditLog::TargetKind)
                        .string_len(16)
                        .not_null(),
                )
                // The target's id as text (a word is its own id; a message is `conv:seq`).
                .col(
                    ColumnDef::new(AuditLog::TargetId)
                        .string_len(160)
                        .not_null(),
                )
                // JSON with what the action needed (until, reason, excerpt…).
                .col(ColumnDef::new(AuditLog::Details).text().not_null())
                .col(ColumnDef::new(AuditLog::CreatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        // Reports about a group, and what an uphold did (recall, mute, disable, dissolve).
        // One column per statement: SQLite's ALTER TABLE takes one change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(ColumnDef::new(Reports::TargetGroupId).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(ColumnDef::new(Reports::Resolution).string_len(32).null())
                    .to_owned(),
            )
            .await?;
        // A reporter's recent reports (the per-reporter bound, duplicate open reports).
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_reporter_created")
                    .table(Reports::Table)
                    .col(Reports::ReporterId)
                    .col(Reports::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // `GET /admin/stats` counts today's messages as an index range, not a table scan.
        // Keys arrive in time order, so the writer appends at the index's right edge.
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_created_at")
                    .table(Messages::Table)
                    .col(Messages::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
