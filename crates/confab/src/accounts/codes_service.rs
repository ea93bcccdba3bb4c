//! The rules around verification codes: who may ask for one and where it goes, and what a
//! code proves — a sign-in, a password reset, an email or phone bound to the account.
//!
//! Enumeration: for `login` and `reset_password`, an address that belongs to no active
//! account gets the same 202 after the same work (lookup, limits, a stored code) and the
//! delivery happens after the answer in both cases, so neither the body nor the latency
//! tells whether the address is known. Using a code for an unknown address fails exactly
//! like a wrong code.

use std::net::IpAddr;

use confab_proto::accounts::{MeOut, TokenOut};
use confab_proto::codes::{
    CodeLoginIn, CodeRequestIn, CodeSentOut, EmailBindIn, PasswordResetIn, PhoneBindIn,
};
use confab_proto::ids::UserId;

use super::auth::AuthUser;
use super::codes::{self, Channel, Purpose};
use super::error::AccountsError;
use super::model::{Status, User};
use super::password::check_strength;
use super::service::{self, Origin, get_user, limit_ip, start_session, usable};
use super::store::{self, Taken};
use crate::error::ApiError;
use crate::notify::Mail;
use crate::state::AppState;

/// Longest accepted target (the longest valid email address).
const MAX_TARGET: usize = 254;

fn column(channel: Channel) -> Taken {
    match channel {
        Channel::Email => Taken::Email,
        Channel::Sms => Taken::Phone,
    }
}

/// Whether an account other than `me` (any account, for `None`) holds `target`.
async fn held_by_other(
    state: &AppState,
    channel: Channel,
    target: &str,
    me: Option<UserId>,
) -> Result<bool, ApiError> {
    Ok(
        store::find_user_by(state.store.reader(), column(channel), target)
            .await?
            .is_some_and(|u| Some(u.id) != me),
    )
}

/// Parses a channel and normalises a target for it, refusing oversized input first.
fn parse_target(channel: &str, target: &str) -> Result<(Channel, String), ApiError> {
    let channel = Channel::parse(channel)?;
    if target.len() > MAX_TARGET {
        return Err(AccountsError::TargetTooLong.into());
    }
    Ok((channel, channel.normalize(target)?))
}

/// The active account whose *verified* email or phone is `target`.
async fn verified_owner(
    state: &AppState,
    channel: Channel,
    target: &str,
) -> Result<Option<User>, ApiError> {
    let user = store::find_user_by(state.store.reader(), column(channel), target).await?;
    Ok(user.filter(|u| u.status == Status::Active && channel.verified(u)))
}

/// What a `bind` code is stored under: the address *and* the account that asked, so a code
/// binds the address only to the account it was requested for.
fn bind_target(target: &str, user: UserId) -> String {
    format!("{target}#{user}")
}

/// What the message says the code is for.
fn purpose_text(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Register => "to finish signing up",
        Purpose::Login => "to sign in",
        Purpose::ResetPassword => "to reset your password",
        Purpose::ChangePassword => "to change your password",
        Purpose::Bind => "to add this address to your account",
    }
}

/// Sends a code by its channel. Errors never contain the code.
async fn deliver(
    state: &AppState,
    channel: Channel,
    target: &str,
    purpose: Purpose,
    code: &str,
) -> Result<(), crate::notify::NotifyError> {
    let minutes = state.config.codes.ttl_secs.div_ceil(60);
    match channel {
        Channel::Email => {
            let mail = Mail {
                to: target.to_owned(),
                subject: format!("Your Confab code: {code}"),
                body: format!(
                    "Your Confab verification code is {code}\n\n\
                     Use it {} within {minutes} minutes. It works once.\n\n\
                     If you did not ask for it, ignore this mail; nobody can use it without \
                     access to your mailbox.\n",
                    purpose_text(purpose)
                ),
            };
            state.notify.mail.send(&mail).await
        }
        Channel::Sms => {
            let text = state.config.sms.template.replace("{code}", code);
            state.notify.sms.send(target, &text).await
        }
    }
}

