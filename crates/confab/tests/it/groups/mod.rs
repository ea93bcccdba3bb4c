//! Groups (issue 6 items 1–6): flows, the authorization matrix, and the races and fan-out
//! that the conversation lock and the gateway index must get right.

mod flows;
pub(crate) mod matrix;
mod scale;

use confab_client::ClientError;
use confab_proto::groups::{GroupIn, GroupOut, JoinOut, JoinPolicy, Visibility};
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{MessageIn, MessageOut};

use crate::harness::*;

/// (status, code) of a failed call.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// A text message with a fresh client id.
pub fn text(t: &str) -> MessageIn {
    MessageIn {
        client_msg_id: unique("g"),
        kind: "text".into(),
        body: serde_json::json!({ "text": t }),
        reply_to: None,
        mentions: None,
    }
}

/// A group body with defaults.
pub fn group_in(name: &str, visibility: Visibility, join_policy: JoinPolicy) -> GroupIn {
    GroupIn {
        name: name.into(),
        visibility,
        join_policy,
        member_limit: None,
        member_ids: None,
        description: None,
        avatar: None,
        history_policy: None,
        member_invite: None,
    }
}

/// `owner`'s new public open group.
pub async fn open_group(owner: &TestUser, name: &str) -> GroupOut {
    owner
        .client
        .create_group(&group_in(name, Visibility::Public, JoinPolicy::Open))
        .await
        .unwrap()
}

/// Joins an open group (must join at once).
pub async fn join(user: &TestUser, g: &GroupOut) -> GroupOut {
    match user.client.join_group(g.id, None).await.unwrap() {
        JoinOut::Joined(g) => g,
        JoinOut::Requested(r) => panic!("expected to join, got a request {r:?}"),
    }
}

/// Every message `user` can read in `conv`, oldest first.
pub async fn all_messages(user: &TestUser, conv: ConversationId) -> Vec<MessageOut> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = user
            .client
            .history(conv, None, Some(after), Some(100))
            .await
            .unwrap();
        after = page.messages.last().map_or(after, |m| m.seq);
        out.extend(page.messages);
        if !page.has_more {
            return out;
        }
    }
}

/// The `event` field of a system message's body.
pub fn sys_event(m: &MessageOut) -> Option<&str> {
    (m.kind == "system")
        .then(|| m.body["event"].as_str())
        .flatten()
}

/// A system administrator (promoted through the same service the CLI uses), signed in again.
pub async fn system_admin(app: &TestApp) -> TestUser {
    let u = app.user("sysadmin").await;
    confab::accounts::service::create_admin(&app.state, &u.username, PASSWORD)
        .await
        .unwrap();
    let tokens = app.client.login(&u.username, PASSWORD).await.unwrap();
    TestUser {
        client: app.client.signed_in(&tokens),
        username: u.username,
        tokens,
    }
}

/// The same user signed in afresh (after the test clock moved past the access-token TTL).
pub async fn again(app: &TestApp, u: &TestUser) -> TestUser {
    let tokens = app.client.login(&u.username, PASSWORD).await.unwrap();
    TestUser {
        client: app.client.signed_in(&tokens),
        username: u.username.clone(),
        tokens,
    }
}
