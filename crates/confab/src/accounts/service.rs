//! Account rules: sign-up, password sign-in, sessions and refresh rotation, profiles,
//! search, and administrative status changes.

use std::net::IpAddr;
use std::time::Duration;

use chrono::Utc;
use confab_proto::ErrorCode;
use confab_proto::accounts::{
    DeleteMeIn, LoginIn, MeOut, MePatch, Page, PasswordChangeIn, RegisterIn, SessionOut, TokenOut,
    UserOut, UserSearchQuery,
};
use confab_proto::ids::{SessionId, UserId};

use super::auth::AuthUser;
use super::model::{self, Role, Status, User};
use super::password::check_strength;
use super::store::{self, NewSession, NewUser, ProfileChange, Taken, WriteError};
use super::tokens::{hash_secret, new_refresh_token};
use crate::error::ApiError;
use crate::push::control::{self as events, Control};
use crate::ratelimit;
use crate::state::AppState;

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Taken(Taken::Username) => {
                ApiError::new(ErrorCode::UsernameTaken, "that username is taken")
                    .with_field("username")
            }
            WriteError::Taken(Taken::Email) => ApiError::new(
                ErrorCode::EmailTaken,
                "that email address belongs to another account",
            )
            .with_field("email"),
            WriteError::Taken(Taken::Phone) => ApiError::new(
                ErrorCode::PhoneTaken,
                "that phone number belongs to another account",
            )
            .with_field("phone"),
            WriteError::Taken(Taken::Identity) => ApiError::new(
                ErrorCode::IdentityLinked,
                "that provider account is linked to another user",
            ),
            WriteError::Store(e) => e.into(),
        }
    }
}

/// Where a sign-in comes from (for the session list and rate limits).
#[derive(Debug, Clone)]
pub struct Origin {
    /// Client IP.
    pub ip: IpAddr,
    /// Client User-Agent.
    pub user_agent: String,
    /// Device name given by the client.
    pub device: Option<String>,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Per-IP limit on sign-in / sign-up style endpoints.
pub async fn limit_ip(state: &AppState, what: &str, ip: IpAddr) -> Result<(), ApiError> {
    ratelimit::hit(
        state,
        &format!("{what}:ip:{ip}"),
        state.config.auth.attempts_per_ip_per_minute,
        MINUTE,
    )
    .await
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "wrong username, email, phone or password",
    )
}

/// A loaded user that may sign in, or the error that says why not.
pub fn usable(user: Option<User>) -> Result<User, ApiError> {
    match user {
        Some(u) if u.status == Status::Active => Ok(u),
        Some(u) if u.status == Status::Disabled => Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        )),
        _ => Err(invalid_credentials()),
    }
}

/// The user's row, whatever its status, from the primary when `fresh` (a decision that
/// must see its own writes), else from a reader.
pub async fn find_user(
    state: &AppState,
    id: UserId,
    fresh: bool,
) -> Result<Option<User>, ApiError> {
    let db = if fresh {
        state.store.writer()
    } else {
        state.store.reader()
    };
    Ok(store::find_user(db, id).await?)
}

/// Accounts not deleted, and of those the disabled ones (the admin stats).
pub async fn count_users(state: &AppState) -> Result<(u64, u64), ApiError> {
    Ok(store::count_users(state.store.reader()).await?)
}

/// The user, or 404.
pub async fn get_user(state: &AppState, id: UserId) -> Result<User, ApiError> {
    match store::find_user(state.store.reader(), id).await? {
        Some(u) if u.status != Status::Deleted => Ok(u),
        _ => Err(ApiError::new(ErrorCode::NotFound, "no such user")),
    }
}

/// Anyone's public profile.
pub async fn public_user(state: &AppState, id: UserId) -> Result<UserOut, ApiError> {
    Ok(get_user(state, id).await?.public())
}

/// The public profiles of these users, by id (deleted accounts and unknown ids are left
/// out), in one query.
pub async fn public_users(
    state: &AppState,
    ids: &[UserId],
) -> Result<std::collections::HashMap<UserId, UserOut>, ApiError> {
    Ok(store::find_users(state.store.reader(), ids)
        .await?
        .into_iter()
        .filter(|u| u.status != Status::Deleted)
        .map(|u| (u.id, u.public()))
        .collect())
}

