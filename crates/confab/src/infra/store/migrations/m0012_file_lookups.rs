//! Indexes for media's "may this user read this file?" questions asked of features: group
//! avatars by file id (room covers have theirs in m0011).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_file_lookups"
    }
}

#[derive(DeriveIden)]
enum ChatGroups {
    Table,
    Avatar,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_groups_avatar")
                    .table(ChatGroups::Table)
                    .col(ChatGroups::Avatar)
                    .to_owned(),
            )
            .await
    }
}
