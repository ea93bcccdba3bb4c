//! What members do to a message once it is stored: edit, recall, react, and ask who read it.
//!
//! Every action is authorised the same way ([`target`]): a member of the conversation (404
//! for anyone else, so strangers learn nothing), the seq inside the member's visibility window
//! (404 otherwise), and — for changes — a member who has not left (403 `not_member`).
//! None of them moves a read/recv mark or `last_seq`, so unread never changes.
//! Each change is committed first and pushed to the conversation's topic afterwards.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{
    MessageOut, MessagePatch, ReactionOut, ReactionSummary, ReactionsOut, ReadersOut, RecallOut,
};
use confab_proto::ws::ServerEvent;

use super::error::MessagingError;
use super::model;
use super::rules;
use super::service::{
    membership, message_out, place, push, report_for_review, screen_body, topic_of,
};
use super::store::{self, Conversation, Message};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::{from_ms, to_ms};
use crate::state::AppState;

/// The longest reaction, in bytes.
pub const MAX_EMOJI_BYTES: usize = 32;

/// Whether the action changes the message (and so needs a member who has not left).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Change,
}

/// The message `seq` of `conv`, if `me` may act on it, where its events go, and the
/// conversation (for the kind's rules, asked through [`place`] where an action needs them).
async fn target(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
    access: Access,
) -> Result<(Message, Topic, Conversation), ApiError> {
    let (c, member) = membership(state, me, conv).await?;
    if seq <= member.floor() || seq > member.ceiling(c.last_seq) {
        return Err(MessagingError::NoSuchMessage.into());
    }
    if access == Access::Change && !member.active() {
        return Err(MessagingError::NotMember.into());
    }
    let m = store::find_message(state.store.reader(), conv, seq)
        .await?
        .ok_or(MessagingError::NoSuchMessage)?;
    Ok((m, topic_of(&c), c))
}

/// Whether `at` is within `window_secs` of `sent` (a window of 0 allows nothing).
fn within(sent: DateTime<Utc>, at: DateTime<Utc>, window_secs: u64) -> bool {
    let window = i64::try_from(window_secs).unwrap_or(i64::MAX);
    window > 0 && (at - sent).num_seconds() < window
}

/// Edits my text message within the edit window; pushes `message.edited`.
pub async fn edit(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
    patch: MessagePatch,
) -> Result<MessageOut, ApiError> {
    let (m, topic, c) = target(state, me, conv, seq, Access::Change).await?;
    let at = place(state, &c, me).await?;
    rules::of(state, at.kind).check_act(state, &at).await?;
    if m.sender_id != me {
        return Err(MessagingError::EditByOther.into());
    }
    if m.recalled_at.is_some() {
        return Err(MessagingError::Recalled.into());
    }
    if m.kind != "text" {
        return Err(MessagingError::NotEditable.into());
    }
    let now = state.clock.now();
    if !within(m.created_at, now, state.config.messaging.edit_window_secs) {
        return Err(MessagingError::EditWindowPassed.into());
    }
    let mut body = model::validate("text", &patch.body)?;
    // An edit is new user text: screened like a send.
    let review = screen_body(state, "text", &mut body.json)?;
    let db = state.store.writer();
    // `false` also when nothing changed (MySQL counts changed rows, not matched ones), so
    // re-read to tell "recalled meanwhile" from "same body, same millisecond".
    store::edit_message(db, conv, seq, &body.json.to_string(), now).await?;
    let after = store::find_message(db, conv, seq)
        .await?
        .ok_or(MessagingError::NoSuchMessage)?;
    if after.recalled_at.is_some() {
        return Err(MessagingError::Recalled.into());
    }
    store::touch_members(db, conv, now).await?;
    if let Some(original) = review {
        report_for_review(state, &after, original).await;
    }
    let out = message_out(&after);
    push(state, topic, ServerEvent::MessageEdited(out.clone())).await;
    Ok(out)
}

/// Whether `me`, an active member of `conv`, manages it over `other` (the same rule as
/// recalling `other`'s messages: a group's owner or admin over a lower role). Calls asks
/// this to let a manager end a group call someone else started.
pub async fn may_manage(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    other: UserId,
) -> Result<bool, ApiError> {
    let (c, member) = membership(state, me, conv).await?;
    if !member.active() {
        return Ok(false);
    }
    let at = place(state, &c, me).await?;
    rules::of(state, c.kind)
        .may_recall_others(state, &at, other)
        .await
}

