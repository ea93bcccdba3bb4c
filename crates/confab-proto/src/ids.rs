//! Typed ids. Every id is a 64-bit snowflake made by the server (time-ordered: milliseconds,
//! node, sequence). JSON carries them as decimal strings because JavaScript numbers lose
//! precision above 2^53; a number, a negative value or anything above `i64::MAX` is refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError;

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id is a decimal string of 1 to 19 digits, at most 9223372036854775807")
    }
}

impl std::error::Error for ParseIdError {}

/// The pattern the document gives every id: a positive decimal of 1 to 19 digits without a
/// leading zero. (The parser is a little wider, taking leading zeros; and refuses the 19-digit
/// values above `i64::MAX`, which a readable pattern cannot exclude.)
pub const ID_PATTERN: &str = "^[1-9][0-9]{0,18}$";

/// Parses the decimal form shared by every id type: digits only, positive, fits in `i64`.
pub fn parse_id(s: &str) -> Result<i64, ParseIdError> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseIdError);
    }
    match s.parse::<i64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(ParseIdError),
    }
}

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
        #[schema(value_type = String, example = "7260000000000000001", pattern = "^[1-9][0-9]{0,18}$")]
        pub struct $name(pub i64);

        impl $name {
            /// The raw 64-bit value.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_id(s).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

id_type! {
    /// A user account.
    UserId;
    /// A signed-in device (one refresh-token family).
    SessionId;
    /// A conversation: direct, group, channel or room.
    ConversationId;
    /// A message's global id (its place in a conversation is its `seq`).
    MessageId;
    /// A group.
    GroupId;
    /// An uploaded file.
    FileId;
    /// A report to the moderators.
    ReportId;
    /// A friend request.
    FriendRequestId;
    /// A request to join a group.
    JoinRequestId;
    /// A voice room.
    RoomId;
    /// A seat application or a seat invitation in a voice room.
    SeatRequestId;
    /// A gift in the catalog.
    GiftId;
    /// One send of a gift (with its count).
    GiftSendId;
    /// A row of the ledger.
    LedgerEntryId;
    /// A stack of items in a backpack.
    BackpackItemId;
    /// An admin adjustment or a VIP purchase.
    WalletOpId;
    /// A voice or video call.
    CallId;
    /// A sign-up invite code (the admin's handle on it; the code itself is a secret).
    SignupInviteId;
    /// A post in the friends' feed (moments).
    MomentId;
    /// A comment on a moment.
    MomentCommentId;
    /// An entry of a user's moments notification inbox.
    MomentNotificationId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_pattern_is_id_pattern() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(UserId::schema()).unwrap();
        assert_eq!(schema["pattern"], ID_PATTERN);
    }

    #[test]
    fn ids_round_trip_as_strings() {
        let id = UserId(7_260_000_000_000_000_001);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"7260000000000000001\"");
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
    }

    #[test]
    fn ids_refuse_numbers_signs_and_overflow() {
        for bad in [
            "123",
            "\"-1\"",
            "\"0\"",
            "\"+5\"",
            "\" 5\"",
            "\"18446744073709551616\"",
            "\"9223372036854775808\"",
            "\"\"",
            "\"1e3\"",
        ] {
            assert!(
                serde_json::from_str::<UserId>(bad).is_err(),
                "{bad} must be refused"
            );
        }
        assert_eq!(
            "9223372036854775807".parse::<UserId>().unwrap(),
            UserId(i64::MAX)
        );
    }
}
