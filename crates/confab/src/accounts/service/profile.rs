//! The caller's own account and its profile fields, and the word filter over nicknames.

use confab_proto::accounts::{MeOut, MePatch};
use confab_proto::ids::UserId;

use super::users::get_user;
use crate::accounts::auth::AuthUser;
use crate::accounts::hooks;
use crate::accounts::model;
use crate::accounts::store::{self, ProfileChange};
use crate::error::ApiError;
use crate::state::AppState;

/// The caller's own account.
pub async fn me(state: &AppState, auth: AuthUser) -> Result<MeOut, ApiError> {
    Ok(get_user(state, auth.user_id).await?.me())
}

/// Edits the caller's profile.
pub async fn update_me(
    state: &AppState,
    auth: AuthUser,
    patch: MePatch,
) -> Result<MeOut, ApiError> {
    let mut c = ProfileChange::default();
    let mut review = None;
    if let Some(n) = &patch.nickname {
        let (nickname, original) =
            screen_nickname(state, &model::display_text("nickname", n, 1, 64)?)?;
        c.nickname = Some(nickname);
        review = original;
    }
    // The bio and tags are public profile text: screened like the nickname (they were
    // not, issue 19). Reviews of them file against the user like a nickname's.
    let mut reviews = Vec::new();
    if let Some(b) = &patch.bio {
        let s = crate::moderation::screen::screen(
            state,
            "bio",
            &model::multiline_text("bio", b, 500)?,
        )?;
        reviews.extend(s.review);
        c.bio = Some(s.text);
    }
    if let Some(g) = &patch.gender {
        c.gender = Some(model::gender(g)?);
    }
    if let Some(t) = &patch.tags {
        let mut tags = Vec::new();
        for tag in model::tags(t)? {
            let s = crate::moderation::screen::screen(state, "tags", &tag)?;
            reviews.extend(s.review);
            if !tags.contains(&s.text) {
                tags.push(s.text);
            }
        }
        c.tags = Some(tags);
    }
    if let Some(avatar) = patch.avatar {
        if let Some(file) = avatar {
            hooks::images(state)?
                .require_own_image(state, auth.user_id, file, "avatar")
                .await?;
        }
        c.avatar = Some(avatar);
    }
    store::update_profile(state.store.writer(), auth.user_id, c, state.clock.now()).await?;
    if let Some(original) = review {
        report_nickname(state, auth.user_id, original).await;
    }
    for original in reviews {
        use crate::moderation::screen::{Target, file_review};
        let reason = "sensitive word in profile";
        file_review(
            state,
            Target::User(auth.user_id),
            Some(auth.user_id),
            reason,
            original,
        )
        .await;
    }
    me(state, auth).await
}

/// Screens a nickname (masked, or refused with `content_blocked`): the text to store, and
/// the original when the action asks for a review.
pub(super) fn screen_nickname(
    state: &AppState,
    nickname: &str,
) -> Result<(String, Option<String>), ApiError> {
    let s = crate::moderation::screen::screen(state, "nickname", nickname)?;
    Ok((s.text, s.review))
}

/// Files the filter's report on a user whose nickname it masked for review.
pub(super) async fn report_nickname(state: &AppState, user: UserId, original: String) {
    use crate::moderation::screen::{Target, file_review};
    let reason = "sensitive word in nickname";
    file_review(state, Target::User(user), Some(user), reason, original).await;
}