/// Recalls a message: my own within the recall window. Recalling a recalled message
/// succeeds without doing anything (a retry must not fail); pushes `message.recalled`.
pub async fn recall(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
) -> Result<(), ApiError> {
    let (m, topic, c) = target(state, me, conv, seq, Access::Change).await?;
    if m.kind == "system" || m.kind == "gift" || m.kind == "call" {
        // The record of a group change (or of a charged gift, or of a call) is the
        // server's, not its actor's.
        return Err(MessagingError::SystemMessage.into());
    }
    // A group's owner or admin may recall anyone's message of a lower role, at any time.
    let as_manager = m.sender_id != me && {
        let at = place(state, &c, me).await?;
        rules::of(state, c.kind)
            .may_recall_others(state, &at, m.sender_id)
            .await?
    };
    if m.sender_id != me && !as_manager {
        return Err(MessagingError::RecallByOther.into());
    }
    if m.recalled_at.is_some() {
        return Ok(());
    }
    // At the store's precision (ms), so the event says exactly what history will.
    let now = from_ms(to_ms(state.clock.now()));
    if !as_manager && !within(m.created_at, now, state.config.messaging.recall_window_secs) {
        return Err(MessagingError::RecallWindowPassed.into());
    }
    let db = state.store.writer();
    if !store::recall_message(db, conv, seq, now).await? {
        return Ok(()); // A concurrent recall won; it pushes the event.
    }
    store::touch_members(db, conv, now).await?;
    push(
        state,
        topic,
        ServerEvent::MessageRecalled(RecallOut {
            conversation_id: conv,
            seq,
            recalled_at: now,
            by: me,
        }),
    )
    .await;
    Ok(())
}

/// Checks a reaction: 1–32 bytes; no ASCII letters or digits, whitespace or control
/// characters; and one emoji-like unit — split on zero-width joiners, each part holds
/// one base character (or a pair of regional indicators, a flag) plus modifiers
/// (variation selectors, skin tones, keycap, tags). Not full grapheme segmentation: it
/// keeps words and strings of emoji out, not every oddity.
pub fn validate_emoji(s: &str) -> Result<(), MessagingError> {
    if s.is_empty() || s.len() > MAX_EMOJI_BYTES {
        return Err(MessagingError::BadEmoji);
    }
    let modifier = |c: char| matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{1F3FB}'..='\u{1F3FF}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}');
    let regional = |c: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&c);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c.is_whitespace() || c.is_control() {
            return Err(MessagingError::BadEmoji);
        }
    }
    for part in s.split('\u{200D}') {
        let bases: Vec<char> = part.chars().filter(|c| !modifier(*c)).collect();
        let ok = match bases.as_slice() {
            [_] => true,
            [a, b] => regional(*a) && regional(*b),
            _ => false,
        };
        if !ok {
            return Err(MessagingError::BadEmoji);
        }
    }
    Ok(())
}

/// Sets my reaction to a message (replacing my previous one); pushes `reaction`.
pub async fn react(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
    emoji: &str,
) -> Result<ReactionsOut, ApiError> {
    validate_emoji(emoji)?;
    let (m, topic, c) = target(state, me, conv, seq, Access::Change).await?;
    if m.recalled_at.is_some() {
        return Err(MessagingError::Recalled.into());
    }
    let at = place(state, &c, me).await?;
    rules::of(state, at.kind).check_act(state, &at).await?;
    let db = state.store.writer();
    store::put_reaction(db, conv, seq, me, emoji, state.clock.now()).await?;
    push(
        state,
        topic,
        ServerEvent::Reaction(ReactionOut {
            conversation_id: conv,
            seq,
            user_id: me,
            emoji: Some(emoji.to_owned()),
        }),
    )
    .await;
    summary(state, me, conv, seq, true).await
}

/// Removes my reaction to a message, if any (removing none succeeds); pushes `reaction`
/// with `emoji: null` when one was removed.
pub async fn unreact(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
    emoji: &str,
) -> Result<ReactionsOut, ApiError> {
    validate_emoji(emoji)?;
    let (_, topic, _) = target(state, me, conv, seq, Access::Change).await?;
    let db = state.store.writer();
    // Only my reaction with this emoji: a stale client removing an emoji I already replaced
    // must not remove the new one.
    let mine = store::list_reactions(db, conv, seq)
        .await?
        .into_iter()
        .any(|(u, e)| u == me && e == emoji);
    if mine && store::delete_reaction(db, conv, seq, me).await? {
        push(
            state,
            topic,
            ServerEvent::Reaction(ReactionOut {
                conversation_id: conv,
                seq,
                user_id: me,
                emoji: None,
            }),
        )
        .await;
    }
    summary(state, me, conv, seq, true).await
}