/// Creates an account with a password and signs it in. An email or phone given here must
/// come with its verification code (so nobody can claim an address they do not hold).
pub async fn register(
    state: &AppState,
    input: RegisterIn,
    origin: Origin,
) -> Result<TokenOut, ApiError> {
    limit_ip(state, "register", origin.ip).await?;
    let username = model::normalize_username(&input.username)?;
    let (nickname, nickname_review) = match &input.nickname {
        Some(n) => screen_nickname(state, model::display_text("nickname", n, 1, 64)?)?,
        None => (username.clone(), None),
    };
    let email = input
        .email
        .as_deref()
        .map(model::normalize_email)
        .transpose()?;
    let phone = input
        .phone
        .as_deref()
        .map(model::normalize_phone)
        .transpose()?;
    let mut inputs = vec![username.as_str()];
    if let Some(e) = &email {
        inputs.push(e.split('@').next().unwrap_or(""));
    }
    check_strength(&input.password, &inputs)?;

    use crate::config::RequireVerified as R;
    let need = state.config.auth.require_verified;
    let missing = match need {
        R::None => false,
        R::Email => email.is_none(),
        R::Phone => phone.is_none(),
        R::EmailOrPhone => email.is_none() && phone.is_none(),
    };
    if missing {
        return Err(ApiError::new(
            ErrorCode::VerificationRequired,
            "sign-up needs a verified email or phone: request a code with POST /auth/codes (purpose `register`)",
        ));
    }
    // Check the codes before spending a hash; consume them only once everything else passed.
    if let Some(e) = &email {
        let code = input.email_code.as_deref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::VerificationRequired,
                "email_code is required with email",
            )
            .with_field("email_code")
        })?;
        super::codes::consume(
            state,
            super::codes::Channel::Email,
            e,
            super::codes::Purpose::Register,
            code,
        )
        .await?;
    }
    if let Some(p) = &phone {
        let code = input.phone_code.as_deref().ok_or_else(|| {
            ApiError::new(
                ErrorCode::VerificationRequired,
                "phone_code is required with phone",
            )
            .with_field("phone_code")
        })?;
        super::codes::consume(
            state,
            super::codes::Channel::Sms,
            p,
            super::codes::Purpose::Register,
            code,
        )
        .await?;
    }
    let hash = super::auth::context(state)
        .passwords
        .hash(&input.password)
        .await?;
    let id = UserId(state.ids.next_id());
    let now = state.clock.now();
    store::create_user(
        state.store.writer(),
        NewUser {
            id,
            username: &username,
            email: email.as_deref(),
            email_verified: email.is_some(),
            phone: phone.as_deref(),
            phone_verified: phone.is_some(),
            password_hash: Some(&hash),
            nickname: &nickname,
            role: Role::User,
            now,
        },
    )
    .await?;
    if let Some(original) = nickname_review {
        report_nickname(state, id, original).await;
    }
    let user = get_user(state, id).await?;
    tracing::info!(user_id = %id, "account created");
    start_session(state, &user, origin).await
}

/// Which column a login identifier names.
pub fn identify(login: &str) -> Result<(Taken, String), ApiError> {
    let login = login.trim();
    if login.contains('@') {
        Ok((
            Taken::Email,
            model::normalize_email(login).map_err(|_| invalid_credentials())?,
        ))
    } else if login.starts_with('+') {
        Ok((
            Taken::Phone,
            model::normalize_phone(login).map_err(|_| invalid_credentials())?,
        ))
    } else {
        // Not a valid username either: still run the dummy hash below, answer the same.
        Ok((Taken::Username, login.to_ascii_lowercase()))
    }
}

