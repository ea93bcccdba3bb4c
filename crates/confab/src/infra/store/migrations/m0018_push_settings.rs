//! Offline push (docs/push.md): each user's push preferences. A user without a row has the
//! defaults (previews shown).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_push_settings"
    }
}

#[derive(DeriveIden)]
enum PushSettings {
    Table,
    UserId,
    PrivatePreviews,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(PushSettings::Table)
                .col(
                    ColumnDef::new(PushSettings::UserId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PushSettings::PrivatePreviews)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PushSettings::UpdatedAt)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }
}
