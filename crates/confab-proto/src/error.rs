//! The error-code catalogue. A code is a stable snake_case identifier that clients match on;
//! the message beside it is for people and may change. New codes are added here, with their
//! meaning, and nowhere else; the server maps each to an HTTP status in `confab::error`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! catalogue {
    ($($(#[$meta:meta])* $variant:ident => $code:literal, $meaning:literal;)*) => {
        /// Every error code Confab answers with.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$meta])* #[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// What the code means, for the API documentation.
            pub const fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }

            /// The code for a wire string, if it is one of ours.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    BadRequest => "bad_request", "The request is malformed: a path or query parameter does not parse.";
    InvalidJson => "invalid_json", "The body is not well-formed JSON (syntax, encoding or nesting depth).";
    ValidationFailed => "validation_failed", "The body parsed but a field is missing, of the wrong type or out of bounds; `field` names it when known.";
    UnsupportedMediaType => "unsupported_media_type", "The Content-Type is not one this endpoint accepts.";
    PayloadTooLarge => "payload_too_large", "The body is larger than this endpoint's limit.";
    NotFound => "not_found", "No such route or resource (or you may not know it exists).";
    MethodNotAllowed => "method_not_allowed", "The route exists but not with this HTTP method.";
    RequestTimeout => "request_timeout", "The request took longer than the server's request timeout.";
    Unauthorized => "unauthorized", "No valid credentials were presented.";
    Forbidden => "forbidden", "The credentials are valid but do not allow this.";
    Conflict => "conflict", "The request conflicts with the current state.";
    RateLimited => "rate_limited", "Too many requests; retry after the `Retry-After` header's seconds.";
    ServiceUnavailable => "service_unavailable", "A backend (database, Redis, object store) is unreachable; retry later.";
    Internal => "internal", "An unexpected server error; the server logged it with the request id.";
    InvalidCredentials => "invalid_credentials", "Wrong username/email/phone or password (the two are never told apart).";
    AccountDisabled => "account_disabled", "The account is disabled by an administrator.";
    TooManyAttempts => "too_many_attempts", "Too many failed sign-in attempts for this account; retry after `Retry-After` seconds.";
    TokenExpired => "token_expired", "The access token has expired; refresh it.";
    SessionRevoked => "session_revoked", "The session was signed out (logout, password change, or an administrator).";
    RefreshTokenInvalid => "refresh_token_invalid", "The refresh token is unknown, expired, or was already used (reuse signs the whole session out).";
    UsernameTaken => "username_taken", "Another account has this username.";
    EmailTaken => "email_taken", "Another account has this email address.";
    PhoneTaken => "phone_taken", "Another account has this phone number.";
    WeakPassword => "weak_password", "The password is too short, too long, too common, or too close to the username.";
    VerificationRequired => "verification_required", "A verification code for the email or phone is required.";
    CodeInvalid => "code_invalid", "The verification code is wrong, expired, used, or for another purpose or target.";
    CodeTooSoon => "code_too_soon", "A code was sent to this target less than a minute ago; retry after `Retry-After` seconds.";
    CodeDailyLimit => "code_daily_limit", "The daily number of codes for this target or IP address is used up.";
    CaptchaRequired => "captcha_required", "Solve the captcha from `GET /auth/captcha` first.";
    CaptchaInvalid => "captcha_invalid", "The captcha answer is wrong or expired.";
    OauthProviderUnknown => "oauth_provider_unknown", "No such sign-in provider is configured.";
    OauthStateInvalid => "oauth_state_invalid", "The OAuth `state` is missing, unknown, expired or already used.";
    OauthFailed => "oauth_failed", "The provider refused the sign-in or answered something unusable.";
    IdentityLinked => "identity_linked", "This provider account is already linked to another user.";
    LastSignInMethod => "last_sign_in_method", "Removing this would leave the account with no way to sign in.";
    UnsupportedFileType => "unsupported_file_type", "The file's content (by its bytes, not its name) is not an allowed type here.";
    ImageTooLarge => "image_too_large", "The image's width or height is over the limit.";
    NotMember => "not_member", "You are not a member of this conversation (or no longer are).";
    DuplicateClientMsgId => "duplicate_client_msg_id", "This client_msg_id was already used for a different message.";
    InvalidMessage => "invalid_message", "The message's kind or body is not valid; `field` names what.";
    ContentBlocked => "content_blocked", "The text contains a sensitive word and the server is set to refuse such content; `field` names where.";
    NotSender => "not_sender", "Only the message's sender may do this (edit, recall).";
    NotEditable => "not_editable", "Only `text` messages can be edited.";
    EditWindowPassed => "edit_window_passed", "The message is older than the edit window (`messaging.edit_window_secs`).";
    RecallWindowPassed => "recall_window_passed", "The message is older than the recall window (`messaging.recall_window_secs`).";
    MessageRecalled => "message_recalled", "The message was recalled; it can no longer be edited or reacted to.";
    BadFrame => "bad_frame", "A WebSocket frame is not `{type, id?, data?}`, or its `data` does not fit its type.";
    UnknownFrameType => "unknown_frame_type", "A WebSocket frame's `type` is not one the server understands.";
    AuthTimeout => "auth_timeout", "The WebSocket was not authenticated in time (header or first `auth` frame).";
    // social
    NotFriends => "not_friends", "This needs the two of you to be friends (direct messages under `social.direct_policy = \"friends\"`, or a friend-only action).";
    Blocked => "blocked", "One of you has blocked the other: no friend requests, follows or direct messages between you.";
    AlreadyFriends => "already_friends", "You are already friends with this user.";
    RequestNotPending => "request_not_pending", "The friend request was already declined or cancelled.";
    FriendRequestLimit => "friend_request_limit", "You have too many pending outgoing friend requests (`social.max_pending_requests`); cancel some or wait for answers.";
    FriendLimit => "friend_limit", "You or the other user already has the most friends allowed (`social.max_friends`).";
    // groups
    NotGroupMember => "not_group_member", "You are not a member of this group (or no longer are).";
    GroupRoleRequired => "group_role_required", "Your role in this group does not allow this (owner or admin only; an admin never acts on the owner or another admin).";
    GroupDissolved => "group_dissolved", "The group was dissolved: its history stays readable, nothing else can change or be sent.";
    GroupFull => "group_full", "The group has reached its member limit.";
    AlreadyMember => "already_member", "The user is already a member of this group.";
    BannedFromGroup => "banned_from_group", "The user is banned from this group until the ban ends.";
    MemberMuted => "member_muted", "You are muted in this group; you may read but not send until the mute ends.";
    GroupAllMuted => "group_all_muted", "The group is muted: only the owner and admins may send.";
    MentionAllForbidden => "mention_all_forbidden", "Only the group's owner and admins may mention `all` (and only in groups).";
    OwnerMustTransfer => "owner_must_transfer", "The owner must transfer ownership before leaving.";
    InviteeNotFriend => "invitee_not_friend", "Only your friends can be added to a group by you.";
    InviteInvalid => "invite_invalid", "The invite token is unknown, expired, revoked or used up.";
    JoinRequestPending => "join_request_pending", "You already asked to join this group; wait for the answer.";
    // media
    SignatureInvalid => "signature_invalid", "A signed file URL's signature does not match (altered, or for another file or user).";
    SignatureExpired => "signature_expired", "A signed file URL is past its expiry; ask for a new one (`POST /files/{id}/url`).";
    // admin: world channel, site-wide mutes, reports
    UserMuted => "user_muted", "An administrator muted you site-wide: you cannot send messages until the mute ends.";
    ChannelMuted => "channel_muted", "An administrator muted you in this channel until the mute ends.";
    ChannelPostingClosed => "channel_posting_closed", "Posting in this channel is turned off, or open to administrators only (`channels.world_posting`).";
    ReportClosed => "report_closed", "The report was already upheld or dismissed.";
    ActionNotApplicable => "action_not_applicable", "That uphold action does not fit this report's target (e.g. `recall` on a user report).";
    CannotTargetSelf => "cannot_target_self", "You cannot do this to yourself (report, disable or mute your own account).";
    // rooms
    NotInRoom => "not_in_room", "You are not in this room now (enter it with `POST /rooms/{id}/join`).";
    RoomRoleRequired => "room_role_required", "Your role in this room does not allow this (owner or admin only; an admin never acts on the owner or another admin).";
    RoomClosed => "room_closed", "The room is closed: nobody enters and nothing changes.";
    RoomPasswordInvalid => "room_password_invalid", "The room is private: give its password (this one is missing or wrong).";
    KickedFromRoom => "kicked_from_room", "You were kicked from this room; re-entry is refused until the ban ends.";
    RoomMuted => "room_muted", "You are muted in this room's chat until the mute ends.";
    RoomAllMuted => "room_all_muted", "The room's chat is muted: only the owner and admins may send.";
    RoomLimit => "room_limit", "You already own the most open rooms allowed (`rooms.max_open_per_owner`).";
    SeatTaken => "seat_taken", "Someone else holds that seat (or won it first).";
    SeatLocked => "seat_locked", "That seat is locked.";
    SeatMuted => "seat_muted", "Your seat is muted by the owner or an admin: the microphone stays off.";
    AlreadySeated => "already_seated", "The user already holds a seat in this room.";
    NotSeated => "not_seated", "The user holds no seat in this room.";
    NoFreeSeat => "no_free_seat", "Every seat is taken or locked.";
    SeatApplyRequired => "seat_apply_required", "Seats in this room are taken by application (`POST /rooms/{id}/applications`).";
    ApplicationPending => "application_pending", "You already applied for a seat; wait for the answer or cancel it.";
    MediaUnavailable => "media_unavailable", "Voice is not configured on this server (`media.livekit_api_key`).";
    // gifts and wallets
    InsufficientBalance => "insufficient_balance", "The balance is too low for this; nothing was charged.";
    InsufficientItems => "insufficient_items", "The backpack holds too few unexpired items of this gift; nothing was taken.";
    GiftUnavailable => "gift_unavailable", "The gift is not on sale now (unlisted, or outside its limited window).";
    KeyReused => "key_reused", "This idempotency key (`client_key`, order id) was used before for a different request.";
    AlreadyReversed => "already_reversed", "The gift send was reversed before.";
    TopupSignatureInvalid => "topup_signature_invalid", "A top-up notice is unsigned, its signature does not match, or its timestamp is too far from now.";
    TopupsUnavailable => "topups_unavailable", "Top-ups are not configured on this server (`gifts.topup_secret`).";
    InCall => "in_call", "You are already in a call (ringing or answered); hang up first.";
    CallOver => "call_over", "The call is no longer in a state that allows this (answered elsewhere, declined, cancelled or ended).";
    CallInProgress => "call_in_progress", "A group call is already running in this conversation; join it.";
    NotInCall => "not_in_call", "You are not a party to this call (or not from this device).";
    // registration policy
    RegistrationClosed => "registration_closed", "This server does not take new accounts now (`auth.registration` is `closed`, or outside its window); existing accounts still sign in.";
    InviteRequired => "invite_required", "Sign-up on this server needs an invite code from an administrator (`invite_code`, or `invite` on the OAuth start).";
    RegistrationInviteInvalid => "registration_invite_invalid", "The sign-up invite code is unknown, expired, revoked or used up.";
}

/// The body of every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"error": {"code": "validation_failed", "message": "username: must be 3 to 32 characters", "field": "username"}}))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInfo,
}

/// One error: a stable code, a human message, and the offending field when there is one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorInfo {
    /// Stable identifier to match on.
    pub code: ErrorCode,
    /// Human-readable explanation; never contains secrets or internal details.
    pub message: String,
    /// The input field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_match_serde_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(*code));
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert!(!code.meaning().is_empty());
        }
    }
}
