//! Moments (issue 15): the visibility matrix (viewer × read path), paging under concurrent
//! posting, likes under concurrency, exact counters, deletion cascades, reports, the route
//! matrix and a newcomer's walkthrough with its events.

mod flows;
mod matrix;
mod races;

use std::time::Duration;

use confab_client::ClientError;
use confab_proto::ids::{FileId, UserId};
use confab_proto::moments::{Audience, MomentOut, PostMomentIn, Visibility};

use crate::harness::*;

/// How long an expected event may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// (status, code) of a failed call.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// An image `u` uploads.
pub async fn image(u: &TestUser) -> FileId {
    u.client
        .upload(crate::media::png(8, 8), "m.png", "image/png")
        .await
        .unwrap()
        .id
}

/// A moment body.
pub fn moment_in(
    text: &str,
    visibility: Visibility,
    users: &[UserId],
    tags: &[&str],
    media: Vec<FileId>,
    mentions: Vec<UserId>,
) -> PostMomentIn {
    let listed = !(users.is_empty() && tags.is_empty());
    PostMomentIn {
        text: text.into(),
        media,
        visibility,
        audience: listed.then(|| Audience {
            user_ids: users.to_vec(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }),
        location: None,
        mentions,
    }
}

/// A text-only moment of `u`'s with `visibility`.
pub async fn say(u: &TestUser, text: &str, visibility: Visibility) -> MomentOut {
    u.client
        .post_moment(&moment_in(text, visibility, &[], &[], vec![], vec![]))
        .await
        .unwrap()
}

/// Signs `u` in again (after the clock moved past the tokens' lifetime).
pub async fn relogin(app: &TestApp, u: &mut TestUser) {
    u.tokens = app.client.login(&u.username, PASSWORD).await.unwrap();
    u.client = app.client.signed_in(&u.tokens);
}