/// `POST /auth/codes`: checks who may ask, applies the limits, stores a fresh code and
/// sends it. The answer is the same whether or not anything was sent.
pub async fn request_code(
    state: &AppState,
    auth: Option<AuthUser>,
    input: CodeRequestIn,
    ip: IpAddr,
) -> Result<CodeSentOut, ApiError> {
    limit_ip(state, "codes", ip).await?;
    let purpose = Purpose::parse(&input.purpose)?;
    let (channel, target) = parse_target(&input.channel, &input.target)?;
    let enabled = match channel {
        Channel::Email => state.notify.mail.enabled(),
        Channel::Sms => state.notify.sms.enabled(),
    };
    if !enabled {
        return Err(AccountsError::ChannelUnavailable(channel).into());
    }
    if state.config.codes.captcha_required {
        super::captcha::verify(
            state,
            input.captcha_id.as_deref(),
            input.captcha_answer.as_deref(),
        )
        .await?;
    }
    let plan = plan(state, auth, purpose, channel, &target).await?;
    codes::throttle(state, channel, &target, ip).await?;
    let code = codes::generate();
    codes::store(state, channel, &plan.code_target, purpose, &code).await?;
    let out = CodeSentOut {
        expires_in: state.config.codes.ttl_secs,
        resend_after: state.config.codes.resend_secs,
    };
    if !plan.send {
        tracing::info!(
            channel = channel.as_str(),
            purpose = purpose.as_str(),
            "code asked for an unknown target: not sent"
        );
        return Ok(out);
    }
    if plan.deliver_now {
        deliver_inline(state, channel, &target, purpose, &code).await?;
    } else {
        deliver_later(state, channel, target, purpose, code);
    }
    Ok(out)
}

/// What a code request leads to, once the purpose's rules allow it.
struct Plan {
    /// What the code is stored under.
    code_target: String,
    /// Whether to send it at all (not for an unknown `login` / `reset_password` target).
    send: bool,
    /// Whether this target learns nothing new from a failure (it is the caller's own or a
    /// free address), so delivery may run inline and report errors.
    deliver_now: bool,
}

/// Checks who may ask for a code of this purpose to this target, and plans its delivery.
async fn plan(
    state: &AppState,
    auth: Option<AuthUser>,
    purpose: Purpose,
    channel: Channel,
    target: &str,
) -> Result<Plan, ApiError> {
    let signed_in = || auth.ok_or(AccountsError::SignInForPurpose);
    let inline = |code_target: String| Plan {
        code_target,
        send: true,
        deliver_now: true,
    };
    Ok(match purpose {
        Purpose::Register => {
            // No codes for sign-ups the policy refuses anyway (`invite` mode: the code
            // decides at sign-up).
            super::registration::open_at(state, state.clock.now())?;
            if held_by_other(state, channel, target, None).await? {
                return Err(AccountsError::address_taken(channel, "target").into());
            }
            inline(target.to_owned())
        }
        Purpose::Bind => {
            let me = signed_in()?;
            if held_by_other(state, channel, target, Some(me.user_id)).await? {
                return Err(AccountsError::address_taken(channel, "target").into());
            }
            inline(bind_target(target, me.user_id))
        }
        Purpose::ChangePassword => {
            let me = signed_in()?;
            let user = get_user(state, me.user_id).await?;
            if codes::account_target(&user, channel)? != target {
                return Err(AccountsError::NotOwnTarget.into());
            }
            inline(target.to_owned())
        }
        Purpose::Login | Purpose::ResetPassword => Plan {
            code_target: target.to_owned(),
            send: verified_owner(state, channel, target).await?.is_some(),
            deliver_now: false,
        },
    })
}

/// Delivers now and reports a failure (503), freeing the resend wait so the user may retry.
async fn deliver_inline(
    state: &AppState,
    channel: Channel,
    target: &str,
    purpose: Purpose,
    code: &str,
) -> Result<(), ApiError> {
    if let Err(e) = deliver(state, channel, target, purpose, code).await {
        codes::release_resend(state, channel, target).await?;
        return Err(ApiError::unavailable(
            match channel {
                Channel::Email => "mail delivery",
                Channel::Sms => "SMS delivery",
            },
            e,
        ));
    }
    Ok(())
}

/// Delivers after the answer, so its latency tells nothing; a failure is only logged.
fn deliver_later(
    state: &AppState,
    channel: Channel,
    target: String,
    purpose: Purpose,
    code: String,
) {
    let state2 = state.clone();
    state.tasks.spawn("send_code", async move {
        if let Err(e) = deliver(&state2, channel, &target, purpose, &code).await {
            tracing::warn!(error = %e, channel = channel.as_str(), "code delivery failed");
            let _ = codes::release_resend(&state2, channel, &target).await;
        }
    });
}

