//! The accounts feature's SQL: users, sessions, refresh tokens, identities.
//! Entities are private; the rest of the feature sees [`User`] and the row structs here.

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, SessionId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::model::{Role, Status, User};
use crate::infra::store::{StoreError, from_ms, like_escape, to_ms, unique_violation};

mod users {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub username: String,
        pub email: Option<String>,
        pub email_verified: bool,
        pub phone: Option<String>,
        pub phone_verified: bool,
        pub password_hash: Option<String>,
        pub nickname: String,
        pub avatar: Option<i64>,
        pub bio: String,
        pub gender: String,
        pub tags: String,
        pub status: String,
        pub role: String,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub user_id: i64,
        pub device: String,
        pub ip: String,
        pub user_agent: String,
        pub created_at: i64,
        pub last_used_at: i64,
        pub expires_at: i64,
        pub revoked_at: Option<i64>,
        pub revoke_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod refresh_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub session_id: i64,
        pub created_at: i64,
        pub rotated_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod identities {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub provider: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        pub user_id: i64,
        pub email: Option<String>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which unique field a write collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// `username`
    Username,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// a provider identity
    Identity,
}

/// A write that may collide with a unique field.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another row holds the value.
    #[error("already taken: {0:?}")]
    Taken(Taken),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for WriteError {
    fn from(e: DbErr) -> Self {
        match unique_violation(&e) {
            Some(msg) if msg.contains("username") => WriteError::Taken(Taken::Username),
            Some(msg) if msg.contains("email") => WriteError::Taken(Taken::Email),
            Some(msg) if msg.contains("phone") => WriteError::Taken(Taken::Phone),
            Some(_) => WriteError::Taken(Taken::Identity),
            None => WriteError::Store(StoreError::from(e)),
        }
    }
}

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
        created_at: from_ms(m.created_at),
    }
}

/// A session row.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Id.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Device name.
    pub device: String,
    /// IP at sign-in.
    pub ip: String,
    /// User-Agent at sign-in.
    pub user_agent: String,
    /// Signed in.
    pub created_at: DateTime<Utc>,
    /// Last sign-in or refresh.
    pub last_used_at: DateTime<Utc>,
    /// Expiry unless refreshed.
    pub expires_at: DateTime<Utc>,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SessionRow {
    /// Whether it can still be used at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

fn session_of(m: sessions::Model) -> SessionRow {
    SessionRow {
        id: SessionId(m.id),
        user_id: UserId(m.user_id),
        device: m.device,
        ip: m.ip,
        user_agent: m.user_agent,
        created_at: from_ms(m.created_at),
        last_used_at: from_ms(m.last_used_at),
        expires_at: from_ms(m.expires_at),
        revoked_at: m.revoked_at.map(from_ms),
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

/// A new session with its first refresh token.
pub struct NewSession<'a> {
    /// Id.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Device name.
    pub device: &'a str,
    /// Client IP.
    pub ip: &'a str,
    /// Client User-Agent.
    pub user_agent: &'a str,
    /// SHA-256 of the refresh token.
    pub token_hash: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

// ---------------------------------------------------------------- create

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
        created_at: Set(to_ms(u.now)),
        updated_at: Set(to_ms(u.now)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Inserts a session and its first refresh token, in one transaction.
pub async fn create_session(db: &DatabaseConnection, s: NewSession<'_>) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    sessions::ActiveModel {
        id: Set(s.id.0),
        user_id: Set(s.user_id.0),
        device: Set(s.device.to_owned()),
        ip: Set(s.ip.to_owned()),
        user_agent: Set(s.user_agent.to_owned()),
        created_at: Set(to_ms(s.now)),
        last_used_at: Set(to_ms(s.now)),
        expires_at: Set(to_ms(s.expires_at)),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    refresh_tokens::ActiveModel {
        token_hash: Set(s.token_hash.to_owned()),
        session_id: Set(s.id.0),
        created_at: Set(to_ms(s.now)),
        rotated_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

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

// ---------------------------------------------------------------- read

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

/// A session by id.
pub async fn find_session(
    db: &impl ConnectionTrait,
    id: SessionId,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(session_of))
}

/// A refresh token's row: its session, and whether it was already exchanged.
pub async fn find_refresh(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<(SessionId, bool)>, StoreError> {
    Ok(refresh_tokens::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await?
        .map(|m| (SessionId(m.session_id), m.rotated_at.is_some())))
}

/// A user's sessions that are still live at `now`, newest first.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<SessionRow>, StoreError> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(to_ms(now)))
        .order_by_desc(sessions::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(session_of)
        .collect())
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

// ---------------------------------------------------------------- update

/// Exchanges a refresh token: marks `old` rotated — only if it was not already — and adds
/// `new` to the same session, sliding the session's expiry. `false` when `old` had already
/// been exchanged (a replay, or a concurrent refresh that lost the race).
pub async fn rotate_refresh(
    db: &DatabaseConnection,
    old: &str,
    new: &str,
    session: SessionId,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(to_ms(now)))
        .filter(refresh_tokens::Column::TokenHash.eq(old))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    refresh_tokens::ActiveModel {
        token_hash: Set(new.to_owned()),
        session_id: Set(session.0),
        created_at: Set(to_ms(now)),
        rotated_at: Set(None),
    }
    .insert(&txn)
    .await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(to_ms(now)))
        .col_expr(sessions::Column::ExpiresAt, Expr::value(to_ms(expires_at)))
        .filter(sessions::Column::Id.eq(session.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Revokes one session; `false` if it was already revoked or is not the user's.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    user: Option<UserId>,
    id: SessionId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(to_ms(now)))
        .col_expr(sessions::Column::RevokeReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(id.0))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(user) = user {
        q = q.filter(sessions::Column::UserId.eq(user.0));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Revokes every live session of a user but `except`; returns the ones revoked.
pub async fn revoke_user_sessions(
    db: &DatabaseConnection,
    user: UserId,
    except: Option<SessionId>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>, StoreError> {
    let txn = db.begin().await?;
    let mut find = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = except {
        find = find.filter(sessions::Column::Id.ne(keep.0));
    }
    let ids: Vec<i64> = find.into_tuple().all(&txn).await?;
    if !ids.is_empty() {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(to_ms(now)))
            .col_expr(sessions::Column::RevokeReason, Expr::value(reason))
            .filter(sessions::Column::Id.is_in(ids.clone()))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids.into_iter().map(SessionId).collect())
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

// ---------------------------------------------------------------- delete

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
