//! Groups: the group row (owning a `group` conversation), its members' roles, nicknames and
//! mutes, bans, invite tokens and join requests. The table is `chat_groups`, not `groups`:
//! `GROUPS` is a reserved word in MySQL 8 (window frames), and a bare name would break any
//! hand-written statement there.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_groups"
    }
}

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    Id,
    ConversationId,
    Name,
    NameNorm,
    Avatar,
    Description,
    Announcement,
    Visibility,
    JoinPolicy,
    HistoryPolicy,
    MemberInvite,
    OwnerId,
    MemberLimit,
    MemberCount,
    AllMuted,
    DissolvedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
    Role,
    Nickname,
    MutedUntil,
    JoinedAt,
}

#[derive(DeriveIden)]
enum GroupBans {
    Table,
    GroupId,
    UserId,
    Until,
    ById,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupInvites {
    Table,
    Token,
    GroupId,
    CreatorId,
    ExpiresAt,
    MaxUses,
    Uses,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GroupJoinRequests {
    Table,
    Id,
    GroupId,
    UserId,
    Message,
    Status,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

fn big(c: impl IntoIden) -> ColumnDef {
    let mut d = ColumnDef::new(c);
    d.big_integer().not_null();
    d
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    let mut d = ColumnDef::new(c);
    d.big_integer().null();
    d
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(ChatGroups::Table)
                .col(big(ChatGroups::Id).primary_key())
                .col(big(ChatGroups::ConversationId))
                .col(ColumnDef::new(ChatGroups::Name).string_len(64).not_null())
                // Lower-cased name, for case-insensitive search.
                .col(
                    ColumnDef::new(ChatGroups::NameNorm)
                        .string_len(64)
                        .not_null(),
                )
                .col(big_null(ChatGroups::Avatar))
                .col(
                    ColumnDef::new(ChatGroups::Description)
                        .string_len(1000)
                        .not_null()
                        .default(""),
                )
                .col(ColumnDef::new(ChatGroups::Announcement).text().null())
                // public | private
                .col(
                    ColumnDef::new(ChatGroups::Visibility)
                        .string_len(16)
                        .not_null(),
                )
                // open | approval
                .col(
                    ColumnDef::new(ChatGroups::JoinPolicy)
                        .string_len(16)
                        .not_null(),
                )
                // from_join | all
                .col(
                    ColumnDef::new(ChatGroups::HistoryPolicy)
                        .string_len(16)
                        .not_null(),
                )
                // Whether plain members may add their friends directly.
                .col(
                    ColumnDef::new(ChatGroups::MemberInvite)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(big(ChatGroups::OwnerId))
                .col(ColumnDef::new(ChatGroups::MemberLimit).integer().not_null())
                // Kept by the membership transactions, which hold the conversation's lock.
                .col(
                    ColumnDef::new(ChatGroups::MemberCount)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(ChatGroups::AllMuted)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(big_null(ChatGroups::DissolvedAt))
                .col(big(ChatGroups::CreatedAt))
                .col(big(ChatGroups::UpdatedAt))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_chat_groups_conversation")
                    .table(ChatGroups::Table)
                    .col(ChatGroups::ConversationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_groups_search")
                    .table(ChatGroups::Table)
                    .col(ChatGroups::Visibility)
                    .col(ChatGroups::NameNorm)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(GroupMembers::Table)
                .col(big(GroupMembers::GroupId))
                .col(big(GroupMembers::UserId))
                // owner | admin | member
                .col(ColumnDef::new(GroupMembers::Role).string_len(16).not_null())
                .col(ColumnDef::new(GroupMembers::Nickname).string_len(64).null())
                .col(big_null(GroupMembers::MutedUntil))
                .col(big(GroupMembers::JoinedAt))
                .primary_key(
                    Index::create()
                        .col(GroupMembers::GroupId)
                        .col(GroupMembers::UserId),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_members_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::UserId)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(GroupBans::Table)
                .col(big(GroupBans::GroupId))
                .col(big(GroupBans::UserId))
                // NULL: permanent.
                .col(big_null(GroupBans::Until))
                .col(big(GroupBans::ById))
                .col(ColumnDef::new(GroupBans::Reason).string_len(200).null())
                .col(big(GroupBans::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(GroupBans::GroupId)
                        .col(GroupBans::UserId),
                )
                .to_owned(),
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(GroupInvites::Table)
                .col(
                    ColumnDef::new(GroupInvites::Token)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(big(GroupInvites::GroupId))
                .col(big(GroupInvites::CreatorId))
                .col(big_null(GroupInvites::ExpiresAt))
                .col(ColumnDef::new(GroupInvites::MaxUses).integer().null())
                .col(
                    ColumnDef::new(GroupInvites::Uses)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(big_null(GroupInvites::RevokedAt))
                .col(big(GroupInvites::CreatedAt))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_invites_group")
                    .table(GroupInvites::Table)
                    .col(GroupInvites::GroupId)
                    .to_owned(),
            )
            .await?;

        super::create_table(
            manager,
            Table::create()
                .table(GroupJoinRequests::Table)
                .col(big(GroupJoinRequests::Id).primary_key())
                .col(big(GroupJoinRequests::GroupId))
                .col(big(GroupJoinRequests::UserId))
                .col(
                    ColumnDef::new(GroupJoinRequests::Message)
                        .string_len(200)
                        .null(),
                )
                // pending | approved | declined
                .col(
                    ColumnDef::new(GroupJoinRequests::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(big_null(GroupJoinRequests::DecidedBy))
                .col(big_null(GroupJoinRequests::DecidedAt))
                .col(big(GroupJoinRequests::CreatedAt))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_join_requests_group")
                    .table(GroupJoinRequests::Table)
                    .col(GroupJoinRequests::GroupId)
                    .col(GroupJoinRequests::Status)
                    .to_owned(),
            )
            .await
    }
}
