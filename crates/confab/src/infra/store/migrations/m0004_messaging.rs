//! Conversations, their members (with the visibility window and read/recv cursors),
//! messages (gapless seq per conversation, idempotent per sender + client id) and reactions.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_messaging"
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    Kind,
    DirectKey,
    LastSeq,
    LastMessageAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationMembers {
    Table,
    ConversationId,
    UserId,
    ReadSeq,
    RecvSeq,
    ClearedSeq,
    JoinedSeq,
    LeftSeq,
    Pinned,
    Muted,
    Hidden,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConversationId,
    Seq,
    Id,
    SenderId,
    ClientMsgId,
    Kind,
    Body,
    ReplyTo,
    Mentions,
    EditedAt,
    RecalledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reactions {
    Table,
    ConversationId,
    Seq,
    UserId,
    Emoji,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(Conversations::Table)
                .col(
                    ColumnDef::new(Conversations::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                // direct | group | channel | room
                .col(
                    ColumnDef::new(Conversations::Kind)
                        .string_len(16)
                        .not_null(),
                )
                // For direct chats: "{smaller user id}:{larger user id}", so a pair has one.
                .col(
                    ColumnDef::new(Conversations::DirectKey)
                        .string_len(64)
                        .null(),
                )
                .col(
                    ColumnDef::new(Conversations::LastSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Conversations::LastMessageAt)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Conversations::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_conversations_direct_key")
                    .table(Conversations::Table)
                    .col(Conversations::DirectKey)
                    .unique()
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(ConversationMembers::Table)
                .col(
                    ColumnDef::new(ConversationMembers::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationMembers::UserId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ConversationMembers::ReadSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(ConversationMembers::RecvSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(ConversationMembers::ClearedSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                // The member sees seqs in (joined_seq, left_seq].
                .col(
                    ColumnDef::new(ConversationMembers::JoinedSeq)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(ConversationMembers::LeftSeq)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(ConversationMembers::Pinned)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(ConversationMembers::Muted)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(ConversationMembers::Hidden)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(ConversationMembers::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                // Last change of this member's cursors or flags (sync picks it up).
                .col(
                    ColumnDef::new(ConversationMembers::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(ConversationMembers::ConversationId)
                        .col(ConversationMembers::UserId),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversation_members_user")
                    .table(ConversationMembers::Table)
                    .col(ConversationMembers::UserId)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Messages::Table)
                .col(
                    ColumnDef::new(Messages::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Messages::Seq).big_integer().not_null())
                .col(ColumnDef::new(Messages::Id).big_integer().not_null())
                .col(ColumnDef::new(Messages::SenderId).big_integer().not_null())
                .col(
                    ColumnDef::new(Messages::ClientMsgId)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Messages::Kind).string_len(16).not_null())
                // JSON, shape per kind; emptied when recalled.
                .col(ColumnDef::new(Messages::Body).text().not_null())
                .col(ColumnDef::new(Messages::ReplyTo).big_integer().null())
                // JSON array of user ids, or ["all"].
                .col(ColumnDef::new(Messages::Mentions).text().null())
                .col(ColumnDef::new(Messages::EditedAt).big_integer().null())
                .col(ColumnDef::new(Messages::RecalledAt).big_integer().null())
                .col(ColumnDef::new(Messages::CreatedAt).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(Messages::ConversationId)
                        .col(Messages::Seq),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_sender_client_id")
                    .table(Messages::Table)
                    .col(Messages::SenderId)
                    .col(Messages::ClientMsgId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(Reactions::Table)
                .col(
                    ColumnDef::new(Reactions::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(Reactions::Seq).big_integer().not_null())
                .col(ColumnDef::new(Reactions::UserId).big_integer().not_null())
                .col(ColumnDef::new(Reactions::Emoji).string_len(32).not_null())
                .col(
                    ColumnDef::new(Reactions::CreatedAt)
                        .big_integer()
                        .not_null(),
                )
                .primary_key(
                    Index::create()
                        .col(Reactions::ConversationId)
                        .col(Reactions::Seq)
                        .col(Reactions::UserId),
                )
                .to_owned(),
        )
        .await
    }
}
