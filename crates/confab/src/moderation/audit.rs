//! The audit log: every change an administrator (or a channel moderator) makes, written
//! after it took effect (act, then audit: an audit row never claims what did not happen).
//! It lives here, below the features that act, so each of them can write it; the admin API
//! reads it.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::error::ApiError;
use crate::infra::store::{StoreError, from_ms, to_ms};
use crate::state::AppState;

mod rows {
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

fn entry_of(m: rows::Model) -> AuditEntry {
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
async fn insert(db: &impl ConnectionTrait, e: &AuditEntry) -> Result<(), StoreError> {
    rows::ActiveModel {
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
async fn list_rows(
    db: &impl ConnectionTrait,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut q = rows::Entity::find();
    if let Some(b) = before {
        q = q.filter(rows::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(rows::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(entry_of)
        .collect())
}

/// Writes one audit entry; returns its id.
pub async fn audit(
    state: &AppState,
    actor: UserId,
    action: &str,
    target_kind: &str,
    target_id: String,
    details: serde_json::Value,
) -> Result<i64, ApiError> {
    let entry = AuditEntry {
        id: state.ids.next_id(),
        actor,
        action: action.to_owned(),
        target_kind: target_kind.to_owned(),
        target_id,
        details: details.to_string(),
        created_at: state.clock.now(),
    };
    if let Err(e) = insert(state.store.writer(), &entry).await {
        // The action itself took effect; say so loudly rather than hide it.
        tracing::error!(error = %e, action, actor = %actor, "audit entry not written");
        return Err(e.into());
    }
    Ok(entry.id)
}

/// Entries newest first, older than `before` (an id cursor), at most `limit`.
pub async fn list(
    state: &AppState,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, ApiError> {
    Ok(list_rows(state.store.reader(), before, limit).await?)
}