/// Password sign-in by username, email or phone. Unknown accounts and wrong passwords get
/// the same answer after the same work; failed attempts per identifier per hour are capped.
pub async fn login(state: &AppState, input: LoginIn, origin: Origin) -> Result<TokenOut, ApiError> {
    limit_ip(state, "login", origin.ip).await?;
    if input.login.chars().count() > 254 || input.password.chars().count() > 128 {
        return Err(invalid_credentials());
    }
    let (field, value) = identify(&input.login)?;
    let fail_key = format!("login-fail:{}", hash_secret(&value));
    let max = u64::from(state.config.auth.max_failed_logins_per_hour);
    let failures = state
        .cache
        .get(&fail_key)
        .await?
        .and_then(|v| {
            std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
        })
        .unwrap_or(0);
    if failures >= max {
        let retry = state
            .cache
            .ttl(&fail_key)
            .await?
            .map_or(3600, |d| d.as_secs() + 1);
        return Err(ApiError::new(
            ErrorCode::TooManyAttempts,
            "too many failed attempts for this account; try again later or reset the password",
        )
        .with_retry_after(retry));
    }
    let user = store::find_user_by(state.store.reader(), field, &value).await?;
    let hash = user
        .as_ref()
        .filter(|u| u.status != Status::Deleted)
        .and_then(|u| u.password_hash.as_deref());
    let ok = super::auth::context(state)
        .passwords
        .verify(&input.password, hash)
        .await?;
    if !ok {
        state.cache.incr(&fail_key, HOUR).await?;
        return Err(invalid_credentials());
    }
    let user = usable(user)?;
    state.cache.delete(&fail_key).await?;
    start_session(state, &user, origin).await
}

/// Opens a session for a user who proved who they are (password, code or provider).
pub async fn start_session(
    state: &AppState,
    user: &User,
    origin: Origin,
) -> Result<TokenOut, ApiError> {
    let now = state.clock.now();
    let refresh = new_refresh_token();
    let session = SessionId(state.ids.next_id());
    let device = model::device_name(origin.device.as_deref());
    store::create_session(
        state.store.writer(),
        NewSession {
            id: session,
            user_id: user.id,
            device: &device,
            ip: &origin.ip.to_string(),
            user_agent: &origin.user_agent,
            token_hash: &hash_secret(&refresh),
            now,
            expires_at: now + refresh_ttl(state),
        },
    )
    .await?;
    token_out(state, user, session, refresh)
}

fn refresh_ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::days(i64::try_from(state.config.auth.refresh_ttl_days).unwrap_or(30))
}

fn token_out(
    state: &AppState,
    user: &User,
    session: SessionId,
    refresh: String,
) -> Result<TokenOut, ApiError> {
    let access = super::auth::context(state)
        .tokens
        .issue(user.id, session, user.role, state.clock.now())
        .map_err(ApiError::internal)?;
    Ok(TokenOut {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: super::auth::context(state).tokens.ttl_secs(),
        refresh_token: refresh,
        session_id: session,
        user: user.me(),
    })
}

fn refresh_invalid() -> ApiError {
    ApiError::new(
        ErrorCode::RefreshTokenInvalid,
        "refresh token is invalid, expired or already used; sign in again",
    )
}

/// Exchanges a refresh token for new tokens. Each refresh token works once: presenting an
/// exchanged one again (a stolen copy, or a concurrent refresh that lost the race) revokes
/// the whole session, so no two live token chains can come from one token.
pub async fn refresh(state: &AppState, token: &str) -> Result<TokenOut, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Err(refresh_invalid());
    }
    let hash = hash_secret(token);
    let now = state.clock.now();
    let Some((session_id, rotated)) = store::find_refresh(state.store.writer(), &hash).await?
    else {
        return Err(refresh_invalid());
    };
    let session = store::find_session(state.store.writer(), session_id)
        .await?
        .ok_or_else(refresh_invalid)?;
    if rotated {
        tracing::warn!(session_id = %session_id, "refresh token reused: revoking the session");
        revoke(state, session.user_id, vec![session_id], "refresh_reuse").await?;
        return Err(refresh_invalid());
    }
    if !session.live(now) {
        return Err(refresh_invalid());
    }
    let user =
        usable(store::find_user(state.store.writer(), session.user_id).await?).map_err(|e| {
            if e.code() == ErrorCode::AccountDisabled {
                e
            } else {
                refresh_invalid()
            }
        })?;
    let next = new_refresh_token();
    let rotated_now = store::rotate_refresh(
        state.store.writer(),
        &hash,
        &hash_secret(&next),
        session_id,
        now,
        now + refresh_ttl(state),
    )
    .await?;
    if !rotated_now {
        tracing::warn!(session_id = %session_id, "concurrent refresh with one token: revoking the session");
        revoke(state, session.user_id, vec![session_id], "refresh_reuse").await?;
        return Err(refresh_invalid());
    }
    token_out(state, &user, session_id, next)
}

