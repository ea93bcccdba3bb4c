//! Users: the account every other table hangs on.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_users"
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    EmailVerified,
    Phone,
    PhoneVerified,
    PasswordHash,
    Nickname,
    Avatar,
    Bio,
    Gender,
    Tags,
    Status,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(Users::Table)
                .col(
                    ColumnDef::new(Users::Id)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                // Usernames are [a-z0-9_.], so the stored form is already the normalised one.
                .col(ColumnDef::new(Users::Username).string_len(32).not_null())
                // Lower-cased when stored; NULL when not set (several NULLs never collide).
                .col(ColumnDef::new(Users::Email).string_len(254).null())
                .col(
                    ColumnDef::new(Users::EmailVerified)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                // E.164.
                .col(ColumnDef::new(Users::Phone).string_len(16).null())
                .col(
                    ColumnDef::new(Users::PhoneVerified)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                // NULL for accounts that only sign in through a code or a provider.
                .col(ColumnDef::new(Users::PasswordHash).string_len(255).null())
                .col(ColumnDef::new(Users::Nickname).string_len(64).not_null())
                .col(ColumnDef::new(Users::Avatar).big_integer().null())
                .col(
                    ColumnDef::new(Users::Bio)
                        .string_len(500)
                        .not_null()
                        .default(""),
                )
                .col(
                    ColumnDef::new(Users::Gender)
                        .string_len(16)
                        .not_null()
                        .default("unspecified"),
                )
                // JSON array of strings.
                .col(ColumnDef::new(Users::Tags).text().not_null())
                .col(
                    ColumnDef::new(Users::Status)
                        .string_len(16)
                        .not_null()
                        .default("active"),
                )
                .col(
                    ColumnDef::new(Users::Role)
                        .string_len(16)
                        .not_null()
                        .default("user"),
                )
                .col(ColumnDef::new(Users::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Users::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ux_users_username", Users::Username),
            ("ux_users_email", Users::Email),
            ("ux_users_phone", Users::Phone),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Users::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_users_nickname")
                    .table(Users::Table)
                    .col(Users::Nickname)
                    .to_owned(),
            )
            .await
    }
}
