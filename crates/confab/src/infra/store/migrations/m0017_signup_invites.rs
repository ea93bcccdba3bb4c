//! Sign-up invite codes (`auth.registration = "invite"`): the codes an administrator made,
//! kept as hashes (a code is a secret, shown once), with their use limit, expiry and
//! revocation; and who signed up with which code.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_signup_invites"
    }
}

#[derive(DeriveIden)]
enum SignupInvites {
    Table,
    Id,
    CodeHash,
    MaxUses,
    Uses,
    ExpiresAt,
    Note,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SignupInviteUses {
    Table,
    InviteId,
    UserId,
    UsedAt,
}

fn big(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A code. Redeeming is one conditional UPDATE (`uses < max_uses`, not revoked, not
        // expired) in the sign-up's transaction, so racing sign-ups never over-use it.
        // Times are unix milliseconds.
        super::create_table(
            manager,
            Table::create()
                .table(SignupInvites::Table)
                .col(big(SignupInvites::Id).primary_key())
                .col(
                    ColumnDef::new(SignupInvites::CodeHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(SignupInvites::MaxUses).integer().not_null())
                .col(ColumnDef::new(SignupInvites::Uses).integer().not_null())
                .col(big_null(SignupInvites::ExpiresAt))
                .col(
                    ColumnDef::new(SignupInvites::Note)
                        .string_len(200)
                        .not_null(),
                )
                .col(big(SignupInvites::CreatedBy))
                .col(big(SignupInvites::CreatedAt))
                .col(big_null(SignupInvites::RevokedAt))
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_signup_invites_code_hash")
                    .table(SignupInvites::Table)
                    .col(SignupInvites::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One row per account made with a code.
        super::create_table(
            manager,
            Table::create()
                .table(SignupInviteUses::Table)
                .col(big(SignupInviteUses::InviteId))
                .col(big(SignupInviteUses::UserId))
                .col(big(SignupInviteUses::UsedAt))
                .primary_key(
                    Index::create()
                        .col(SignupInviteUses::InviteId)
                        .col(SignupInviteUses::UserId),
                )
                .to_owned(),
        )
        .await
    }
}
