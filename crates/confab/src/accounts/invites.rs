//! Sign-up invite codes (`auth.registration = "invite"`), the administrators' side: make
//! one (the code is shown once, in that answer), list, look at one and who used it, revoke.
//! Redeeming a code is part of sign-up ([`super::registration`]).
//!
//! A code is a secret: 16 characters from an alphabet without look-alikes (~79 bits), shown
//! as `XXXX-XXXX-XXXX-XXXX`. Only its SHA-256 is stored; it is never logged, and the
//! invite's id (not the code) is the handle administrators use afterwards.

use chrono::Duration;
use confab_proto::admin::{
    PageQuery, SignupInviteDetailOut, SignupInviteIn, SignupInviteOut, SignupInvitePage,
    SignupInviteUseOut,
};
use confab_proto::ids::{SignupInviteId, UserId};
use rand::Rng;

use super::error::AccountsError;
use super::store::{self, Invite, NewInvite};
use super::tokens::hash_secret;
use crate::error::ApiError;
use crate::state::AppState;

/// Characters a code is made of (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters per code (without the dashes).
const LEN: usize = 16;
/// The most accounts one code may make.
pub const MAX_USES: u32 = 10_000;
/// Longest accepted code as typed (dashes and spaces included).
const MAX_TYPED: usize = 64;

/// A fresh random code, `XXXX-XXXX-XXXX-XXXX`.
fn generate() -> String {
    let mut rng = rand::rng();
    let raw: Vec<char> = (0..LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    raw.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The hash a typed code is looked up by: upper-cased, dashes and spaces dropped; `None`
/// for input no code can match (too long, or nothing left).
pub fn code_hash(typed: &str) -> Option<String> {
    if typed.len() > MAX_TYPED {
        return None;
    }
    let norm: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!norm.is_empty()).then(|| hash_secret(&format!("signup-invite:{norm}")))
}

fn out(state: &AppState, i: Invite, code: Option<String>) -> SignupInviteOut {
    SignupInviteOut {
        usable: i.usable(state.clock.now()),
        id: i.id,
        code,
        max_uses: i.max_uses,
        uses: i.uses,
        expires_at: i.expires_at,
        note: i.note,
        created_by: i.created_by,
        created_at: i.created_at,
        revoked_at: i.revoked_at,
    }
}

/// Makes an invite; the answer is the only place its code ever appears.
pub async fn create(
    state: &AppState,
    admin: UserId,
    input: SignupInviteIn,
) -> Result<SignupInviteOut, ApiError> {
    let now = state.clock.now();
    let max_uses = input.max_uses.unwrap_or(1);
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(AccountsError::InviteMaxUses.into());
    }
    if let Some(t) = input.expires_at
        && (t <= now || t > now + Duration::days(366))
    {
        return Err(AccountsError::InviteExpiry.into());
    }
    let note = input.note.unwrap_or_default();
    if note.chars().count() > 200 || note.chars().any(char::is_control) {
        return Err(AccountsError::InviteNote.into());
    }
    let code = generate();
    let hash = code_hash(&code).ok_or_else(|| ApiError::internal(anyhow::anyhow!("empty code")))?;
    let id = SignupInviteId(state.ids.next_id());
    store::create_invite(
        state.store.writer(),
        NewInvite {
            id,
            code_hash: &hash,
            max_uses,
            expires_at: input.expires_at,
            note: note.trim(),
            created_by: admin,
            now,
        },
    )
    .await?;
    tracing::info!(invite_id = %id, max_uses, admin_id = %admin, "sign-up invite created");
    let made = get_invite(state, id).await?;
    Ok(out(state, made, Some(code)))
}

async fn get_invite(state: &AppState, id: SignupInviteId) -> Result<Invite, ApiError> {
    Ok(store::find_invite(state.store.writer(), id)
        .await?
        .ok_or(AccountsError::NoSuchInvite)?)
}

/// Invites, newest first (`cursor` from the previous page; `limit` 1–100, default 50).
pub async fn list(state: &AppState, q: PageQuery) -> Result<SignupInvitePage, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 100"));
    }
    let before = q
        .cursor
        .as_deref()
        .map(|c| c.parse::<i64>().map(SignupInviteId))
        .transpose()
        .map_err(|_| ApiError::invalid("cursor", "not a cursor from this endpoint"))?;
    let rows = store::list_invites(state.store.reader(), before, u64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    let invites: Vec<SignupInviteOut> = rows
        .into_iter()
        .take(limit as usize)
        .map(|i| out(state, i, None))
        .collect();
    let next_cursor = more
        .then(|| invites.last().map(|i| i.id.0.to_string()))
        .flatten();
    Ok(SignupInvitePage {
        invites,
        next_cursor,
    })
}

/// One invite and the accounts made with it.
pub async fn detail(
    state: &AppState,
    id: SignupInviteId,
) -> Result<SignupInviteDetailOut, ApiError> {
    let invite = get_invite(state, id).await?;
    let used_by = store::list_invite_uses(state.store.reader(), id)
        .await?
        .into_iter()
        .map(|(user_id, used_at)| SignupInviteUseOut { user_id, used_at })
        .collect();
    Ok(SignupInviteDetailOut {
        invite: out(state, invite, None),
        used_by,
    })
}

/// Revokes an invite: it admits nobody from now on (accounts it made stay). Revoking a
/// revoked invite changes nothing.
pub async fn revoke(
    state: &AppState,
    admin: UserId,
    id: SignupInviteId,
) -> Result<SignupInviteOut, ApiError> {
    get_invite(state, id).await?;
    if store::revoke_invite(state.store.writer(), id, state.clock.now()).await? {
        tracing::info!(invite_id = %id, admin_id = %admin, "sign-up invite revoked");
    }
    Ok(out(state, get_invite(state, id).await?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_typed_forms_hash_alike() {
        let c = generate();
        assert_eq!(c.len(), LEN + 3);
        assert!(c.split('-').all(|g| g.len() == 4));
        let typed = c.replace('-', " ").to_lowercase();
        assert_eq!(code_hash(&c), code_hash(&typed));
        assert_ne!(code_hash(&c), code_hash(&generate()));
        assert_eq!(code_hash(" - "), None);
        assert_eq!(code_hash(&"A".repeat(65)), None);
    }
}
