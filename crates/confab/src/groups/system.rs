//! The bodies of a group's `system` messages: one tagged enum, one variant per change.
//!
//! A body is stored as the JSON of a `serde_json::Value` (keys in sorted order), as it always
//! was; [`SystemEvent::body`] makes that value, so stored bodies stay byte for byte the same.

use chrono::{DateTime, Utc};
use confab_proto::groups::{HistoryPolicy, JoinPolicy, Role, Visibility};
use confab_proto::ids::{FileId, UserId};
use serde::Serialize;

use super::store::Group;

/// What a group `system` message records (`{"event": "member_joined", …}`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SystemEvent {
    /// The group was made, with its first members (the owner first).
    GroupCreated {
        /// Its name.
        name: String,
        /// Everyone who joined at creation.
        member_ids: Vec<UserId>,
    },
    /// Settings changed: `fields` names them, and each one's new value follows.
    GroupUpdated {
        /// Who changed them.
        by: UserId,
        /// The names of the changed fields.
        fields: Vec<&'static str>,
        /// Their new values.
        #[serde(flatten)]
        changes: GroupChanges,
    },
    /// The group was dissolved.
    GroupDissolved {
        /// By whom (the owner, or a system administrator).
        by: UserId,
    },
    /// A user joined (by themself, an invite's maker, an approver or an adder).
    MemberJoined {
        /// Who joined.
        user_id: UserId,
        /// Who let them in.
        by: UserId,
    },
    /// A member was removed by a manager, perhaps banned.
    MemberKicked {
        /// Who was removed.
        user_id: UserId,
        /// By whom.
        by: UserId,
        /// Whether a ban came with it.
        banned: bool,
        /// When the ban ends (`null`: never, or no ban).
        until: Option<DateTime<Utc>>,
    },
    /// A member left.
    MemberLeft {
        /// Who left.
        user_id: UserId,
    },
    /// A member's role changed.
    MemberRole {
        /// Whose.
        user_id: UserId,
        /// The new role.
        role: Role,
        /// By whom.
        by: UserId,
    },
    /// A member was muted or unmuted.
    MemberMuted {
        /// Who.
        user_id: UserId,
        /// By whom.
        by: UserId,
        /// Until when (`null`: unmuted).
        until: Option<DateTime<Utc>>,
    },
    /// A member set or cleared their nickname.
    MemberNickname {
        /// Who.
        user_id: UserId,
        /// The new nickname.
        nickname: Option<String>,
    },
}

/// The new values of a settings change: only the changed fields are present (a present
/// `None` is a cleared value, `null`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    announcement: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<Option<FileId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visibility: Option<Visibility>,
    #[serde(skip_serializing_if = "Option::is_none")]
    join_policy: Option<JoinPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history_policy: Option<HistoryPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_invite: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member_limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    all_muted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_id: Option<UserId>,
}

impl GroupChanges {
    /// The current values of `fields` in `g` (names other than the group's settings are
    /// left out).
    pub fn of(g: &Group, fields: &[&str]) -> Self {
        let mut c = Self::default();
        for f in fields {
            match *f {
                "name" => c.name = Some(g.name.clone()),
                "description" => c.description = Some(g.description.clone()),
                "announcement" => c.announcement = Some(g.announcement.clone()),
                "avatar" => c.avatar = Some(g.avatar),
                "visibility" => c.visibility = Some(g.visibility),
                "join_policy" => c.join_policy = Some(g.join_policy),
                "history_policy" => c.history_policy = Some(g.history_policy),
                "member_invite" => c.member_invite = Some(g.member_invite),
                "member_limit" => c.member_limit = Some(g.member_limit),
                "all_muted" => c.all_muted = Some(g.all_muted),
                "owner_id" => c.owner_id = Some(g.owner_id),
                _ => {}
            }
        }
        c
    }
}

