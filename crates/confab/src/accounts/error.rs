//! Accounts' refusals, each spelled once, and the one place they become API errors (code,
//! field, `Retry-After`).
//!
//! Sign-in refusals never tell an unknown account from a wrong password: both are
//! [`AccountsError::InvalidCredentials`]. Messages never carry a password, token or code.
//! Input-shape checks of single fields (username, email, phone, display texts) stay with
//! their validators in [`super::model`].

use confab_proto::ErrorCode;

use super::codes::Channel;
use super::store::{Taken, WriteError};
use crate::error::ApiError;

/// Why accounts refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountsError {
    // ------------------------------------------------------------ who is calling
    /// No bearer token where one is needed.
    #[error("sign in first: send `Authorization: Bearer <access token>`")]
    SignInFirst,
    /// A code purpose that needs a signed-in caller, asked without a token.
    #[error("sign in first: this purpose needs `Authorization: Bearer <access token>`")]
    SignInForPurpose,
    /// A bearer token that does not verify, or names another user than its session.
    #[error("invalid access token")]
    InvalidAccessToken,
    /// A bearer token past its expiry.
    #[error("access token expired; refresh it")]
    AccessTokenExpired,
    /// The token's session was revoked, expired, or its account deleted.
    #[error("this session was signed out; sign in again")]
    SessionRevoked,
    /// An admin route asked by someone else.
    #[error("system administrators only")]
    AdminsOnly,

    // ------------------------------------------------------------ sign-in
    /// Unknown account or wrong password: the same answer for both, on purpose.
    #[error("wrong username, email, phone or password")]
    InvalidCredentials,
    /// The account was disabled by an administrator.
    #[error("this account is disabled")]
    Disabled,
    /// Too many failed password sign-ins for one identifier this hour.
    #[error("too many failed attempts for this account; try again later or reset the password")]
    TooManyAttempts {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// A refresh token that is unknown, expired, already used, or of a revoked session.
    #[error("refresh token is invalid, expired or already used; sign in again")]
    RefreshInvalid,
    /// The current password given to change it is wrong.
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// The password given to confirm a deletion is wrong.
    #[error("the password is wrong")]
    WrongPassword,
    /// A password change with neither the old password nor a code.
    #[error("give old_password, or code_channel and code")]
    ProofMissing,
    /// Every hashing slot stayed busy for too long.
    #[error("the server is busy signing people in; retry shortly")]
    HashingBusy,

    // ------------------------------------------------------------ passwords
    /// A password outside 8 to 128 characters.
    #[error("password: 8 to 128 characters")]
    PasswordLength,
    /// A password containing the username or the email's local part.
    #[error("password: must not contain your username or email")]
    PasswordHasName,
    /// A password zxcvbn scores as guessable.
    #[error("password: too easy to guess (a common password, word, name or pattern)")]
    PasswordGuessable,

    // ------------------------------------------------------------ sign-up and addresses
    /// Sign-up without the verified address the server requires.
    #[error(
        "sign-up needs a verified email or phone: request a code with POST /auth/codes (purpose `register`)"
    )]
    VerificationRequired,
    /// An email or phone given at sign-up without its code.
    #[error("{field} is required with {with}")]
    CodeRequired {
        /// The missing code's field (`email_code`, `phone_code`).
        field: &'static str,
        /// The address field it goes with.
        with: &'static str,
    },
    /// The username belongs to another account.
    #[error("that username is taken")]
    UsernameTaken,
    /// The email belongs to another account (`field` names where it was given).
    #[error("that email address belongs to another account")]
    EmailTaken {
        /// The input field.
        field: &'static str,
    },
    /// The phone belongs to another account (`field` names where it was given).
    #[error("that phone number belongs to another account")]
    PhoneTaken {
        /// The input field.
        field: &'static str,
    },
    /// The account has no verified address on this channel.
    #[error("the account has no verified {}", .0.as_str())]
    NoVerifiedAddress(Channel),
    /// Removing the address would leave the account no way to sign in.
    #[error(
        "the {} is this account's only way to sign in; set a password or bind another first",
        .0.field()
    )]
    LastAddress(Channel),

    // ------------------------------------------------------------ codes and captchas
    /// Not `email` or `sms`.
    #[error("channel: `email` or `sms`")]
    BadChannel,
    /// Not a known code purpose.
    #[error("purpose: register, login, reset_password, change_password or bind")]
    BadPurpose,
    /// This server cannot deliver on the channel.
    #[error("{} codes are not available on this server", .0.as_str())]
    ChannelUnavailable(Channel),
    /// A code target over the longest email address.
    #[error("target: at most 254 bytes")]
    TargetTooLong,
    /// An address to bind over the longest email address (`field` names it).
    #[error("at most 254 bytes")]
    AddressTooLong {
        /// The input field.
        field: &'static str,
    },
    /// A `change_password` code asked for another address than the account's own.
    #[error("target: must be this account's own verified email or phone")]
    NotOwnTarget,
    /// A code that is wrong, expired, used up, or for an unknown target (all the same).
    #[error("the code is wrong, expired or already used")]
    CodeInvalid,
    /// A code asked again within the resend wait.
    #[error("a code was just sent to this target; wait before asking again")]
    CodeTooSoon {
        /// Seconds until another may be asked.
        retry_after: u64,
    },
    /// The target's or the IP's codes for the day are used up.
    #[error("the daily number of codes is used up; try again tomorrow")]
    CodeDailyLimit,
    /// A code request without a captcha where one is required.
    #[error("solve a captcha first: GET /auth/captcha, then send captcha_id and captcha_answer")]
    CaptchaRequired,
    /// A captcha answer that is wrong, expired or already used.
    #[error("the captcha answer is wrong, expired or already used; get a new captcha")]
    CaptchaInvalid,

    // ------------------------------------------------------------ providers
    /// No configured provider by that name.
    #[error("no such sign-in provider is configured")]
    ProviderUnknown,
    /// A callback whose `state` is missing, unknown, expired, used or another provider's.
    #[error("the sign-in state is missing, unknown, expired or already used; start again")]
    OauthStateInvalid,
    /// The provider refused or answered something unusable (the cause is logged).
    #[error("the provider refused the sign-in or answered something unusable")]
    OauthFailed,
    /// A post-login page outside `oauth.redirect_allowlist`.
    #[error("redirect_uri: not an allowed client page (see oauth.redirect_allowlist)")]
    RedirectRefused,
    /// The provider account is linked to another user.
    #[error("that provider account is linked to another user")]
    IdentityLinked,
    /// The caller already has an identity of this provider.
    #[error("another account of this provider is already linked; unlink it first")]
    ProviderAlreadyLinked,
    /// Unlinking the last identity of an account without a password.
    #[error(
        "this is the account's only way to sign in; set a password or link another provider first"
    )]
    LastIdentity,

    // ------------------------------------------------------------ lookups and search
    /// No such (live) user.
    #[error("no such user")]
    NoSuchUser,
    /// Not one of the caller's live sessions.
    #[error("no such session")]
    NoSuchSession,
    /// No identity of that provider is linked to the caller.
    #[error("no identity of that provider is linked")]
    NoSuchIdentity,
    /// A search text that is empty, too long or has control characters.
    #[error("q: 1 to 64 characters")]
    SearchText,
    /// A search page size out of range.
    #[error("limit: 1 to 50")]
    SearchLimit,
    /// A cursor this endpoint did not make.
    #[error("cursor: not a cursor from this endpoint")]
    SearchCursor,

    // ------------------------------------------------------------ registration policy
    /// `auth.registration` is `closed`, or `window` and now is outside it.
    #[error("this server is not taking new accounts now")]
    RegistrationClosed,
    /// `auth.registration` is `invite` and no code was given.
    #[error("sign-up needs an invite code from an administrator")]
    InviteRequired,
    /// The invite code is unknown, expired, revoked or used up.
    #[error("the invite code is unknown, expired, revoked or used up")]
    InviteInvalid,
    /// An invite's `max_uses` out of bounds.
    #[error("max_uses: must be 1 to 10000")]
    InviteMaxUses,
    /// An invite's expiry in the past or too far ahead.
    #[error("expires_at: must be in the future and within 366 days")]
    InviteExpiry,
    /// An invite's note too long or with control characters.
    #[error("note: at most 200 characters, no control characters")]
    InviteNote,
    /// No invite with that id.
    #[error("no such invite")]
    NoSuchInvite,

    // ------------------------------------------------------------ start-up
    /// A hook of a feature above accounts is not registered yet.
    #[error("the server is starting; retry")]
    Starting,
}

