//! Every refusal the groups feature answers, each message spelled once, and the one mapping
//! to the wire error (code and `field`).

use confab_proto::ErrorCode;
use confab_proto::ids::UserId;

use crate::error::ApiError;

/// Why a groups request is refused.
#[derive(Debug, thiserror::Error)]
pub enum GroupsError {
    /// The group does not exist (or is private and I am not in it).
    #[error("no such group")]
    NoGroup,
    /// A public group I am not a member of.
    #[error("you are not a member of this group")]
    NotMember,
    /// A send to a group conversation I have left or was removed from.
    #[error("you are no longer in this conversation")]
    NoLongerMember,
    /// The group was dissolved: no change and no send.
    #[error("the group was dissolved")]
    Dissolved,
    /// The member named is not in the group.
    #[error("no such member")]
    NoMember,
    /// No ban on that user.
    #[error("no such ban")]
    NoBan,
    /// No such invite in this group.
    #[error("no such invite")]
    NoInvite,
    /// No such join request in this group.
    #[error("no such join request")]
    NoJoinRequest,
    /// A user to add does not exist or is not active.
    #[error("no such user: {user}")]
    NoUser {
        /// The user.
        user: UserId,
        /// The input field that named them.
        field: &'static str,
    },
    /// A user to add is not my friend.
    #[error("user {user} is not your friend")]
    NotFriend {
        /// The user.
        user: UserId,
        /// The input field that named them.
        field: &'static str,
    },
    /// Owner or admin only.
    #[error("only the owner or an admin may do this")]
    ManagersOnly,
    /// Owner only.
    #[error("only the owner may do this")]
    OwnerOnly,
    /// Plain members may not add members to this group.
    #[error("only the owner or an admin may add members to this group")]
    ManagersAdd,
    /// The target's role is not below mine.
    #[error("an admin may act only on plain members; nobody acts on the owner")]
    Outranked,
    /// A nickname is set by its member only.
    #[error("only members themselves set their nickname")]
    OwnNicknameOnly,
    /// More initial members than the group's limit.
    #[error("a group of at most {limit} members")]
    TooManyMembers {
        /// The member limit.
        limit: u32,
    },
    /// No room left.
    #[error("the group is full ({limit} members)")]
    Full {
        /// The member limit.
        limit: u32,
    },
    /// A ban on the user still holds.
    #[error("banned from this group")]
    Banned,
    /// The user is a member already.
    #[error("already a member of this group")]
    AlreadyMember,
    /// A join request of mine is pending.
    #[error("you already asked to join this group")]
    RequestPending,
    /// A join request was decided already.
    #[error("this request was already {status}")]
    RequestDecided {
        /// What it became.
        status: String,
    },
    /// The owner may not leave.
    #[error("transfer the group to another member before leaving")]
    OwnerMustTransfer,
    /// An invite token that cannot be used.
    #[error("this invite is unknown, expired, revoked or used up")]
    InviteInvalid,
    /// A permanent mute.
    #[error("you are muted in this group")]
    Muted,
    /// A mute that ends (RFC 3339).
    #[error("you are muted in this group until {until}")]
    MutedUntil {
        /// When it ends.
        until: String,
    },
    /// Mute-all holds for plain members.
    #[error("only the owner and admins may send while the group is muted")]
    AllMuted,
    /// `@all` by a plain member.
    #[error("only the owner and admins may mention all")]
    MentionAllForbidden,
    /// A search text out of bounds.
    #[error("q: 1 to 64 characters")]
    SearchText,
    /// A search page size out of bounds.
    #[error("limit: 1 to 50")]
    SearchLimit,
    /// A member page size out of bounds.
    #[error("limit: 1 to 200")]
    MemberPageLimit,
    /// A cursor this API did not hand out.
    #[error("cursor: a next_cursor from a page")]
    Cursor,
    /// An avatar that is not an image of mine.
    #[error("avatar: an image you uploaded")]
    Avatar,
    /// Too many users in one request.
    #[error("{field}: at most {max}")]
    TooManyUsers {
        /// The input field.
        field: &'static str,
        /// The most allowed.
        max: usize,
    },
    /// A member limit out of bounds.
    #[error("{field}: 2 to {max}")]
    MemberLimit {
        /// The input field.
        field: &'static str,
        /// The configured maximum.
        max: u32,
    },
    /// A member limit below the current member count.
    #[error("member_limit: at least the {count} current members")]
    MemberLimitBelowCount {
        /// Members now.
        count: u32,
    },
    /// An empty list of users to add.
    #[error("user_ids: 1 to 100 users")]
    NoUsersGiven,
    /// Nobody left to add once me and repeats are dropped.
    #[error("user_ids: nobody to add")]
    NobodyToAdd,
    /// Kicking or muting oneself.
    #[error("you cannot do this to yourself")]
    SelfTarget,
    /// Banning oneself.
    #[error("you cannot ban yourself")]
    SelfBan,
    /// Transferring to oneself.
    #[error("you already own this group")]
    AlreadyOwner,
    /// A member patch with nothing in it.
    #[error("give role, mute, mute_until or nickname")]
    NothingToChange,
    /// A patch naming the owner role.
    #[error("role: admin or member (ownership moves with POST /groups/{{id}}/transfer)")]
    OwnerRole,
    /// The owner changing their own role.
    #[error("the owner's role moves only by transfer")]
    OwnRole,
    /// An invite lifetime out of bounds.
    #[error("expires_in_secs: 60 to 31536000")]
    InviteExpiry,
    /// An invite use count out of bounds.
    #[error("max_uses: 1 to 100000")]
    InviteUses,
}

