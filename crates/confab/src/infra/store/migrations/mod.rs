//! One versioned migration set for every database. An applied migration is never edited;
//! a change is a new migration. Table options (utf8mb4, binary collation) are added on MySQL
//! by [`create_table`], so each migration states its schema once.
//!
//! Size: a migration's `up` is one declarative list of tables, columns and indexes, often
//! longer than the ~80 lines the house keeps functions to; it stays whole, because an applied
//! migration is never edited (a change is a new migration).

mod m0001_users;
mod m0002_sessions;
mod m0003_uploads;
mod m0004_messaging;
mod m0005_moderation;
mod m0006_message_files;
mod m0008_social;
mod m0009_groups;
mod m0010_admin;
mod m0011_rooms;
mod m0012_file_lookups;
mod m0013_gifts;
mod m0014_calls;
mod m0015_moments;
mod m0016_gift_senders;
mod m0017_signup_invites;
mod m0018_push_settings;

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

/// Every migration, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_users::Migration),
            Box::new(m0002_sessions::Migration),
            Box::new(m0003_uploads::Migration),
            Box::new(m0004_messaging::Migration),
            Box::new(m0005_moderation::Migration),
            Box::new(m0006_message_files::Migration),
            Box::new(m0008_social::Migration),
            Box::new(m0009_groups::Migration),
            Box::new(m0010_admin::Migration),
            Box::new(m0011_rooms::Migration),
            Box::new(m0012_file_lookups::Migration),
            Box::new(m0013_gifts::Migration),
            Box::new(m0014_calls::Migration),
            Box::new(m0015_moments::Migration),
            Box::new(m0016_gift_senders::Migration),
            Box::new(m0017_signup_invites::Migration),
            Box::new(m0018_push_settings::Migration),
        ]
    }
}

/// Creates a table with the options every Confab table gets on MySQL: utf8mb4 with a binary
/// collation, so strings compare byte for byte as they do on SQLite (case-insensitive
/// uniqueness uses a normalised column instead).
pub(crate) async fn create_table(
    manager: &SchemaManager<'_>,
    mut table: TableCreateStatement,
) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::MySql {
        table
            .engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_bin");
    }
    manager.create_table(table).await
}
