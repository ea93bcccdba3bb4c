//! The rooms tables. Private to the feature: other features reach rooms through its
//! service functions. Writes that belong to a seat or presence change take the caller's
//! transaction, opened by `change::locked` under the room's lock.

mod entities;
pub(super) mod moderation;
pub(super) mod presence;
pub(super) mod requests;
pub(super) mod rooms;
pub(super) mod seats;
pub(super) mod tags;

/// Open rooms whose cover is `file`.
pub(super) async fn covers_in_use(
    db: &impl sea_orm::ConnectionTrait,
    file: confab_proto::ids::FileId,
) -> Result<u64, crate::infra::store::StoreError> {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    Ok(entities::rooms::Entity::find()
        .filter(entities::rooms::Column::Cover.eq(file.0))
        .filter(entities::rooms::Column::ClosedAt.is_null())
        .count(db)
        .await?)
}