impl From<GroupsError> for ApiError {
    fn from(e: GroupsError) -> Self {
        use GroupsError as E;
        let (code, field) = match &e {
            E::NoGroup | E::NoMember | E::NoBan | E::NoInvite | E::NoJoinRequest => {
                (ErrorCode::NotFound, None)
            }
            E::NoUser { field, .. } => (ErrorCode::NotFound, Some(*field)),
            E::NotFriend { field, .. } => (ErrorCode::InviteeNotFriend, Some(*field)),
            E::NotMember => (ErrorCode::NotGroupMember, None),
            E::NoLongerMember => (ErrorCode::NotMember, None),
            E::Dissolved => (ErrorCode::GroupDissolved, None),
            E::ManagersOnly | E::OwnerOnly | E::ManagersAdd | E::Outranked | E::OwnNicknameOnly => {
                (ErrorCode::GroupRoleRequired, None)
            }
            E::TooManyMembers { .. } | E::Full { .. } => (ErrorCode::GroupFull, None),
            E::Banned => (ErrorCode::BannedFromGroup, None),
            E::AlreadyMember => (ErrorCode::AlreadyMember, None),
            E::RequestPending => (ErrorCode::JoinRequestPending, None),
            E::RequestDecided { .. } => (ErrorCode::Conflict, None),
            E::OwnerMustTransfer => (ErrorCode::OwnerMustTransfer, None),
            E::InviteInvalid => (ErrorCode::InviteInvalid, None),
            E::Muted | E::MutedUntil { .. } => (ErrorCode::MemberMuted, None),
            E::AllMuted => (ErrorCode::GroupAllMuted, None),
            E::MentionAllForbidden => (ErrorCode::MentionAllForbidden, Some("mentions")),
            E::SearchText => (ErrorCode::ValidationFailed, Some("q")),
            E::SearchLimit | E::MemberPageLimit => (ErrorCode::ValidationFailed, Some("limit")),
            E::Cursor => (ErrorCode::ValidationFailed, Some("cursor")),
            E::Avatar => (ErrorCode::ValidationFailed, Some("avatar")),
            E::TooManyUsers { field, .. } | E::MemberLimit { field, .. } => {
                (ErrorCode::ValidationFailed, Some(*field))
            }
            E::MemberLimitBelowCount { .. } => (ErrorCode::ValidationFailed, Some("member_limit")),
            E::NoUsersGiven | E::NobodyToAdd => (ErrorCode::ValidationFailed, Some("user_ids")),
            E::SelfTarget | E::SelfBan | E::AlreadyOwner => {
                (ErrorCode::ValidationFailed, Some("user_id"))
            }
            E::NothingToChange | E::OwnerRole | E::OwnRole => {
                (ErrorCode::ValidationFailed, Some("role"))
            }
            E::InviteExpiry => (ErrorCode::ValidationFailed, Some("expires_in_secs")),
            E::InviteUses => (ErrorCode::ValidationFailed, Some("max_uses")),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
