//! Discovery: how a viewer relates to users, and who may find a user by which field.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use confab_proto::social::{FriendRequestStatus, Relation};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::super::model::{Privacy, status_str};
use super::entities::{blocks, friend_requests, friendships, privacy_settings};
use crate::infra::store::{StoreError, to_ms};

/// How `viewer` relates to each of `others` (a few queries for the whole list).
pub async fn relations(
    db: &impl ConnectionTrait,
    viewer: UserId,
    others: &[UserId],
) -> Result<HashMap<UserId, Relation>, StoreError> {
    let mut out: HashMap<UserId, Relation> = others.iter().map(|u| (*u, Relation::None)).collect();
    if others.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = others.iter().map(|u| u.0).collect();
    let pending = status_str(FriendRequestStatus::Pending);
    let incoming: Vec<i64> = friend_requests::Entity::find()
        .select_only()
        .column(friend_requests::Column::FromId)
        .filter(friend_requests::Column::ToId.eq(viewer.0))
        .filter(friend_requests::Column::Status.eq(pending))
        .filter(friend_requests::Column::FromId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let outgoing: Vec<i64> = friend_requests::Entity::find()
        .select_only()
        .column(friend_requests::Column::ToId)
        .filter(friend_requests::Column::FromId.eq(viewer.0))
        .filter(friend_requests::Column::Status.eq(pending))
        .filter(friend_requests::Column::ToId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let friends: Vec<i64> = friendships::Entity::find()
        .select_only()
        .column(friendships::Column::FriendId)
        .filter(friendships::Column::UserId.eq(viewer.0))
        .filter(friendships::Column::FriendId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let blocked: Vec<i64> = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::BlockedId)
        .filter(blocks::Column::UserId.eq(viewer.0))
        .filter(blocks::Column::BlockedId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    // Weakest first, so the strongest relation wins.
    for (list, rel) in [
        (incoming, Relation::RequestedIn),
        (outgoing, Relation::RequestedOut),
        (friends, Relation::Friend),
        (blocked, Relation::Blocked),
    ] {
        for id in list {
            out.insert(UserId(id), rel);
        }
    }
    if out.contains_key(&viewer) {
        out.insert(viewer, Relation::Myself);
    }
    Ok(out)
}

/// `user`'s discovery settings (the defaults when never set).
pub async fn find_privacy(db: &impl ConnectionTrait, user: UserId) -> Result<Privacy, StoreError> {
    Ok(privacy_settings::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map_or_else(Privacy::default, |p| Privacy {
            by_username: p.findable_by_username,
            by_email: p.findable_by_email,
            by_phone: p.findable_by_phone,
        }))
}

/// Stores `user`'s discovery settings.
pub async fn set_privacy(
    db: &impl ConnectionTrait,
    user: UserId,
    p: Privacy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    privacy_settings::Entity::insert(privacy_settings::ActiveModel {
        user_id: Set(user.0),
        findable_by_username: Set(p.by_username),
        findable_by_email: Set(p.by_email),
        findable_by_phone: Set(p.by_phone),
        updated_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::column(privacy_settings::Column::UserId)
            .update_columns([
                privacy_settings::Column::FindableByUsername,
                privacy_settings::Column::FindableByEmail,
                privacy_settings::Column::FindableByPhone,
                privacy_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
