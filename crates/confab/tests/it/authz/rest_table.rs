//! The table of `authz::rest` (what each column means: see that module).

/// Who acts, in column order.
pub const ACTORS: [&str; 5] = ["owner", "friend", "stranger", "blocked", "sysadmin"];

/// What an allowed cell does to the world.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fx {
    /// Nothing the other cells depend on.
    Keep,
    /// Consumes subjects or changes relations: fresh subjects, relations put back after.
    Fresh,
    /// Ends the caller's session: they sign in again after.
    Relog,
}

/// One route as the OpenAPI document names it (subjects filled in), with a body.
pub struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub body: &'static str,
    pub expect: [u16; 5],
    pub fx: Fx,
}

const fn row(
    method: &'static str,
    path: &'static str,
    body: &'static str,
    expect: [u16; 5],
    fx: Fx,
) -> Row {
    Row {
        method,
        path,
        body,
        expect,
        fx,
    }
}

use Fx::{Fresh, Keep, Relog};

const ALL200: [u16; 5] = [200; 5];
const ONLY_PAIR: [u16; 5] = [200, 200, 404, 404, 404];

/// The expected table. Columns: owner, friend, stranger, blocked, sysadmin.
pub const TABLE: &[Row] = &[
    // ------------------------------------------------------------ the caller's account
    row("GET", "/api/v1/me", "", ALL200, Keep),
    row("PATCH", "/api/v1/me", r#"{"bio":"matrix"}"#, ALL200, Keep),
    row(
        "DELETE",
        "/api/v1/me",
        r#"{"password":"not my password"}"#,
        [401; 5],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/me/email",
        r#"{"email":"matrix@example.com","code":"000000"}"#,
        [422; 5],
        Keep,
    ),
    // Unbinding what is not bound is a no-op (409 only when it is the last way in).
    row("DELETE", "/api/v1/me/email", "", ALL200, Keep),
    row(
        "PUT",
        "/api/v1/me/phone",
        r#"{"phone":"+15555550100","code":"000000"}"#,
        [422; 5],
        Keep,
    ),
    row("DELETE", "/api/v1/me/phone", "", ALL200, Keep),
    row("GET", "/api/v1/me/identities", "", ALL200, Keep),
    row(
        "DELETE",
        "/api/v1/me/identities/{provider}",
        "",
        [404; 5],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/me/password",
        r#"{"old_password":"not my password","new_password":"another good passphrase"}"#,
        [401; 5],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/me/presence",
        r#"{"status":"busy"}"#,
        ALL200,
        Keep,
    ),
    row("GET", "/api/v1/me/privacy", "", ALL200, Keep),
    row(
        "PATCH",
        "/api/v1/me/privacy",
        r#"{"findable_by_username":true}"#,
        ALL200,
        Keep,
    ),
    row("GET", "/api/v1/me/push-settings", "", ALL200, Keep),
    row(
        "PATCH",
        "/api/v1/me/push-settings",
        r#"{"private_previews":true}"#,
        ALL200,
        Keep,
    ),
    row("GET", "/api/v1/me/sessions", "", ALL200, Keep),
    // Only o may end o's other session.
    row(
        "DELETE",
        "/api/v1/me/sessions/{osess}",
        "",
        [204, 404, 404, 404, 404],
        Fresh,
    ),
    row(
        "POST",
        "/api/v1/auth/codes",
        r#"{"channel":"email","target":"{cmid}@example.com","purpose":"bind"}"#,
        [202; 5],
        Keep,
    ),
    row("POST", "/api/v1/auth/logout", "", [204; 5], Relog),
    row("POST", "/api/v1/auth/logout-all", "", [204; 5], Relog),
    row("GET", "/api/v1/sync", "", ALL200, Keep),
    row("GET", "/api/v1/ws", "", [101; 5], Keep),
    // ------------------------------------------------------------ people
    row("GET", "/api/v1/users?q={o_name}", "", ALL200, Keep),
    // A profile is anyone's to read; a block hides nothing here but presence and lists.
    row("GET", "/api/v1/users/{o}", "", ALL200, Keep),
    row(
        "GET",
        "/api/v1/users/{o}/followers",
        "",
        [200, 200, 200, 404, 200],
        Keep,
    ),
    row(
        "GET",
        "/api/v1/users/{o}/following",
        "",
        [200, 200, 200, 404, 200],
        Keep,
    ),
    row(
        "GET",
        "/api/v1/users/{o}/presence",
        "",
        [200, 200, 403, 403, 403],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/follows/{o}",
        "",
        [422, 204, 204, 403, 204],
        Fresh,
    ),
    row(
        "DELETE",
        "/api/v1/follows/{o}",
        "",
        [422, 204, 204, 204, 204],
        Keep,
    ),
    row("GET", "/api/v1/friend-requests", "", ALL200, Keep),
    row(
        "POST",
        "/api/v1/friend-requests",
        r#"{"user_id":"{o}"}"#,
        [422, 409, 201, 403, 201],
        Fresh,
    ),
    // The sender cancels; the recipient accepts or declines; nobody else sees it.
    row(
        "DELETE",
        "/api/v1/friend-requests/{req_out}",
        "",
        [204, 404, 404, 404, 404],
        Fresh,
    ),
    row(
        "POST",
        "/api/v1/friend-requests/{req_in}/accept",
        "",
        [200, 404, 404, 404, 404],
        Fresh,
    ),
    row(
        "POST",
        "/api/v1/friend-requests/{req_in}/decline",
        "",
        [204, 404, 404, 404, 404],
        Fresh,
    ),
    row("GET", "/api/v1/friends", "", ALL200, Keep),
    // The blocked friend keeps the friendship row (decision 0007).
    row(
        "PATCH",
        "/api/v1/friends/{o}",
        r#"{"remark":"mx"}"#,
        [404, 200, 404, 200, 404],
        Keep,
    ),
    row(
        "DELETE",
        "/api/v1/friends/{o}",
        "",
        [404, 204, 404, 204, 404],
        Fresh,
    ),
    row("GET", "/api/v1/blocks", "", ALL200, Keep),
    row(
        "PUT",
        "/api/v1/blocks/{o}",
        "",
        [422, 204, 204, 204, 204],
        Fresh,
    ),
    row(
        "DELETE",
        "/api/v1/blocks/{o}",
        "",
        [422, 204, 204, 204, 204],
        Keep,
    ),
    row(
        "POST",
        "/api/v1/reports",
        r#"{"target":{"kind":"user","user_id":"{o}"},"reason":"matrix"}"#,
        [422, 201, 201, 201, 201],
        Keep,
    ),
    // ------------------------------------------------------------ conversations
    row("GET", "/api/v1/conversations", "", ALL200, Keep),
    // A chat with oneself is always allowed; others need o's friendship.
    row(
        "POST",
        "/api/v1/conversations/direct",
        r#"{"user_id":"{o}"}"#,
        [200, 200, 403, 403, 403],
        Keep,
    ),
    row("GET", "/api/v1/conversations/{conv}", "", ONLY_PAIR, Keep),
    row(
        "PATCH",
        "/api/v1/conversations/{conv}",
        r#"{"pinned":true}"#,
        ONLY_PAIR,
        Keep,
    ),
    row(
        "GET",
        "/api/v1/conversations/{conv}/messages",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "POST",
        "/api/v1/conversations/{conv}/messages",
        r#"{"client_msg_id":"{cmid}","kind":"text","body":{"text":"hi"}}"#,
        [201, 201, 404, 404, 404],
        Keep,
    ),
    // Only the author edits or recalls a message.
    row(
        "PATCH",
        "/api/v1/conversations/{conv}/messages/{seq}",
        r#"{"body":{"text":"edited"}}"#,
        [200, 403, 404, 404, 404],
        Fresh,
    ),
    row(
        "DELETE",
        "/api/v1/conversations/{conv}/messages/{seq}",
        "",
        [204, 403, 404, 404, 404],
        Fresh,
    ),
    row(
        "GET",
        "/api/v1/conversations/{conv}/messages/{seq}/reactions",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/conversations/{conv}/messages/{seq}/reactions/{emoji}",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "DELETE",
        "/api/v1/conversations/{conv}/messages/{seq}/reactions/{emoji}",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "GET",
        "/api/v1/conversations/{conv}/messages/{seq}/readers",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "POST",
        "/api/v1/conversations/{conv}/read",
        r#"{"seq":1}"#,
        ONLY_PAIR,
        Keep,
    ),
    row(
        "POST",
        "/api/v1/conversations/{conv}/recv",
        r#"{"seq":1}"#,
        ONLY_PAIR,
        Keep,
    ),
    // The chat with the blocked friend: readable by both, no sends either way.
    row(
        "GET",
        "/api/v1/conversations/{bconv}/messages",
        "",
        [200, 404, 404, 200, 404],
        Keep,
    ),
    row(
        "POST",
        "/api/v1/conversations/{bconv}/messages",
        r#"{"client_msg_id":"{cmid}","kind":"text","body":{"text":"hi"}}"#,
        [403, 404, 404, 403, 404],
        Keep,
    ),
    // ------------------------------------------------------------ files
    row("POST", "/api/v1/uploads", "@png", [201; 5], Keep),
    row("GET", "/api/v1/files/{file}", "", ONLY_PAIR, Keep),
    row("POST", "/api/v1/files/{file}/url", "", ONLY_PAIR, Keep),
    // ------------------------------------------------------------ calls (not one call's)
    row("GET", "/api/v1/calls/ice-servers", "", ALL200, Keep),
    // Calling o: a friend only (a chat with oneself is not a call).
    row(
        "POST",
        "/api/v1/calls",
        r#"{"callee_id":"{o}","media":"audio"}"#,
        [422, 201, 403, 403, 403],
        Fresh,
    ),
    row(
        "POST",
        "/api/v1/calls/group",
        r#"{"conversation_id":"{gconv}","media":"audio"}"#,
        [201, 201, 404, 404, 404],
        Fresh,
    ),
    // ------------------------------------------------------------ gifts and wallet
    row("GET", "/api/v1/gifts", "", ALL200, Keep),
    row(
        "GET",
        "/api/v1/gifts/leaderboard?board=receivers&period=all",
        "",
        ALL200,
        Keep,
    ),
    row("GET", "/api/v1/gifts/received", "", ALL200, Keep),
    row("GET", "/api/v1/gifts/sent", "", ALL200, Keep),
    // A gift to o in o's chat: from the friend only (the others are not in it).
    row(
        "POST",
        "/api/v1/gifts/sends",
        r#"{"client_key":"{cmid}","gift_id":"{gift}","count":1,"receiver_id":"{o}","conversation_id":"{conv}"}"#,
        [422, 200, 404, 404, 404],
        Keep,
    ),
    row("GET", "/api/v1/wallet", "", ALL200, Keep),
    row("GET", "/api/v1/wallet/backpack", "", ALL200, Keep),
    row("GET", "/api/v1/wallet/ledger", "", ALL200, Keep),
    row(
        "POST",
        "/api/v1/wallet/vip",
        r#"{"client_key":"{cmid}","periods":1}"#,
        ALL200,
        Keep,
    ),
    // ------------------------------------------------------------ the world channel
    row("GET", "/api/v1/channels/world", "", ALL200, Keep),
    // ------------------------------------------------------------ moments
    row(
        "POST",
        "/api/v1/moments",
        r#"{"text":"matrix","visibility":"private"}"#,
        [201; 5],
        Keep,
    ),
    row("GET", "/api/v1/moments/feed", "", ALL200, Keep),
    row("GET", "/api/v1/moments/settings", "", ALL200, Keep),
    row(
        "PATCH",
        "/api/v1/moments/settings",
        r#"{"stranger_range":"all"}"#,
        ALL200,
        Keep,
    ),
    row("GET", "/api/v1/moments/notifications", "", ALL200, Keep),
    row(
        "POST",
        "/api/v1/moments/notifications/read",
        "",
        [204; 5],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/moments/hidden-from/{o}",
        "",
        [422, 200, 200, 200, 200],
        Fresh,
    ),
    row(
        "DELETE",
        "/api/v1/moments/hidden-from/{o}",
        "",
        [200, 200, 200, 200, 200],
        Keep,
    ),
    row(
        "PUT",
        "/api/v1/moments/muted/{o}",
        "",
        [422, 200, 200, 200, 200],
        Fresh,
    ),
    row(
        "DELETE",
        "/api/v1/moments/muted/{o}",
        "",
        [200, 200, 200, 200, 200],
        Keep,
    ),
    // o's page: its public moments for strangers, nothing across a block (an empty page).
    row("GET", "/api/v1/moments/users/{o}", "", ALL200, Keep),
    row("GET", "/api/v1/moments/{moment}", "", ONLY_PAIR, Keep),
    row(
        "GET",
        "/api/v1/moments/{pmoment}",
        "",
        [200, 200, 200, 404, 200],
        Keep,
    ),
    row(
        "GET",
        "/api/v1/moments/{moment}/comments",
        "",
        ONLY_PAIR,
        Keep,
    ),
    row(
        "POST",
        "/api/v1/moments/{moment}/comments",
        r#"{"text":"nice"}"#,
        [201, 201, 404, 404, 404],
        Keep,
    ),
    row("GET", "/api/v1/moments/{moment}/likes", "", ONLY_PAIR, Keep),
    row("PUT", "/api/v1/moments/{moment}/like", "", ONLY_PAIR, Keep),
    // Taking back a like is idempotent and answers the same for any id (`changed: false`
    // where there was none): it reveals nothing and changes nothing.
    row("DELETE", "/api/v1/moments/{moment}/like", "", ALL200, Keep),
    // The comment's author and the moment's author may remove a comment.
    row(
        "DELETE",
        "/api/v1/moments/comments/{comment}",
        "",
        [204, 204, 404, 404, 404],
        Fresh,
    ),
    // The author deletes; a friend who sees it is refused; a system administrator may delete
    // any moment (moderation, audited as `moment.delete`: docs/moments.md).
    row(
        "DELETE",
        "/api/v1/moments/{moment}",
        "",
        [204, 403, 404, 404, 204],
        Fresh,
    ),
    // ------------------------------------------------------------ last: clearing a chat
    row(
        "POST",
        "/api/v1/conversations/{conv}/clear",
        "",
        ONLY_PAIR,
        Keep,
    ),
];