/// Revokes the listed sessions of `user` (already marked in the store, or marks them) and
/// tells every node: cached checks are dropped and sockets closed.
async fn revoke(
    state: &AppState,
    user: UserId,
    ids: Vec<SessionId>,
    reason: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    for id in &ids {
        store::revoke_session(state.store.writer(), Some(user), *id, reason, now).await?;
    }
    if !ids.is_empty() {
        events::publish(
            state,
            Control::SessionsRevoked {
                user_id: user,
                session_ids: ids,
            },
        )
        .await;
    }
    Ok(())
}

/// Revokes every session of `user` except `keep`; returns how many.
pub async fn revoke_all(
    state: &AppState,
    user: UserId,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize, ApiError> {
    let ids =
        store::revoke_user_sessions(state.store.writer(), user, keep, reason, state.clock.now())
            .await?;
    let n = ids.len();
    if n > 0 {
        events::publish(
            state,
            Control::SessionsRevoked {
                user_id: user,
                session_ids: ids,
            },
        )
        .await;
    }
    Ok(n)
}

/// Signs out the calling session.
pub async fn logout(state: &AppState, auth: AuthUser) -> Result<(), ApiError> {
    revoke(state, auth.user_id, vec![auth.session_id], "logout").await
}

/// Signs out every session of the caller, this one included.
pub async fn logout_all(state: &AppState, auth: AuthUser) -> Result<usize, ApiError> {
    revoke_all(state, auth.user_id, None, "logout_all").await
}

/// The caller's live sessions.
pub async fn list_sessions(state: &AppState, auth: AuthUser) -> Result<Vec<SessionOut>, ApiError> {
    let rows = store::list_sessions(state.store.reader(), auth.user_id, state.clock.now()).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionOut {
            current: s.id == auth.session_id,
            id: s.id,
            device: s.device,
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Revokes one of the caller's sessions (404 if it is not theirs or already gone).
pub async fn revoke_session(
    state: &AppState,
    auth: AuthUser,
    id: SessionId,
) -> Result<(), ApiError> {
    let revoked = store::revoke_session(
        state.store.writer(),
        Some(auth.user_id),
        id,
        "revoked_by_user",
        state.clock.now(),
    )
    .await?;
    if !revoked {
        return Err(ApiError::new(ErrorCode::NotFound, "no such session"));
    }
    events::publish(
        state,
        Control::SessionsRevoked {
            user_id: auth.user_id,
            session_ids: vec![id],
        },
    )
    .await;
    Ok(())
}

/// The caller's own account.
pub async fn me(state: &AppState, auth: AuthUser) -> Result<MeOut, ApiError> {
    Ok(get_user(state, auth.user_id).await?.me())
}

/// Edits the caller's profile.
pub async fn update_me(
    state: &AppState,
    auth: AuthUser,
    patch: MePatch,
) -> Result<MeOut, ApiError> {
    let mut c = ProfileChange::default();
    let mut review = None;
    if let Some(n) = &patch.nickname {
        let (nickname, original) =
            screen_nickname(state, model::display_text("nickname", n, 1, 64)?)?;
        c.nickname = Some(nickname);
        review = original;
    }
    if let Some(b) = &patch.bio {
        c.bio = Some(model::multiline_text("bio", b, 500)?);
    }
    if let Some(g) = &patch.gender {
        c.gender = Some(model::gender(g)?);
    }
    if let Some(t) = &patch.tags {
        c.tags = Some(model::tags(t)?);
    }
    if let Some(avatar) = patch.avatar {
        if let Some(file) = avatar {
            super::hooks::images(state)?
                .require_own_image(state, auth.user_id, file, "avatar")
                .await?;
        }
        c.avatar = Some(avatar);
    }
    store::update_profile(state.store.writer(), auth.user_id, c, state.clock.now()).await?;
    if let Some(original) = review {
        report_nickname(state, auth.user_id, original).await;
    }
    me(state, auth).await
}

/// Runs the sensitive-word filter over a nickname: the text to store (masked, or refused
/// with `content_blocked`), and the original when the action asks for a review.
fn screen_nickname(
    state: &AppState,
    nickname: String,
) -> Result<(String, Option<String>), ApiError> {
    let checked = crate::moderation::filter::check(state, "nickname", &nickname)?;
    if checked.review {
        Ok((checked.text, Some(nickname)))
    } else {
        Ok((checked.text, None))
    }
}

/// Files the filter's report on a user whose nickname it masked for review.
async fn report_nickname(state: &AppState, user: UserId, original: String) {
    use crate::moderation::screen::{Target, file_review};
    let reason = "sensitive word in nickname";
    file_review(state, Target::User(user), Some(user), reason, original).await;
}

/// Changes the password (proved by the old one, or by a code), and signs out every other
/// session.
pub async fn change_password(
    state: &AppState,
    auth: AuthUser,
    input: PasswordChangeIn,
) -> Result<(), ApiError> {
    let user = get_user(state, auth.user_id).await?;
    match (&input.old_password, &input.code_channel, &input.code) {
        (Some(old), _, _) => {
            if !super::auth::context(state)
                .passwords
                .verify(old, user.password_hash.as_deref())
                .await?
            {
                return Err(ApiError::new(
                    ErrorCode::InvalidCredentials,
                    "the current password is wrong",
                )
                .with_field("old_password"));
            }
        }
        (None, Some(channel), Some(code)) => {
            let channel = super::codes::Channel::parse(channel)?;
            let target = super::codes::account_target(&user, channel)?;
            super::codes::consume(
                state,
                channel,
                &target,
                super::codes::Purpose::ChangePassword,
                code,
            )
            .await?;
        }
        _ => {
            return Err(ApiError::invalid(
                "old_password",
                "give old_password, or code_channel and code",
            ));
        }
    }
    set_new_password(
        state,
        &user,
        &input.new_password,
        Some(auth.session_id),
        "password_changed",
    )
    .await?;
    Ok(())
}

/// Sets a user's new password — checked against the strength rule and the user's own
/// names, hashed — and signs out every session but `keep`. Returns how many were signed out.
pub async fn set_new_password(
    state: &AppState,
    user: &User,
    new_password: &str,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize, ApiError> {
    let mut inputs = vec![user.username.as_str()];
    if let Some(e) = &user.email {
        inputs.push(e.split('@').next().unwrap_or(""));
    }
    check_strength(new_password, &inputs).map_err(|e| e.with_field("new_password"))?;
    let hash = super::auth::context(state)
        .passwords
        .hash(new_password)
        .await?;
    store::set_password(
        state.store.writer(),
        user.id,
        Some(&hash),
        state.clock.now(),
    )
    .await?;
    revoke_all(state, user.id, keep, reason).await
}

/// Deletes the caller's account: personal data scrubbed, every session revoked.
pub async fn delete_me(
    state: &AppState,
    auth: AuthUser,
    input: DeleteMeIn,
) -> Result<(), ApiError> {
    let user = get_user(state, auth.user_id).await?;
    if let Some(hash) = user.password_hash.as_deref() {
        let given = input.password.as_deref().unwrap_or("");
        if !super::auth::context(state)
            .passwords
            .verify(given, Some(hash))
            .await?
        {
            return Err(
                ApiError::new(ErrorCode::InvalidCredentials, "the password is wrong")
                    .with_field("password"),
            );
        }
    }
    store::scrub_user(state.store.writer(), auth.user_id, state.clock.now()).await?;
    revoke_all(state, auth.user_id, None, "account_deleted").await?;
    tracing::info!(user_id = %auth.user_id, "account deleted");
    Ok(())
}

/// Searches users for `viewer`: an id, an exact username / email / phone (only where that
/// user allows being found by it), or part of a nickname. Users who block the viewer are
/// left out; each result carries the viewer's relation to it.
pub async fn search(
    state: &AppState,
    viewer: UserId,
    q: UserSearchQuery,
) -> Result<Page<UserOut>, ApiError> {
    let text = q.q.trim();
    if text.is_empty() || text.chars().count() > 64 || text.chars().any(char::is_control) {
        return Err(ApiError::invalid("q", "q: 1 to 64 characters"));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit: 1 to 50"));
    }
    let after = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<UserId>()
                .map_err(|_| ApiError::invalid("cursor", "cursor: not a cursor from this endpoint"))
        })
        .transpose()?;
    let mut exact = Vec::new();
    if let Ok(u) = model::normalize_username(text) {
        exact.push((Taken::Username, u));
    }
    if let Ok(e) = model::normalize_email(text) {
        exact.push((Taken::Email, e));
    }
    if let Ok(p) = model::normalize_phone(text) {
        exact.push((Taken::Phone, p));
    }
    let exact_id = text.parse::<UserId>().ok();
    let (hits, fuzzy) = store::search_users(
        state.store.reader(),
        text,
        &exact,
        exact_id,
        after,
        u64::from(limit),
    )
    .await?;
    let next_cursor = (fuzzy.len() == limit as usize)
        .then(|| fuzzy.last().map(|u| u.id.to_string()))
        .flatten();
    let mut items: Vec<UserOut> = Vec::with_capacity(hits.len() + fuzzy.len());
    for u in hits {
        // By id always; by an exact field only if its owner allows it (social's setting).
        let p = super::hooks::discovery(state)?
            .findable(state, u.id)
            .await?;
        let by = |field: Taken, value: Option<&str>| {
            exact
                .iter()
                .any(|(f, v)| *f == field && Some(v.as_str()) == value)
        };
        let allowed = exact_id == Some(u.id)
            || u.id == viewer
            || (p.by_username && by(Taken::Username, Some(&u.username)))
            || (p.by_email && by(Taken::Email, u.email.as_deref()))
            || (p.by_phone && by(Taken::Phone, u.phone.as_deref()));
        if allowed {
            items.push(u.public());
        }
    }
    for u in fuzzy {
        if !items.iter().any(|i| i.id == u.id) {
            items.push(u.public());
        }
    }
    let items = super::hooks::discovery(state)?
        .annotate(state, viewer, items)
        .await?;
    Ok(Page { items, next_cursor })
}

/// Disables an account and signs out all its sessions at once, on every node.
pub async fn disable_user(state: &AppState, id: UserId) -> Result<(), ApiError> {
    if !store::set_status(
        state.store.writer(),
        id,
        Status::Disabled,
        state.clock.now(),
    )
    .await?
    {
        return Err(ApiError::new(ErrorCode::NotFound, "no such user"));
    }
    revoke_all(state, id, None, "account_disabled").await?;
    Ok(())
}

/// Re-enables a disabled account.
pub async fn enable_user(state: &AppState, id: UserId) -> Result<(), ApiError> {
    let user = get_user(state, id).await?;
    if user.status == Status::Disabled {
        store::set_status(state.store.writer(), id, Status::Active, state.clock.now()).await?;
    }
    Ok(())
}

/// Creates a system administrator, or promotes an existing user (CLI).
pub async fn create_admin(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<UserId, ApiError> {
    let username = model::normalize_username(username)?;
    if let Some(u) = store::find_user_by(state.store.writer(), Taken::Username, &username).await? {
        store::set_role(state.store.writer(), u.id, Role::Admin, state.clock.now()).await?;
        revoke_all(state, u.id, None, "role_changed").await?;
        return Ok(u.id);
    }
    check_strength(password, &[&username])?;
    let hash = super::auth::context(state).passwords.hash(password).await?;
    let id = UserId(state.ids.next_id());
    store::create_user(
        state.store.writer(),
        NewUser {
            id,
            username: &username,
            email: None,
            email_verified: false,
            phone: None,
            phone_verified: false,
            password_hash: Some(&hash),
            nickname: &username,
            role: Role::Admin,
            now: Utc::now(),
        },
    )
    .await?;
    Ok(id)
}
