//! Accounts' rows: creating, finding and searching users, profile and sign-in fields,
//! status and role, scrubbing a deleted account, and the counts.

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, UserId};
use sea_orm::DbErr;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::{identities, users};
use super::{Taken, WriteError};
use crate::accounts::model::{Role, Status, User};
use crate::infra::store::{StoreError, from_ms, like_escape, to_ms};

fn user_of(m: users::Model) -> User {
    User {
        id: UserId(m.id),
        username: m.username,
        email: m.email,
        email_verified: m.email_verified,
        phone: m.phone,
        phone_verified: m.phone_verified,
        password_hash: m.password_hash,
        nickname: m.nickname,
        avatar: m.avatar.map(FileId),
        bio: m.bio,
        gender: m.gender,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        status: Status::parse(&m.status),
        role: Role::parse(&m.role),
        level: u32::try_from(m.level).unwrap_or(0),
        vip_until: m.vip_until.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// A new account.
pub struct NewUser<'a> {
    /// Id.
    pub id: UserId,
    /// Normalised username.
    pub username: &'a str,
    /// Normalised email.
    pub email: Option<&'a str>,
    /// Verified by a code.
    pub email_verified: bool,
    /// E.164 phone.
    pub phone: Option<&'a str>,
    /// Verified by a code.
    pub phone_verified: bool,
    /// argon2id hash.
    pub password_hash: Option<&'a str>,
    /// Display name.
    pub nickname: &'a str,
    /// Role.
    pub role: Role,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Inserts an account; a duplicate username, email or phone is [`WriteError::Taken`].
pub async fn create_user(db: &impl ConnectionTrait, u: NewUser<'_>) -> Result<(), WriteError> {
    users::ActiveModel {
        id: Set(u.id.0),
        username: Set(u.username.to_owned()),
        email: Set(u.email.map(str::to_owned)),
        email_verified: Set(u.email_verified),
        phone: Set(u.phone.map(str::to_owned)),
        phone_verified: Set(u.phone_verified),
        password_hash: Set(u.password_hash.map(str::to_owned)),
        nickname: Set(u.nickname.to_owned()),
        avatar: Set(None),
        bio: Set(String::new()),
        gender: Set("unspecified".into()),
        tags: Set("[]".into()),
        status: Set(Status::Active.as_str().into()),
        role: Set(u.role.as_str().into()),
        level: Set(0),
        vip_until: Set(None),
        created_at: Set(to_ms(u.now)),
        updated_at: Set(to_ms(u.now)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The user with this id.
pub async fn find_user(db: &impl ConnectionTrait, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(users::Entity::find_by_id(id.0).one(db).await?.map(user_of))
}

/// The users with these ids (missing ids are left out), at most 500 per call.
pub async fn find_users(
    db: &impl ConnectionTrait,
    ids: &[UserId],
) -> Result<Vec<User>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            users::Entity::find()
                .filter(users::Column::Id.is_in(chunk.iter().map(|u| u.0)))
                .all(db)
                .await?
                .into_iter()
                .map(user_of),
        );
    }
    Ok(out)
}

/// The user with this (normalised) username, email or phone.
pub async fn find_user_by(
    db: &impl ConnectionTrait,
    field: Taken,
    value: &str,
) -> Result<Option<User>, StoreError> {
    let col = match field {
        Taken::Username => users::Column::Username,
        Taken::Email => users::Column::Email,
        Taken::Phone => users::Column::Phone,
        Taken::Identity => return Ok(None),
    };
    Ok(users::Entity::find()
        .filter(col.eq(value))
        .one(db)
        .await?
        .map(user_of))
}

/// Users matching a search: exact id / username / email / phone first (on the first page),
/// then nicknames containing `q` literally (`%` and `_` match themselves), by id, after the
/// cursor. Only active users.
pub async fn search_users(
    db: &impl ConnectionTrait,
    q: &str,
    exact: &[(Taken, String)],
    exact_id: Option<UserId>,
    after: Option<UserId>,
    limit: u64,
) -> Result<(Vec<User>, Vec<User>), StoreError> {
    let active = users::Column::Status.eq(Status::Active.as_str());
    let mut exact_hits = Vec::new();
    if after.is_none() {
        let mut cond = sea_orm::Condition::any();
        if let Some(id) = exact_id {
            cond = cond.add(users::Column::Id.eq(id.0));
        }
        for (field, value) in exact {
            cond = match field {
                Taken::Username => cond.add(users::Column::Username.eq(value.as_str())),
                Taken::Email => cond.add(users::Column::Email.eq(value.as_str())),
                Taken::Phone => cond.add(users::Column::Phone.eq(value.as_str())),
                Taken::Identity => cond,
            };
        }
        if !cond.is_empty() {
            exact_hits = users::Entity::find()
                .filter(active.clone())
                .filter(cond)
                .limit(5)
                .all(db)
                .await?
                .into_iter()
                .map(user_of)
                .collect();
        }
    }
    // Case-insensitive for ASCII on every backend (SQLite's LIKE already is; MySQL's binary
    // collation is not, so both sides are lowered).
    let pattern = format!("%{}%", like_escape(&q.to_lowercase()));
    let mut fuzzy = users::Entity::find()
        .filter(active)
        .filter(
            Expr::expr(Func::lower(Expr::col(users::Column::Nickname)))
                .like(LikeExpr::new(pattern).escape('\\')),
        )
        .order_by_asc(users::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        fuzzy = fuzzy.filter(users::Column::Id.gt(after.0));
    }
    let fuzzy = fuzzy.all(db).await?.into_iter().map(user_of).collect();
    Ok((exact_hits, fuzzy))
}

/// The profile fields that may change.
#[derive(Default)]
pub struct ProfileChange {
    /// New nickname.
    pub nickname: Option<String>,
    /// New avatar (`Some(None)` removes it).
    pub avatar: Option<Option<FileId>>,
    /// New bio.
    pub bio: Option<String>,
    /// New gender.
    pub gender: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
}

/// Applies a profile change.
pub async fn update_profile(
    db: &impl ConnectionTrait,
    id: UserId,
    c: ProfileChange,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut m = users::ActiveModel {
        id: Set(id.0),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    };
    if let Some(v) = c.nickname {
        m.nickname = Set(v);
    }
    if let Some(v) = c.avatar {
        m.avatar = Set(v.map(|f| f.0));
    }
    if let Some(v) = c.bio {
        m.bio = Set(v);
    }
    if let Some(v) = c.gender {
        m.gender = Set(v);
    }
    if let Some(v) = c.tags {
        m.tags = Set(serde_json::to_string(&v).unwrap_or_else(|_| "[]".into()));
    }
    m.update(db).await?;
    Ok(())
}

/// Sets (or clears) the password hash.
pub async fn set_password(
    db: &impl ConnectionTrait,
    id: UserId,
    hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    users::ActiveModel {
        id: Set(id.0),
        password_hash: Set(hash.map(str::to_owned)),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Binds (`Some`, verified) or unbinds (`None`) the email.
pub async fn set_email(
    db: &impl ConnectionTrait,
    id: UserId,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    users::ActiveModel {
        id: Set(id.0),
        email: Set(email.map(str::to_owned)),
        email_verified: Set(email.is_some()),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Binds (`Some`, verified) or unbinds (`None`) the phone.
pub async fn set_phone(
    db: &impl ConnectionTrait,
    id: UserId,
    phone: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), WriteError> {
    users::ActiveModel {
        id: Set(id.0),
        phone: Set(phone.map(str::to_owned)),
        phone_verified: Set(phone.is_some()),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets the account status; `false` if there is no such user.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: UserId,
    status: Status,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = users::Entity::update_many()
        .col_expr(users::Column::Status, Expr::value(status.as_str()))
        .col_expr(users::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Sets the role.
pub async fn set_role(
    db: &impl ConnectionTrait,
    id: UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    users::Entity::update_many()
        .col_expr(users::Column::Role, Expr::value(role.as_str()))
        .col_expr(users::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an account's personal data and marks it deleted: the username, email and phone
/// are freed, the password and identities removed. The row stays so that messages and
/// references keep pointing at "a deleted user".
pub async fn scrub_user(
    db: &DatabaseConnection,
    id: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    users::ActiveModel {
        id: Set(id.0),
        username: Set(format!("deleted.{}", id.0)),
        email: Set(None),
        email_verified: Set(false),
        phone: Set(None),
        phone_verified: Set(false),
        password_hash: Set(None),
        nickname: Set("Deleted user".into()),
        avatar: Set(None),
        bio: Set(String::new()),
        gender: Set("unspecified".into()),
        tags: Set("[]".into()),
        status: Set(Status::Deleted.as_str().into()),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    identities::Entity::delete_many()
        .filter(identities::Column::UserId.eq(id.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Accounts not deleted, and of those the disabled ones.
pub async fn count_users(db: &impl ConnectionTrait) -> Result<(u64, u64), StoreError> {
    use sea_orm::PaginatorTrait;
    let live = users::Entity::find()
        .filter(users::Column::Status.ne(Status::Deleted.as_str()))
        .count(db)
        .await?;
    let disabled = users::Entity::find()
        .filter(users::Column::Status.eq(Status::Disabled.as_str()))
        .count(db)
        .await?;
    Ok((live, disabled))
}

/// Sets a user's level (gifts: lifetime spend crossed a threshold), in the caller's
/// transaction.
pub async fn set_level(db: &impl ConnectionTrait, id: UserId, level: u32) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::Level, Expr::value(i64::from(level)))
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Sets (or clears) a user's VIP expiry, in the caller's transaction.
pub async fn set_vip_until(
    db: &impl ConnectionTrait,
    id: UserId,
    until: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    users::Entity::update_many()
        .col_expr(users::Column::VipUntil, Expr::value(until.map(to_ms)))
        .filter(users::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}
