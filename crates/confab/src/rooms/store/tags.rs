//! The admin-managed list of room tags.

use chrono::{DateTime, Utc};
use confab_proto::rooms::RoomTagOut;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Set};

use super::entities::tags;
use crate::infra::store::{StoreError, to_ms};

/// Every tag, highest weight first, then by name.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<RoomTagOut>, StoreError> {
    Ok(tags::Entity::find()
        .order_by_desc(tags::Column::Weight)
        .order_by_asc(tags::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| RoomTagOut {
            name: t.name,
            weight: t.weight,
        })
        .collect())
}

/// Whether `name` is a tag.
pub async fn exists(db: &impl ConnectionTrait, name: &str) -> Result<bool, StoreError> {
    Ok(tags::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Adds a tag or changes its weight.
pub async fn put(
    db: &impl ConnectionTrait,
    name: &str,
    weight: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tags::Entity::insert(tags::ActiveModel {
        name: Set(name.to_owned()),
        weight: Set(weight),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::column(tags::Column::Name)
            .update_column(tags::Column::Weight)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Removes a tag; whether it was there. Rooms keep the name they had.
pub async fn delete(db: &impl ConnectionTrait, name: &str) -> Result<bool, StoreError> {
    Ok(tags::Entity::delete_by_id(name.to_owned())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}
