//! Linked provider identities: `(provider, subject)` → user.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::identities;
use super::{Taken, WriteError};
use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};

/// Links a provider identity to a user; an identity linked elsewhere, or a second identity
/// of the same provider for this user, is [`WriteError::Taken`].
pub async fn create_identity(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
    user: UserId,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    identities::ActiveModel {
        provider: Set(provider.to_owned()),
        subject: Set(subject.to_owned()),
        user_id: Set(user.0),
        email: Set(email.map(str::to_owned)),
        created_at: Set(to_ms(now)),
    }
    .insert(db)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(_) => WriteError::Taken(Taken::Identity),
        None => WriteError::Store(e.into()),
    })?;
    Ok(())
}

/// A user's linked identities: (provider, email at the provider, linked at).
pub async fn list_identities(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<(String, Option<String>, DateTime<Utc>)>, StoreError> {
    Ok(identities::Entity::find()
        .filter(identities::Column::UserId.eq(user.0))
        .order_by_asc(identities::Column::Provider)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.provider, m.email, from_ms(m.created_at)))
        .collect())
}

/// The user a provider identity is linked to.
pub async fn find_identity(
    db: &impl ConnectionTrait,
    provider: &str,
    subject: &str,
) -> Result<Option<UserId>, StoreError> {
    Ok(
        identities::Entity::find_by_id((provider.to_owned(), subject.to_owned()))
            .one(db)
            .await?
            .map(|m| UserId(m.user_id)),
    )
}

/// Unlinks a provider identity; `false` if none was linked.
pub async fn delete_identity(
    db: &impl ConnectionTrait,
    user: UserId,
    provider: &str,
) -> Result<bool, StoreError> {
    let res = identities::Entity::delete_many()
        .filter(identities::Column::UserId.eq(user.0))
        .filter(identities::Column::Provider.eq(provider))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
