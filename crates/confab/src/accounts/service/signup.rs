//! Sign-up: a new account with a password (and, where given or required, a verified email
//! or phone), signed in at once; and administrators made from the CLI.

use chrono::Utc;
use confab_proto::accounts::{RegisterIn, TokenOut};
use confab_proto::ids::UserId;

use super::profile::{report_nickname, screen_nickname};
use super::sessions::start_session;
use super::users::get_user;
use super::{Origin, limit_ip};
use crate::accounts::auth;
use crate::accounts::codes::{self, Channel, Purpose};
use crate::accounts::error::AccountsError;
use crate::accounts::model::{self, Role};
use crate::accounts::password::{check_strength, user_inputs};
use crate::accounts::registration;
use crate::accounts::store::{self, NewUser, Taken};
use crate::config::RequireVerified;
use crate::error::ApiError;
use crate::infra::store::StoreError;
use crate::state::AppState;
use sea_orm::TransactionTrait;

/// A sign-up's fields, checked and normalised.
struct SignUp {
    username: String,
    /// The nickname to store (the username when none was given; masked if the filter says).
    nickname: String,
    /// The original nickname, when the filter masked it for review.
    nickname_review: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// Creates an account with a password and signs it in, if the registration policy allows
/// ([`registration`]). An email or phone given here must come with its verification code
/// (so nobody can claim an address they do not hold).
pub async fn register(
    state: &AppState,
    input: RegisterIn,
    origin: Origin,
) -> Result<TokenOut, ApiError> {
    limit_ip(state, "register", origin.ip).await?;
    let admission = registration::admission(state, input.invite_code.as_deref()).await?;
    let form = check_fields(state, &input)?;
    // Check the codes before spending a hash; consume them only once everything else passed.
    if let Some(e) = &form.email {
        let code = input.email_code.as_deref();
        consume_code(state, Channel::Email, e, code, "email_code", "email").await?;
    }
    if let Some(p) = &form.phone {
        let code = input.phone_code.as_deref();
        consume_code(state, Channel::Sms, p, code, "phone_code", "phone").await?;
    }
    let hash = auth::context(state).passwords.hash(&input.password).await?;
    let id = UserId(state.ids.next_id());
    let now = state.clock.now();
    // The account and its invite's use commit together, or neither does.
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    store::create_user(
        &txn,
        NewUser {
            id,
            username: &form.username,
            email: form.email.as_deref(),
            email_verified: form.email.is_some(),
            phone: form.phone.as_deref(),
            phone_verified: form.phone.is_some(),
            password_hash: Some(&hash),
            nickname: &form.nickname,
            role: Role::User,
            now,
        },
    )
    .await?;
    registration::admit(&txn, &admission, id, now).await?;
    txn.commit().await.map_err(StoreError::from)?;
    if let Some(original) = form.nickname_review {
        report_nickname(state, id, original).await;
    }
    let user = get_user(state, id).await?;
    tracing::info!(user_id = %id, "account created");
    start_session(state, &user, origin).await
}

/// Everything about a sign-up that needs no IO: the fields' shapes, the nickname filter,
/// the password's strength, and whether the server's verification rule is met.
fn check_fields(state: &AppState, input: &RegisterIn) -> Result<SignUp, ApiError> {
    let username = model::normalize_username(&input.username)?;
    crate::accounts::reserved::check(&username, &state.config.auth.reserved_usernames)?;
    let (nickname, nickname_review) = match &input.nickname {
        Some(n) => screen_nickname(state, &model::display_text("nickname", n, 1, 64)?)?,
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
    check_strength(&input.password, &user_inputs(&username, email.as_deref()))?;
    let missing = match state.config.auth.require_verified {
        RequireVerified::None => false,
        RequireVerified::Email => email.is_none(),
        RequireVerified::Phone => phone.is_none(),
        RequireVerified::EmailOrPhone => email.is_none() && phone.is_none(),
    };
    if missing {
        return Err(AccountsError::VerificationRequired.into());
    }
    Ok(SignUp {
        username,
        nickname,
        nickname_review,
        email,
        phone,
    })
}

/// Uses up the `register` code that proves an address given at sign-up; `field` names the
/// code's input, `with` the address's.
async fn consume_code(
    state: &AppState,
    channel: Channel,
    address: &str,
    code: Option<&str>,
    field: &'static str,
    with: &'static str,
) -> Result<(), ApiError> {
    let code = code.ok_or(AccountsError::CodeRequired { field, with })?;
    codes::consume(state, channel, address, Purpose::Register, code).await
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
        super::revoke_all(state, u.id, None, "role_changed").await?;
        return Ok(u.id);
    }
    check_strength(password, &[&username])?;
    let hash = auth::context(state).passwords.hash(password).await?;
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
