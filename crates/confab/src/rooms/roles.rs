//! Who the caller is in a room, and who may act on whom.

use confab_proto::ids::UserId;
use confab_proto::rooms::RoomRole;
use sea_orm::ConnectionTrait;

use super::error::RoomsError;
use super::model::Room;
use super::store;
use crate::accounts::auth::AuthUser;
use crate::accounts::model::Role;
use crate::error::ApiError;

/// The caller: a user, and whether they are a system administrator (who acts with the
/// owner's authority in any room).
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    /// The user.
    pub id: UserId,
    /// A system administrator.
    pub sysadmin: bool,
}

impl From<AuthUser> for Actor {
    fn from(a: AuthUser) -> Self {
        Self {
            id: a.user_id,
            sysadmin: a.role == Role::Admin,
        }
    }
}

/// `user`'s role in `room` as others see it.
pub async fn role_of(
    db: &impl ConnectionTrait,
    room: &Room,
    user: UserId,
) -> Result<RoomRole, ApiError> {
    if room.owner_id == user {
        return Ok(RoomRole::Owner);
    }
    if store::moderation::is_admin(db, room.id, user).await? {
        return Ok(RoomRole::Admin);
    }
    Ok(RoomRole::Member)
}

/// The authority the caller acts with: their role, or the owner's for a system administrator.
pub async fn authority(
    db: &impl ConnectionTrait,
    room: &Room,
    me: Actor,
) -> Result<RoomRole, ApiError> {
    if me.sysadmin {
        return Ok(RoomRole::Owner);
    }
    role_of(db, room, me.id).await
}

/// Requires the owner or an admin.
pub async fn manager(
    db: &impl ConnectionTrait,
    room: &Room,
    me: Actor,
) -> Result<RoomRole, ApiError> {
    match authority(db, room, me).await? {
        RoomRole::Member => Err(RoomsError::ManagersOnly.into()),
        r => Ok(r),
    }
}

/// Requires the owner (or a system administrator).
pub async fn owner(db: &impl ConnectionTrait, room: &Room, me: Actor) -> Result<(), ApiError> {
    match authority(db, room, me).await? {
        RoomRole::Owner => Ok(()),
        _ => Err(RoomsError::OwnerOnly.into()),
    }
}

/// Requires a manager who outranks `target` (the owner outranks admins and members, an admin
/// only members; nobody acts on the owner). Acting on oneself is refused.
pub async fn over(
    db: &impl ConnectionTrait,
    room: &Room,
    me: Actor,
    target: UserId,
) -> Result<RoomRole, ApiError> {
    if target == me.id {
        return Err(RoomsError::SelfTarget.into());
    }
    let mine = manager(db, room, me).await?;
    let theirs = role_of(db, room, target).await?;
    let ok = match mine {
        RoomRole::Owner => theirs != RoomRole::Owner,
        RoomRole::Admin => theirs == RoomRole::Member,
        RoomRole::Member => false,
    };
    if !ok {
        return Err(RoomsError::Outranked.into());
    }
    Ok(theirs)
}
