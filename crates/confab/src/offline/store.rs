//! Offline push's SQL: the `push_settings` table (a row only for users who changed a
//! setting).

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::infra::store::{StoreError, to_ms};

mod push_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "push_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub private_previews: bool,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The user's `private_previews`, if they ever set it.
pub async fn find_private_previews(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Option<bool>, StoreError> {
    Ok(push_settings::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map(|m| m.private_previews))
}

/// Sets the user's `private_previews` (insert or update).
pub async fn set_private_previews(
    db: &impl ConnectionTrait,
    user: UserId,
    private: bool,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    push_settings::Entity::insert(push_settings::ActiveModel {
        user_id: Set(user.0),
        private_previews: Set(private),
        updated_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::column(push_settings::Column::UserId)
            .update_columns([
                push_settings::Column::PrivatePreviews,
                push_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
