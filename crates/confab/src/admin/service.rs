//! Administration rules: the audit log, user status and site-wide mutes, sensitive words,
//! notices and stats. Every change an administrator makes is written to the audit log
//! after it took effect (act, then audit: an audit row never claims what did not happen).

use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_proto::admin::{
    AuditOut, AuditPage, NoticeIn, NoticeOut, PageQuery, SensitiveWordOut, SensitiveWordsOut,
    StatsOut, UserAdminOut,
};
use confab_proto::ids::UserId;
use confab_proto::ws::ServerEvent;

use super::error::AdminError;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::ids::MAX_NODE_ID;
use crate::moderation::audit::audit;
use crate::state::AppState;

/// `limit` of a paged admin list: 1–100, default 50.
pub fn page_limit(q: &PageQuery) -> Result<u64, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit: 1 to 100"));
    }
    Ok(u64::from(limit))
}

/// An id cursor from a previous page.
pub fn page_cursor(q: &PageQuery) -> Result<Option<i64>, ApiError> {
    match q.cursor.as_deref() {
        None | Some("") => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("cursor", "cursor: not a cursor from this endpoint")),
    }
}

/// The audit log, newest first.
pub async fn list_audit(state: &AppState, q: PageQuery) -> Result<AuditPage, ApiError> {
    let limit = page_limit(&q)?;
    let before = page_cursor(&q)?;
    let rows = crate::moderation::audit::list(state, before, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(AuditPage {
        items: rows
            .into_iter()
            .map(|r| AuditOut {
                id: r.id.to_string(),
                actor_id: r.actor,
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
                created_at: r.created_at,
            })
            .collect(),
        next_cursor,
    })
}

/// A user's administrative state.
pub async fn user_admin_out(state: &AppState, user: UserId) -> Result<UserAdminOut, ApiError> {
    let u = crate::accounts::service::find_user(state, user, true)
        .await?
        .ok_or(AdminError::NoUser)?;
    let mute = crate::moderation::mutes::find_mute(state, user).await?;
    Ok(UserAdminOut {
        user_id: user,
        status: u.status.as_str().to_owned(),
        muted: mute.is_some(),
        muted_until: mute.and_then(|m| m.until),
    })
}

/// Disables a user: sign-in refused, every session revoked and its sockets closed at once
/// on every node (the same code as `confab admin disable-user`). Audited.
pub async fn disable_user(
    state: &AppState,
    admin: UserId,
    user: UserId,
    details: serde_json::Value,
) -> Result<UserAdminOut, ApiError> {
    if user == admin {
        return Err(AdminError::OwnAccount("disable").into());
    }
    crate::accounts::service::get_user(state, user).await?;
    crate::accounts::service::disable_user(state, user).await?;
    audit(
        state,
        admin,
        "user.disable",
        "user",
        user.to_string(),
        details,
    )
    .await?;
    user_admin_out(state, user).await
}

/// Re-enables a disabled user. Audited.
pub async fn enable_user(
    state: &AppState,
    admin: UserId,
    user: UserId,
) -> Result<UserAdminOut, ApiError> {
    crate::accounts::service::enable_user(state, user).await?;
    audit(
        state,
        admin,
        "user.enable",
        "user",
        user.to_string(),
        serde_json::json!({}),
    )
    .await?;
    user_admin_out(state, user).await
}

/// Mutes a user site-wide (every send path refuses with `user_muted`). Audited.
pub async fn mute_user(
    state: &AppState,
    admin: UserId,
    user: UserId,
    until: Option<DateTime<Utc>>,
    report: Option<confab_proto::ids::ReportId>,
) -> Result<UserAdminOut, ApiError> {
    if user == admin {
        return Err(AdminError::OwnAccount("mute").into());
    }
    crate::accounts::service::get_user(state, user).await?;
    let until = crate::moderation::mutes::check_until(state, "until", until)?;
    crate::moderation::mutes::mute_user(state, user, until, admin, report).await?;
    audit(
        state,
        admin,
        "user.mute",
        "user",
        user.to_string(),
        serde_json::json!({"until": until, "report_id": report.map(|r| r.to_string())}),
    )
    .await?;
    user_admin_out(state, user).await
}

/// Lifts a site-wide mute; 404 when there was none. Audited.
pub async fn unmute_user(
    state: &AppState,
    admin: UserId,
    user: UserId,
) -> Result<UserAdminOut, ApiError> {
    if !crate::moderation::mutes::unmute_user(state, user).await? {
        return Err(AdminError::NotMuted.into());
    }
    audit(
        state,
        admin,
        "user.unmute",
        "user",
        user.to_string(),
        serde_json::json!({}),
    )
    .await?;
    user_admin_out(state, user).await
}

/// The admin-managed sensitive words.
pub async fn list_words(state: &AppState) -> Result<SensitiveWordsOut, ApiError> {
    Ok(SensitiveWordsOut {
        words: crate::moderation::service::list_words(state).await?,
    })
}

/// Adds a word; every node rebuilds its filter (bus control message). Audited when added.
pub async fn add_word(
    state: &AppState,
    admin: UserId,
    word: &str,
) -> Result<SensitiveWordOut, ApiError> {
    if word.len() > 1024 {
        return Err(ApiError::invalid("word", "word: at most 1024 bytes"));
    }
    let normalised = crate::moderation::filter::normalise_word(word).unwrap_or_default();
    let added = crate::moderation::service::add_word(state, word, Some(admin)).await?;
    if added {
        audit(
            state,
            admin,
            "word.add",
            "word",
            normalised.clone(),
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(SensitiveWordOut {
        word: normalised,
        added,
    })
}

/// Removes a word (any spelling); 404 when it was not there. Audited.
pub async fn remove_word(state: &AppState, admin: UserId, word: &str) -> Result<(), ApiError> {
    if word.len() > 1024 {
        return Err(ApiError::invalid("word", "word: at most 1024 bytes"));
    }
    if !crate::moderation::service::remove_word(state, word).await? {
        return Err(AdminError::NoWord.into());
    }
    let normalised = crate::moderation::filter::normalise_word(word).unwrap_or_default();
    audit(
        state,
        admin,
        "word.remove",
        "word",
        normalised,
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}

fn checked_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, ApiError> {
    // A notice is display text like any other: the one rule applies.
    crate::moderation::text::lines(field, text, usize::from(required), max)
}

/// Sends a system notice to every connected socket on every node (`notice` event): logged
/// in the audit log first (the notice's id is its entry's), then published once.
pub async fn send_notice(
    state: &AppState,
    admin: UserId,
    input: NoticeIn,
) -> Result<NoticeOut, ApiError> {
    let text = checked_text("text", &input.text, 2000, true)?;
    let title = match input.title.as_deref() {
        Some(t) => Some(checked_text("title", t, 100, false)?).filter(|t| !t.is_empty()),
        None => None,
    };
    let at = state.clock.now();
    let id = audit(
        state,
        admin,
        "notice.send",
        "notice",
        "everyone".into(),
        serde_json::json!({"title": title, "text": text}),
    )
    .await?;
    let out = NoticeOut {
        id: id.to_string(),
        title,
        text,
        at,
    };
    crate::push::publish(state, Topic::Everyone, &ServerEvent::Notice(out.clone())).await?;
    Ok(out)
}

/// How long a node's socket count stays in the cache without being refreshed.
const SOCKETS_TTL: Duration = Duration::from_secs(30);
/// A node rewrites its count at least this often (and whenever it changes, within 1 s).
const SOCKETS_REFRESH: Duration = Duration::from_secs(10);

fn sockets_key(node: u16) -> String {
    format!("stats:sockets:{node}")
}

/// Starts this node's socket-count reporter: each node keeps its open-socket count in the
/// cache under its node id with a TTL, so a crashed node's count expires by itself and
/// [`stats`] sums what every live node reported.
pub fn spawn_reporter(state: AppState) {
    let cancel = state.tasks.token();
    let st = state.clone();
    state.tasks.spawn("socket-count-reporter", async move {
        let key = sockets_key(st.ids.node());
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last: Option<(usize, tokio::time::Instant)> = None;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            let n = st.push.registry.len();
            let stale = last.is_none_or(|(prev, at)| prev != n || at.elapsed() >= SOCKETS_REFRESH);
            if !stale {
                continue;
            }
            match st
                .cache
                .set(&key, n.to_string().as_bytes(), SOCKETS_TTL)
                .await
            {
                Ok(()) => last = Some((n, tokio::time::Instant::now())),
                Err(e) => tracing::debug!(error = %e, "socket count not reported"),
            }
        }
        // Leaving: this node's sockets are closing.
        let _ = st.cache.delete(&key).await;
    });
}

/// Server statistics: users, groups, sockets online across the cluster, messages today.
pub async fn stats(state: &AppState) -> Result<StatsOut, ApiError> {
    let now = state.clock.now();
    let midnight = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let (users, users_disabled) = crate::accounts::service::count_users(state).await?;
    let groups = crate::groups::service::count_live(state).await?;
    let messages_today = crate::messaging::service::count_since(state, midnight).await?;
    let keys: Vec<String> = (0..=MAX_NODE_ID).map(sockets_key).collect();
    let values = state.cache.get_many(&keys).await?;
    let reported: Vec<u64> = values
        .iter()
        .flatten()
        .filter_map(|b| std::str::from_utf8(b).ok()?.parse().ok())
        .collect();
    let here = state.ids.node();
    // This node's own count is live; its cached one may be up to a second old.
    let mine = u64::try_from(state.push.registry.len()).unwrap_or(u64::MAX);
    let mine_cached = values
        .get(usize::from(here))
        .and_then(|v| v.as_ref())
        .and_then(|b| std::str::from_utf8(b).ok()?.parse::<u64>().ok());
    let others: u64 = reported.iter().sum::<u64>() - mine_cached.unwrap_or(0);
    let nodes = reported.len() as u64 + u64::from(mine_cached.is_none());
    Ok(StatsOut {
        users,
        users_disabled,
        groups,
        sockets_online: others + mine,
        nodes,
        messages_today,
    })
}

/// A message's trail: its commit (from the store) and every node's push (from the push
/// layer's trail records).
pub async fn message_trail(
    state: &AppState,
    id: confab_proto::ids::MessageId,
) -> Result<confab_proto::admin::MessageTrailOut, ApiError> {
    use confab_proto::admin::{MessageTrailOut, TrailPushOut};

    let m = crate::messaging::service::find_message_by_id(state, id)
        .await?
        .ok_or_else(|| {
            ApiError::new(confab_proto::ErrorCode::NotFound, "no message with that id")
        })?;
    let made = crate::infra::ids::timestamp_of(id.0).unwrap_or(m.created_at);
    let pushes = crate::push::trail::read(state, id.0, made.timestamp_millis())
        .await
        .map_err(|e| ApiError::unavailable("trails", e))?;
    let sockets_total = pushes.iter().map(|p| u64::from(p.sockets)).sum();
    Ok(MessageTrailOut {
        message_id: m.id,
        conversation_id: m.conversation_id,
        seq: m.seq,
        sender_id: m.sender_id,
        committed_at: m.created_at,
        pushes: pushes
            .into_iter()
            .map(|p| TrailPushOut {
                node: p.node,
                pushed_at: chrono::DateTime::from_timestamp_millis(p.at_ms).unwrap_or(m.created_at),
                sockets: p.sockets,
            })
            .collect(),
        sockets_total,
        kept_secs: state.push.trails.keep().as_secs(),
    })
}
