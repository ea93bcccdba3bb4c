//! The social graph over REST: friend requests, friends, blocks, follows, discovery privacy.

use confab_proto::accounts::Page;
use confab_proto::ids::{FriendRequestId, UserId};
use confab_proto::social::{
    BlockOut, Direction, FollowOut, FriendOut, FriendPatch, FriendRequestIn, FriendRequestOut,
    PrivacyOut, PrivacyPatch,
};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::{Client, Result, decode};

impl Client {
    async fn get_with(&self, path: &str, pairs: &[(&str, String)]) -> Result<reqwest::Response> {
        let mut url = self.url(path)?;
        if !pairs.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, v);
            }
        }
        let mut req = self.http().get(url);
        if let Some(token) = self.token() {
            req = req.bearer_auth(token);
        }
        Ok(req.send().await?)
    }

    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        mut pairs: Vec<(&str, String)>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<T>> {
        if let Some(c) = cursor {
            pairs.push(("cursor", c.to_owned()));
        }
        if let Some(l) = limit {
            pairs.push(("limit", l.to_string()));
        }
        decode(self.get_with(path, &pairs).await?).await
    }

    /// `POST /api/v1/friend-requests`, answered with the request (new, merged, or — when
    /// they had asked me — theirs, accepted).
    pub async fn send_friend_request(
        &self,
        user: UserId,
        note: Option<&str>,
        greeting: Option<&str>,
    ) -> Result<FriendRequestOut> {
        let body = FriendRequestIn {
            user_id: user,
            note: note.map(str::to_owned),
            greeting: greeting.map(str::to_owned),
        };
        self.call(Method::POST, "/api/v1/friend-requests", Some(&body))
            .await
    }

    /// `GET /api/v1/friend-requests?direction=`.
    pub async fn friend_requests(
        &self,
        direction: Direction,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<FriendRequestOut>> {
        let d = match direction {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        };
        self.page(
            "/api/v1/friend-requests",
            vec![("direction", d.to_owned())],
            cursor,
            limit,
        )
        .await
    }

    /// `POST /api/v1/friend-requests/{id}/accept`: my new friend.
    pub async fn accept_friend_request(&self, id: FriendRequestId) -> Result<FriendOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/friend-requests/{id}/accept"),
            None,
        )
        .await
    }

    /// `POST /api/v1/friend-requests/{id}/decline`.
    pub async fn decline_friend_request(&self, id: FriendRequestId) -> Result<()> {
        self.call::<(), ()>(
            Method::POST,
            &format!("/api/v1/friend-requests/{id}/decline"),
            None,
        )
        .await
    }

    /// `DELETE /api/v1/friend-requests/{id}`.
    pub async fn cancel_friend_request(&self, id: FriendRequestId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/friend-requests/{id}"),
            None,
        )
        .await
    }

    /// `GET /api/v1/friends`.
    pub async fn friends(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<FriendOut>> {
        self.page("/api/v1/friends", Vec::new(), cursor, limit)
            .await
    }

    /// `PATCH /api/v1/friends/{user_id}`.
    pub async fn update_friend(&self, user: UserId, patch: &FriendPatch) -> Result<FriendOut> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/friends/{user}"),
            Some(patch),
        )
        .await
    }

    /// `DELETE /api/v1/friends/{user_id}[?clear_chat=true]`.
    pub async fn remove_friend(&self, user: UserId, clear_chat: bool) -> Result<()> {
        let path = if clear_chat {
            format!("/api/v1/friends/{user}?clear_chat=true")
        } else {
            format!("/api/v1/friends/{user}")
        };
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }

    /// `GET /api/v1/blocks`.
    pub async fn blocks(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<Page<BlockOut>> {
        self.page("/api/v1/blocks", Vec::new(), cursor, limit).await
    }

    /// `PUT /api/v1/blocks/{user_id}`.
    pub async fn block(&self, user: UserId) -> Result<()> {
        self.call::<(), ()>(Method::PUT, &format!("/api/v1/blocks/{user}"), None)
            .await
    }

    /// `DELETE /api/v1/blocks/{user_id}`.
    pub async fn unblock(&self, user: UserId) -> Result<()> {
        self.call::<(), ()>(Method::DELETE, &format!("/api/v1/blocks/{user}"), None)
            .await
    }

    /// `PUT /api/v1/follows/{user_id}`.
    pub async fn follow(&self, user: UserId) -> Result<()> {
        self.call::<(), ()>(Method::PUT, &format!("/api/v1/follows/{user}"), None)
            .await
    }

    /// `DELETE /api/v1/follows/{user_id}`.
    pub async fn unfollow(&self, user: UserId) -> Result<()> {
        self.call::<(), ()>(Method::DELETE, &format!("/api/v1/follows/{user}"), None)
            .await
    }

    /// `GET /api/v1/users/{id}/followers`.
    pub async fn followers(
        &self,
        user: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<FollowOut>> {
        self.page(
            &format!("/api/v1/users/{user}/followers"),
            Vec::new(),
            cursor,
            limit,
        )
        .await
    }

    /// `GET /api/v1/users/{id}/following`.
    pub async fn following(
        &self,
        user: UserId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<FollowOut>> {
        self.page(
            &format!("/api/v1/users/{user}/following"),
            Vec::new(),
            cursor,
            limit,
        )
        .await
    }

    /// `GET /api/v1/me/privacy`.
    pub async fn privacy(&self) -> Result<PrivacyOut> {
        self.call::<(), _>(Method::GET, "/api/v1/me/privacy", None)
            .await
    }

    /// `PATCH /api/v1/me/privacy`.
    pub async fn update_privacy(&self, patch: &PrivacyPatch) -> Result<PrivacyOut> {
        self.call(Method::PATCH, "/api/v1/me/privacy", Some(patch))
            .await
    }
}
