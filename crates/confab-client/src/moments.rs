//! Moments (the friends' feed) over REST: a method per route.

use confab_proto::ids::{MomentCommentId, MomentId, UserId};
use confab_proto::moments::{
    CommentIn, CommentOut, CommentPage, LikePage, LikeStateOut, MomentOut, MomentPage,
    MomentSettingsOut, MomentSettingsPatch, NotificationPage, PostMomentIn, UserMomentsOut,
};
use reqwest::Method;

use crate::{Client, Result};

/// `cursor` and `limit` as query pairs.
fn page<'a>(cursor: Option<&'a str>, limit: &'a Option<String>) -> [(&'a str, Option<&'a str>); 2] {
    [("cursor", cursor), ("limit", limit.as_deref())]
}

impl Client {
    /// `POST /api/v1/moments`.
    pub async fn post_moment(&self, input: &PostMomentIn) -> Result<MomentOut> {
        self.call(Method::POST, "/api/v1/moments", Some(input))
            .await
    }

    /// `GET /api/v1/moments/feed`.
    pub async fn moments_feed(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<MomentPage> {
        let limit = limit.map(|l| l.to_string());
        self.get_query("/api/v1/moments/feed", &page(cursor, &limit))
            .await
    }

    /// `GET /api/v1/moments/{id}`.
    pub async fn moment(&self, id: MomentId) -> Result<MomentOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/moments/{id}"), None)
            .await
    }

    /// `DELETE /api/v1/moments/{id}`.
    pub async fn delete_moment(&self, id: MomentId) -> Result<()> {
        self.call::<(), ()>(Method::DELETE, &format!("/api/v1/moments/{id}"), None)
            .await
    }

    /// `GET /api/v1/moments/users/{user_id}`.
    pub async fn user_moments(
        &self,
        user: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<UserMomentsOut> {
        let limit = limit.map(|l| l.to_string());
        self.get_query(
            &format!("/api/v1/moments/users/{user}"),
            &page(cursor, &limit),
        )
        .await
    }

    /// `PUT /api/v1/moments/{id}/like`.
    pub async fn like_moment(&self, id: MomentId) -> Result<LikeStateOut> {
        self.call::<(), _>(Method::PUT, &format!("/api/v1/moments/{id}/like"), None)
            .await
    }

    /// `DELETE /api/v1/moments/{id}/like`.
    pub async fn unlike_moment(&self, id: MomentId) -> Result<LikeStateOut> {
        self.call::<(), _>(Method::DELETE, &format!("/api/v1/moments/{id}/like"), None)
            .await
    }

    /// `GET /api/v1/moments/{id}/likes`.
    pub async fn moment_likes(
        &self,
        id: MomentId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<LikePage> {
        let limit = limit.map(|l| l.to_string());
        self.get_query(
            &format!("/api/v1/moments/{id}/likes"),
            &page(cursor, &limit),
        )
        .await
    }

    /// `POST /api/v1/moments/{id}/comments`.
    pub async fn comment_moment(&self, id: MomentId, input: &CommentIn) -> Result<CommentOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/moments/{id}/comments"),
            Some(input),
        )
        .await
    }

    /// `GET /api/v1/moments/{id}/comments`.
    pub async fn moment_comments(
        &self,
        id: MomentId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<CommentPage> {
        let limit = limit.map(|l| l.to_string());
        self.get_query(
            &format!("/api/v1/moments/{id}/comments"),
            &page(cursor, &limit),
        )
        .await
    }

    /// `DELETE /api/v1/moments/comments/{id}`.
    pub async fn delete_moment_comment(&self, id: MomentCommentId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/moments/comments/{id}"),
            None,
        )
        .await
    }

    /// `GET /api/v1/moments/notifications`.
    pub async fn moment_notifications(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<NotificationPage> {
        let limit = limit.map(|l| l.to_string());
        self.get_query("/api/v1/moments/notifications", &page(cursor, &limit))
            .await
    }

    /// `POST /api/v1/moments/notifications/read`.
    pub async fn read_moment_notifications(&self) -> Result<()> {
        self.call::<(), ()>(Method::POST, "/api/v1/moments/notifications/read", None)
            .await
    }

    /// `GET /api/v1/moments/settings`.
    pub async fn moment_settings(&self) -> Result<MomentSettingsOut> {
        self.call::<(), _>(Method::GET, "/api/v1/moments/settings", None)
            .await
    }

    /// `PATCH /api/v1/moments/settings`.
    pub async fn update_moment_settings(
        &self,
        patch: &MomentSettingsPatch,
    ) -> Result<MomentSettingsOut> {
        self.call(Method::PATCH, "/api/v1/moments/settings", Some(patch))
            .await
    }

    /// `PUT` (hide) or `DELETE` (show again) `/api/v1/moments/hidden-from/{user_id}`: my
    /// moments hidden from a user.
    pub async fn hide_moments_from(&self, user: UserId, hide: bool) -> Result<MomentSettingsOut> {
        let m = if hide { Method::PUT } else { Method::DELETE };
        self.call::<(), _>(m, &format!("/api/v1/moments/hidden-from/{user}"), None)
            .await
    }

    /// `PUT` (mute) or `DELETE` (unmute) `/api/v1/moments/muted/{user_id}`: a user's
    /// moments left out of my feed.
    pub async fn mute_moments_of(&self, user: UserId, mute: bool) -> Result<MomentSettingsOut> {
        let m = if mute { Method::PUT } else { Method::DELETE };
        self.call::<(), _>(m, &format!("/api/v1/moments/muted/{user}"), None)
            .await
    }
}
