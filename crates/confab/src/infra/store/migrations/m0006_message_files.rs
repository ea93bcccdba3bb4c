//! Which messages reference which uploaded files, so a download can be authorised for the
//! members of a conversation whose message carries the file.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_message_files"
    }
}

#[derive(DeriveIden)]
enum MessageFiles {
    Table,
    FileId,
    ConversationId,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::create_table(
            manager,
            Table::create()
                .table(MessageFiles::Table)
                .col(
                    ColumnDef::new(MessageFiles::FileId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(MessageFiles::ConversationId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(MessageFiles::Seq).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(MessageFiles::FileId)
                        .col(MessageFiles::ConversationId)
                        .col(MessageFiles::Seq),
                )
                .to_owned(),
        )
        .await
    }
}