impl AccountsError {
    /// The refusal for a unique field another account holds, named by its usual field.
    pub fn taken(what: Taken) -> Self {
        match what {
            Taken::Username => Self::UsernameTaken,
            Taken::Email => Self::EmailTaken { field: "email" },
            Taken::Phone => Self::PhoneTaken { field: "phone" },
            Taken::Identity => Self::IdentityLinked,
        }
    }

    /// The refusal for an address of `channel` another account holds, given in `field`.
    pub fn address_taken(channel: Channel, field: &'static str) -> Self {
        match channel {
            Channel::Email => Self::EmailTaken { field },
            Channel::Sms => Self::PhoneTaken { field },
        }
    }

    /// The code, the field at fault and the `Retry-After` seconds of this refusal.
    fn parts(self) -> (ErrorCode, Option<&'static str>, Option<u64>) {
        use AccountsError as E;
        use ErrorCode as C;
        match self {
            E::SignInFirst | E::SignInForPurpose | E::InvalidAccessToken => {
                (C::Unauthorized, None, None)
            }
            E::AccessTokenExpired => (C::TokenExpired, None, None),
            E::SessionRevoked => (C::SessionRevoked, None, None),
            E::AdminsOnly => (C::Forbidden, None, None),
            E::InvalidCredentials => (C::InvalidCredentials, None, None),
            E::WrongCurrentPassword => (C::InvalidCredentials, Some("old_password"), None),
            E::WrongPassword => (C::InvalidCredentials, Some("password"), None),
            E::Disabled => (C::AccountDisabled, None, None),
            E::TooManyAttempts { retry_after } => (C::TooManyAttempts, None, Some(retry_after)),
            E::RefreshInvalid => (C::RefreshTokenInvalid, None, None),
            E::ProofMissing => (C::ValidationFailed, Some("old_password"), None),
            E::HashingBusy => (C::ServiceUnavailable, None, Some(2)),
            E::PasswordLength | E::PasswordHasName | E::PasswordGuessable => {
                (C::WeakPassword, Some("password"), None)
            }
            E::VerificationRequired | E::NoVerifiedAddress(_) => {
                (C::VerificationRequired, None, None)
            }
            E::CodeRequired { field, .. } => (C::VerificationRequired, Some(field), None),
            E::UsernameTaken => (C::UsernameTaken, Some("username"), None),
            E::EmailTaken { field } => (C::EmailTaken, Some(field), None),
            E::PhoneTaken { field } => (C::PhoneTaken, Some(field), None),
            E::LastAddress(_) | E::LastIdentity => (C::LastSignInMethod, None, None),
            E::BadChannel | E::ChannelUnavailable(_) => {
                (C::ValidationFailed, Some("channel"), None)
            }
            E::BadPurpose => (C::ValidationFailed, Some("purpose"), None),
            E::TargetTooLong | E::NotOwnTarget => (C::ValidationFailed, Some("target"), None),
            E::AddressTooLong { field } => (C::ValidationFailed, Some(field), None),
            E::CodeInvalid => (C::CodeInvalid, Some("code"), None),
            E::CodeTooSoon { retry_after } => (C::CodeTooSoon, None, Some(retry_after)),
            E::CodeDailyLimit => (C::CodeDailyLimit, None, None),
            E::CaptchaRequired => (C::CaptchaRequired, Some("captcha_answer"), None),
            E::CaptchaInvalid => (C::CaptchaInvalid, Some("captcha_answer"), None),
            E::ProviderUnknown => (C::OauthProviderUnknown, None, None),
            E::OauthStateInvalid => (C::OauthStateInvalid, None, None),
            E::OauthFailed => (C::OauthFailed, None, None),
            E::RedirectRefused => (C::ValidationFailed, Some("redirect_uri"), None),
            E::IdentityLinked | E::ProviderAlreadyLinked => (C::IdentityLinked, None, None),
            E::NoSuchUser | E::NoSuchSession | E::NoSuchIdentity => (C::NotFound, None, None),
            E::SearchText => (C::ValidationFailed, Some("q"), None),
            E::SearchLimit => (C::ValidationFailed, Some("limit"), None),
            E::SearchCursor => (C::ValidationFailed, Some("cursor"), None),
            E::Starting => (C::ServiceUnavailable, None, None),
            E::RegistrationClosed => (C::RegistrationClosed, None, None),
            E::InviteRequired => (C::InviteRequired, Some("invite_code"), None),
            E::InviteInvalid => (C::RegistrationInviteInvalid, Some("invite_code"), None),
            E::InviteMaxUses => (C::ValidationFailed, Some("max_uses"), None),
            E::InviteExpiry => (C::ValidationFailed, Some("expires_at"), None),
            E::InviteNote => (C::ValidationFailed, Some("note"), None),
            E::NoSuchInvite => (C::NotFound, None, None),
        }
    }
}

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        let (code, field, retry_after) = e.parts();
        let mut out = ApiError::new(code, e.to_string());
        if let Some(f) = field {
            out = out.with_field(f);
        }
        if let Some(secs) = retry_after {
            out = out.with_retry_after(secs);
        }
        out
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Taken(what) => AccountsError::taken(what).into(),
            WriteError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_refusals_do_not_tell_unknown_from_wrong() {
        // One variant serves both; it names no field and carries no detail.
        let e = ApiError::from(AccountsError::InvalidCredentials);
        assert_eq!(e.code(), ErrorCode::InvalidCredentials);
        assert_eq!(e.message(), "wrong username, email, phone or password");
    }

    #[test]
    fn messages_that_name_a_channel() {
        assert_eq!(
            AccountsError::LastAddress(Channel::Sms).to_string(),
            "the phone is this account's only way to sign in; set a password or bind another first"
        );
        assert_eq!(
            AccountsError::NoVerifiedAddress(Channel::Sms).to_string(),
            "the account has no verified sms"
        );
        assert_eq!(
            AccountsError::ChannelUnavailable(Channel::Email).to_string(),
            "email codes are not available on this server"
        );
        assert_eq!(
            AccountsError::CodeRequired {
                field: "email_code",
                with: "email"
            }
            .to_string(),
            "email_code is required with email"
        );
    }
}