/// The reactions to a message, grouped by emoji.
pub async fn reactions(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
) -> Result<ReactionsOut, ApiError> {
    target(state, me, conv, seq, Access::Read).await?;
    summary(state, me, conv, seq, false).await
}

async fn summary(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
    after_write: bool,
) -> Result<ReactionsOut, ApiError> {
    // Right after my own write, read from the writer so I see it.
    let db = if after_write {
        state.store.writer()
    } else {
        state.store.reader()
    };
    let mut out: Vec<ReactionSummary> = Vec::new();
    for (user, emoji) in store::list_reactions(db, conv, seq).await? {
        match out.iter_mut().find(|s| s.emoji == emoji) {
            Some(s) => {
                s.count += 1;
                s.mine |= user == me;
                s.user_ids.push(user);
            }
            None => out.push(ReactionSummary {
                emoji,
                count: 1,
                mine: user == me,
                user_ids: vec![user],
            }),
        }
    }
    // Stable: most used first, ties in order of first use.
    out.sort_by_key(|s| std::cmp::Reverse(s.count));
    Ok(ReactionsOut {
        conversation_id: conv,
        seq,
        reactions: out,
    })
}

/// Who read a message: current members other than the sender whose window holds it
/// (joined before it, not cleared past it), and those of them whose read mark reached it.
/// Any member who may see the message may ask — in a group only its sender, the owner and
/// the admins.
pub async fn readers(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    seq: i64,
) -> Result<ReadersOut, ApiError> {
    let (m, _, c) = target(state, me, conv, seq, Access::Read).await?;
    let allowed = m.sender_id == me || {
        let at = place(state, &c, me).await?;
        rules::of(state, c.kind)
            .may_list_readers(state, &at, m.sender_id)
            .await?
    };
    if !allowed {
        return Err(MessagingError::ReadersHidden.into());
    }
    let members = store::list_members(state.store.reader(), conv, false).await?;
    let eligible: Vec<_> = members
        .iter()
        .filter(|x| x.user_id != m.sender_id && x.joined_seq < seq)
        .collect();
    let readers: Vec<UserId> = eligible
        .iter()
        .filter(|x| x.read_seq >= seq)
        .map(|x| x.user_id)
        .collect();
    Ok(ReadersOut {
        conversation_id: conv,
        seq,
        count: readers.len() as i64,
        total: eligible.len() as i64,
        readers,
    })
}

/// Recalls any message as a system administrator upholding a report: no sender check and
/// no window. Pushes `message.recalled` with `by` = the administrator; `false` when it was
/// already recalled (nothing pushed). 404 when there is no such message.
pub async fn recall_as_moderator(
    state: &AppState,
    conv: ConversationId,
    seq: i64,
    by: UserId,
) -> Result<bool, ApiError> {
    let db = state.store.writer();
    let c = store::find_conversation(db, conv)
        .await?
        .ok_or(MessagingError::NoSuchMessage)?;
    let m = store::find_message(db, conv, seq)
        .await?
        .ok_or(MessagingError::NoSuchMessage)?;
    if m.recalled_at.is_some() {
        return Ok(false);
    }
    let now = from_ms(to_ms(state.clock.now()));
    if !store::recall_message(db, conv, seq, now).await? {
        return Ok(false);
    }
    store::touch_members(db, conv, now).await?;
    push(
        state,
        topic_of(&c),
        ServerEvent::MessageRecalled(RecallOut {
            conversation_id: conv,
            seq,
            recalled_at: now,
            by,
        }),
    )
    .await;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rule() {
        for ok in ["👍", "❤️", "👍🏽", "🇫🇷", "👩‍👩‍👧", "#️⃣", "🏳️‍🌈", "☺"]
        {
            assert!(validate_emoji(ok).is_ok(), "{ok} refused");
        }
        for bad in [
            "",
            "a",
            "1",
            "👍👍",
            "ok👍",
            " 👍",
            "\u{7}",
            "🇫🇷🇩🇪",
            &"👍".repeat(9),
        ] {
            assert!(validate_emoji(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn windows() {
        let t0 = chrono::DateTime::from_timestamp(1_000_000, 0).unwrap();
        let s = chrono::Duration::seconds;
        assert!(within(t0, t0 + s(119), 120));
        assert!(!within(t0, t0 + s(120), 120));
        assert!(within(t0, t0 - s(5), 120), "clock skew backwards is inside");
        assert!(!within(t0, t0, 0), "0: never");
    }
}
