//! Calls: one row per call (1:1 or group) with its state, outcome and times, the devices
//! (sessions) bound to a 1:1 call and their drop marks; the lines a live call holds (one per
//! user in it, one per conversation with a group call) so that "one call at a time" is a
//! primary key, across nodes; and the participants of group calls.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_calls"
    }
}

#[derive(DeriveIden)]
enum Calls {
    Table,
    Id,
    Kind,
    Media,
    ConversationId,
    CallerId,
    CalleeId,
    State,
    Outcome,
    CreatedAt,
    AnsweredAt,
    EndedAt,
    EndedBy,
    CallerSession,
    CalleeSession,
    CallerAwayAt,
    CalleeAwayAt,
    RecordSeq,
}

#[derive(DeriveIden)]
enum CallLines {
    Table,
    Holder,
    CallId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CallParticipants {
    Table,
    CallId,
    UserId,
    SessionId,
    JoinedAt,
    LeftAt,
    AwayAt,
}

fn big(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().null().to_owned()
}

fn text(c: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(c).string_len(len).not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A call. Every change of `state` is a conditional UPDATE (`WHERE state = …`), so
        // exactly one of racing transitions (accept, cancel, timeout) wins on any node.
        // Times are unix milliseconds.
        super::create_table(
            manager,
            Table::create()
                .table(Calls::Table)
                .col(big(Calls::Id).primary_key())
                .col(text(Calls::Kind, 8))
                .col(text(Calls::Media, 8))
                .col(big(Calls::ConversationId))
                .col(big(Calls::CallerId))
                .col(big_null(Calls::CalleeId))
                .col(text(Calls::State, 8))
                .col(ColumnDef::new(Calls::Outcome).string_len(12).null())
                .col(big(Calls::CreatedAt))
                .col(big_null(Calls::AnsweredAt))
                .col(big_null(Calls::EndedAt))
                .col(big_null(Calls::EndedBy))
                .col(big(Calls::CallerSession))
                .col(big_null(Calls::CalleeSession))
                .col(big_null(Calls::CallerAwayAt))
                .col(big_null(Calls::CalleeAwayAt))
                .col(big_null(Calls::RecordSeq))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_calls_state")
                    .table(Calls::Table)
                    .col(Calls::State)
                    .col(Calls::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_calls_conversation")
                    .table(Calls::Table)
                    .col(Calls::ConversationId)
                    .col(Calls::Id)
                    .to_owned(),
            )
            .await?;

        // The lines live calls hold: `u:<user id>` for each user in a call (ringing or
        // answered, or in a group call), `c:<conversation id>` for a conversation's group
        // call. Inserted with the call (or the join) and deleted when it ends, so a second
        // call of the same user is a primary-key conflict on every node.
        super::create_table(
            manager,
            Table::create()
                .table(CallLines::Table)
                .col(text(CallLines::Holder, 32).primary_key())
                .col(big(CallLines::CallId))
                .col(big(CallLines::CreatedAt))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_call_lines_call")
                    .table(CallLines::Table)
                    .col(CallLines::CallId)
                    .to_owned(),
            )
            .await?;

        // Who is (or was) in a group call; `left_at` set when they leave.
        super::create_table(
            manager,
            Table::create()
                .table(CallParticipants::Table)
                .col(big(CallParticipants::CallId))
                .col(big(CallParticipants::UserId))
                .col(big(CallParticipants::SessionId))
                .col(big(CallParticipants::JoinedAt))
                .col(big_null(CallParticipants::LeftAt))
                .col(big_null(CallParticipants::AwayAt))
                .primary_key(
                    Index::create()
                        .col(CallParticipants::CallId)
                        .col(CallParticipants::UserId),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CallParticipants::Table.into_iden(),
            CallLines::Table.into_iden(),
            Calls::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