/// `POST /auth/login/code`: a `login` code for an account's verified email or phone opens
/// a session. Unknown targets fail like wrong codes.
pub async fn login_with_code(
    state: &AppState,
    input: CodeLoginIn,
    origin: Origin,
) -> Result<TokenOut, ApiError> {
    limit_ip(state, "login", origin.ip).await?;
    let (channel, target) = parse_target(&input.channel, &input.target)?;
    codes::consume(state, channel, &target, Purpose::Login, &input.code).await?;
    let user = store::find_user_by(state.store.writer(), column(channel), &target)
        .await?
        .filter(|u| channel.verified(u));
    let user = usable(user).map_err(|e| match e {
        AccountsError::Disabled => e,
        _ => AccountsError::CodeInvalid,
    })?;
    start_session(state, &user, origin).await
}

/// `POST /auth/password/reset`: a `reset_password` code sets a new password and signs out
/// every session of the account.
pub async fn reset_password(
    state: &AppState,
    input: PasswordResetIn,
    ip: IpAddr,
) -> Result<(), ApiError> {
    limit_ip(state, "reset", ip).await?;
    let (channel, target) = parse_target(&input.channel, &input.target)?;
    // The rules that do not depend on the account first, so a weak password is refused
    // before the code is spent and without telling whether the target is known.
    check_strength(&input.new_password, &[]).map_err(|e| e.with_field("new_password"))?;
    codes::consume(state, channel, &target, Purpose::ResetPassword, &input.code).await?;
    let user = verified_owner(state, channel, &target)
        .await?
        .ok_or(AccountsError::CodeInvalid)?;
    let n = service::set_new_password(state, &user, &input.new_password, None, "password_reset")
        .await?;
    tracing::info!(user_id = %user.id, sessions_revoked = n, "password reset by code");
    Ok(())
}

/// Sets (verified) or clears the caller's email or phone.
async fn set_address(
    state: &AppState,
    auth: AuthUser,
    channel: Channel,
    value: Option<&str>,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let db = state.store.writer();
    match channel {
        Channel::Email => store::set_email(db, auth.user_id, value, now).await?,
        Channel::Sms => store::set_phone(db, auth.user_id, value, now).await?,
    }
    Ok(())
}

/// Binds a verified email or phone to the caller, proved by a `bind` code.
async fn bind(
    state: &AppState,
    auth: AuthUser,
    channel: Channel,
    raw: &str,
    code: &str,
    ip: IpAddr,
) -> Result<MeOut, ApiError> {
    limit_ip(state, "bind", ip).await?;
    let field = channel.field();
    if raw.len() > MAX_TARGET {
        return Err(AccountsError::AddressTooLong { field }.into());
    }
    let target = channel.normalize(raw).map_err(|e| e.with_field(field))?;
    if held_by_other(state, channel, &target, Some(auth.user_id)).await? {
        return Err(AccountsError::address_taken(channel, field).into());
    }
    codes::consume(
        state,
        channel,
        &bind_target(&target, auth.user_id),
        Purpose::Bind,
        code,
    )
    .await?;
    set_address(state, auth, channel, Some(&target)).await?;
    service::me(state, auth).await
}

/// `PUT /me/email`.
pub async fn bind_email(
    state: &AppState,
    auth: AuthUser,
    input: EmailBindIn,
    ip: IpAddr,
) -> Result<MeOut, ApiError> {
    bind(state, auth, Channel::Email, &input.email, &input.code, ip).await
}

/// `PUT /me/phone`.
pub async fn bind_phone(
    state: &AppState,
    auth: AuthUser,
    input: PhoneBindIn,
    ip: IpAddr,
) -> Result<MeOut, ApiError> {
    bind(state, auth, Channel::Sms, &input.phone, &input.code, ip).await
}

/// Removes the caller's email or phone, unless it is the last way left to sign in (no
/// password, no other verified address, no linked provider).
pub async fn unbind(state: &AppState, auth: AuthUser, channel: Channel) -> Result<MeOut, ApiError> {
    let user = get_user(state, auth.user_id).await?;
    if channel.address(&user).is_none() {
        return Ok(user.me());
    }
    let other = match channel {
        Channel::Email => Channel::Sms,
        Channel::Sms => Channel::Email,
    };
    let other_address = other.address(&user).is_some() && other.verified(&user);
    if user.password_hash.is_none()
        && !other_address
        && store::list_identities(state.store.reader(), auth.user_id)
            .await?
            .is_empty()
    {
        return Err(AccountsError::LastAddress(channel).into());
    }
    set_address(state, auth, channel, None).await?;
    service::me(state, auth).await
}
