//! The admin feature's SQL: the audit log, and the counts behind `GET /admin/stats`.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};

use crate::infra::store::{StoreError, from_ms, to_ms};

mod audit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub actor_id: i64,
        pub action: String,
        pub target_kind: String,
        pub target_id: String,
        pub details: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Id (a snowflake: newest is largest).
    pub id: i64,
    /// The administrator.
    pub actor: UserId,
    /// What was done (`user.disable`…).
    pub action: String,
    /// What kind of thing it was done to.
    pub target_kind: String,
    /// Which one.
    pub target_id: String,
    /// Details JSON text.
    pub details: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn entry_of(m: audit::Model) -> AuditEntry {
    AuditEntry {
        id: m.id,
        actor: UserId(m.actor_id),
        action: m.action,
        target_kind: m.target_kind,
        target_id: m.target_id,
        details: m.details,
        created_at: from_ms(m.created_at),
    }
}

/// Appends an entry.
pub async fn insert_audit(db: &impl ConnectionTrait, e: &AuditEntry) -> Result<(), StoreError> {
    audit::ActiveModel {
        id: Set(e.id),
        actor_id: Set(e.actor.0),
        action: Set(e.action.clone()),
        target_kind: Set(e.target_kind.clone()),
        target_id: Set(e.target_id.clone()),
        details: Set(e.details.clone()),
        created_at: Set(to_ms(e.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Entries newest first, older than `before` (an id cursor), at most `limit`.
pub async fn list_audit(
    db: &impl ConnectionTrait,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut q = audit::Entity::find();
    if let Some(b) = before {
        q = q.filter(audit::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(audit::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(entry_of)
        .collect())
}

async fn count(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<u64, StoreError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The store's counts for the stats page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Accounts not deleted.
    pub users: u64,
    /// Disabled accounts.
    pub users_disabled: u64,
    /// Groups not dissolved.
    pub groups: u64,
    /// Messages stored at or after `since`.
    pub messages_since: u64,
}

/// Counts users, groups (0 while the groups table does not exist) and messages stored at or
/// after `since` (a range over `ix_messages_created_at`).
pub async fn counts(db: &DatabaseConnection, since: DateTime<Utc>) -> Result<Counts, StoreError> {
    let users = count(
        db,
        "SELECT COUNT(*) AS n FROM users WHERE status <> 'deleted'",
        Vec::new(),
    )
    .await?;
    let users_disabled = count(
        db,
        "SELECT COUNT(*) AS n FROM users WHERE status = 'disabled'",
        Vec::new(),
    )
    .await?;
    let manager = sea_orm_migration::SchemaManager::new(db);
    let groups = if manager.has_table("chat_groups").await? {
        count(
            db,
            "SELECT COUNT(*) AS n FROM chat_groups WHERE dissolved_at IS NULL",
            Vec::new(),
        )
        .await?
    } else {
        0
    };
    let messages_since = count(
        db,
        "SELECT COUNT(*) AS n FROM messages WHERE created_at >= ?",
        vec![to_ms(since).into()],
    )
    .await?;
    Ok(Counts {
        users,
        users_disabled,
        groups,
        messages_since,
    })
}