impl SystemEvent {
    /// The stored body: a JSON value, whose keys serialize in sorted order.
    pub fn body(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

#[cfg(test)]
mod tests {
    use confab_proto::ids::{ConversationId, GroupId};
    use serde_json::json;

    use super::*;

    fn text(e: &SystemEvent) -> String {
        e.body().unwrap().to_string()
    }

    fn group() -> Group {
        Group {
            id: GroupId(1),
            conversation_id: ConversationId(2),
            name: "Hikers".into(),
            avatar: None,
            description: "up".into(),
            announcement: None,
            visibility: Visibility::Public,
            join_policy: JoinPolicy::Open,
            history_policy: HistoryPolicy::All,
            member_invite: true,
            owner_id: UserId(7),
            member_limit: 200,
            member_count: 3,
            all_muted: false,
            dissolved_at: None,
            created_at: DateTime::from_timestamp(1_000, 0).unwrap(),
        }
    }

    /// Each body is byte for byte what the `json!` it replaces stored.
    #[test]
    fn bodies_are_unchanged() {
        let (u, by) = (UserId(5), UserId(7));
        let t = DateTime::from_timestamp(1_700_000_000, 0);
        let cases = [
            (
                SystemEvent::GroupCreated {
                    name: "Hikers".into(),
                    member_ids: vec![by, u],
                },
                json!({"event": "group_created", "name": "Hikers", "member_ids": vec![by, u]}),
            ),
            (
                SystemEvent::GroupDissolved { by },
                json!({"event": "group_dissolved", "by": by}),
            ),
            (
                SystemEvent::MemberJoined { user_id: u, by },
                json!({"event": "member_joined", "user_id": u, "by": by}),
            ),
            (
                SystemEvent::MemberKicked {
                    user_id: u,
                    by,
                    banned: true,
                    until: t,
                },
                json!({"event": "member_kicked", "user_id": u, "by": by,
                    "banned": true, "until": t}),
            ),
            (
                SystemEvent::MemberKicked {
                    user_id: u,
                    by,
                    banned: false,
                    until: None,
                },
                json!({"event": "member_kicked", "user_id": u, "by": by,
                    "banned": false, "until": None::<DateTime<Utc>>}),
            ),
            (
                SystemEvent::MemberLeft { user_id: u },
                json!({"event": "member_left", "user_id": u}),
            ),
            (
                SystemEvent::MemberRole {
                    user_id: u,
                    role: Role::Admin,
                    by,
                },
                json!({"event": "member_role", "user_id": u, "role": Role::Admin, "by": by}),
            ),
            (
                SystemEvent::MemberMuted {
                    user_id: u,
                    by,
                    until: t,
                },
                json!({"event": "member_muted", "user_id": u, "by": by, "until": t}),
            ),
            (
                SystemEvent::MemberNickname {
                    user_id: u,
                    nickname: None,
                },
                json!({"event": "member_nickname", "user_id": u, "nickname": None::<String>}),
            ),
        ];
        for (event, before) in cases {
            assert_eq!(text(&event), before.to_string());
        }
        assert_eq!(
            json!({"event": "member_joined", "user_id": u, "by": by})["user_id"],
            "5",
            "ids are strings"
        );
    }

    #[test]
    fn updates_carry_their_fields() {
        let g = group();
        let by = UserId(7);
        for fields in [
            vec!["name", "announcement", "avatar", "member_limit"],
            vec!["owner_id"],
            vec!["all_muted"],
            vec![
                "description",
                "visibility",
                "join_policy",
                "history_policy",
                "member_invite",
            ],
        ] {
            let mut before = json!({"event": "group_updated", "by": by, "fields": fields});
            for f in &fields {
                before[*f] = match *f {
                    "name" => json!(g.name),
                    "description" => json!(g.description),
                    "announcement" => json!(g.announcement),
                    "avatar" => json!(g.avatar),
                    "visibility" => json!(g.visibility),
                    "join_policy" => json!(g.join_policy),
                    "history_policy" => json!(g.history_policy),
                    "member_invite" => json!(g.member_invite),
                    "member_limit" => json!(g.member_limit),
                    "all_muted" => json!(g.all_muted),
                    "owner_id" => json!(g.owner_id),
                    _ => serde_json::Value::Null,
                };
            }
            let event = SystemEvent::GroupUpdated {
                by,
                changes: GroupChanges::of(&g, &fields),
                fields,
            };
            assert_eq!(text(&event), before.to_string());
        }
    }
}
