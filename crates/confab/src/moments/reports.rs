//! Moments in the review queue (admin's `POST /reports` and its uphold): what a reporter
//! sees of a moment or comment, and hiding one when a report is upheld. A hidden moment is
//! seen by its author only; a hidden comment by nobody.

use confab_proto::ids::UserId;

use super::access::visible_people;
use super::error::MomentsError;
use super::post::visible;
use super::store::{interactions, posts};
use crate::error::ApiError;
use crate::moderation::reports::Target;
use crate::state::AppState;

/// The excerpt and author of a moment or comment `me` may see (else `no such …`).
pub async fn snapshot(
    state: &AppState,
    me: UserId,
    target: Target,
) -> Result<(String, UserId), ApiError> {
    match target {
        Target::Moment(id) => {
            let p = visible(state, me, id).await?;
            let mut excerpt = p.text.clone();
            if !p.media.is_empty() {
                excerpt.push_str(&format!(" [{} media]", p.media.len()));
            }
            Ok((excerpt, p.author))
        }
        Target::MomentComment(id) => {
            let c = interactions::find_comment(state.store.reader(), id)
                .await?
                .filter(|c| !c.hidden)
                .ok_or(MomentsError::NoComment)?;
            let p = visible(state, me, c.moment)
                .await
                .map_err(|_| MomentsError::NoComment)?;
            if visible_people(state, me, &p)
                .await?
                .is_some_and(|people| !people.contains(&c.author))
            {
                return Err(MomentsError::NoComment.into());
            }
            Ok((c.text, c.author))
        }
        _ => Err(MomentsError::NoMoment.into()),
    }
}

/// Hides a reported moment or comment (an upheld report); gone already: nothing to do.
pub async fn hide(state: &AppState, target: Target) -> Result<(), ApiError> {
    let db = state.store.writer();
    let now = state.clock.now();
    match target {
        Target::Moment(id) => {
            posts::hide(db, id, now).await?;
        }
        Target::MomentComment(id) => {
            interactions::hide_comment(db, id, now).await?;
        }
        _ => {}
    }
    Ok(())
}
