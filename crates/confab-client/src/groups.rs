//! Groups over REST.

use confab_proto::groups::{
    BanIn, BanOut, GroupIn, GroupOut, GroupPage, GroupPatch, InviteIn, InviteOut, JoinIn, JoinOut,
    JoinRequestOut, KickQuery, MemberOut, MemberPage, MemberPatch, MembersIn, MuteAllIn,
    TransferIn,
};
use confab_proto::ids::{GroupId, JoinRequestId, UserId};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// `POST /api/v1/groups`.
    pub async fn create_group(&self, input: &GroupIn) -> Result<GroupOut> {
        self.call(Method::POST, "/api/v1/groups", Some(input)).await
    }

    /// `GET /api/v1/groups?q=` (one page).
    pub async fn search_groups(
        &self,
        q: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<GroupPage> {
        let limit = limit.map(|l| l.to_string());
        let query = [
            ("q", Some(q)),
            ("cursor", cursor),
            ("limit", limit.as_deref()),
        ];
        self.get_query("/api/v1/groups", &query).await
    }

    /// `GET /api/v1/groups/{id}`.
    pub async fn group(&self, id: GroupId) -> Result<GroupOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/groups/{id}"), None)
            .await
    }

    /// `PATCH /api/v1/groups/{id}`.
    pub async fn update_group(&self, id: GroupId, patch: &GroupPatch) -> Result<GroupOut> {
        self.call(Method::PATCH, &format!("/api/v1/groups/{id}"), Some(patch))
            .await
    }

    /// `DELETE /api/v1/groups/{id}` (dissolve).
    pub async fn dissolve_group(&self, id: GroupId) -> Result<()> {
        self.call::<(), ()>(Method::DELETE, &format!("/api/v1/groups/{id}"), None)
            .await
    }

    /// `GET /api/v1/groups/{id}/members` (one page).
    pub async fn group_members(
        &self,
        id: GroupId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<MemberPage> {
        let mut path = format!("/api/v1/groups/{id}/members?");
        if let Some(c) = cursor {
            path.push_str(&format!("cursor={c}&"));
        }
        if let Some(l) = limit {
            path.push_str(&format!("limit={l}"));
        }
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// `POST /api/v1/groups/{id}/members`.
    pub async fn add_group_members(&self, id: GroupId, users: &[UserId]) -> Result<Vec<MemberOut>> {
        self.call(
            Method::POST,
            &format!("/api/v1/groups/{id}/members"),
            Some(&MembersIn {
                user_ids: users.to_vec(),
            }),
        )
        .await
    }

    /// `PATCH /api/v1/groups/{id}/members/{user_id}`.
    pub async fn update_group_member(
        &self,
        id: GroupId,
        user: UserId,
        patch: &MemberPatch,
    ) -> Result<MemberOut> {
        self.call(
            Method::PATCH,
            &format!("/api/v1/groups/{id}/members/{user}"),
            Some(patch),
        )
        .await
    }

    /// `DELETE /api/v1/groups/{id}/members/{user_id}` (kick, optionally with a ban).
    pub async fn kick_group_member(&self, id: GroupId, user: UserId, q: &KickQuery) -> Result<()> {
        let mut path = format!("/api/v1/groups/{id}/members/{user}");
        let mut sep = '?';
        if let Some(b) = q.ban {
            path.push_str(&format!("{sep}ban={b}"));
            sep = '&';
        }
        if let Some(t) = q.ban_until {
            let t = serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let t: String = url::form_urlencoded::byte_serialize(t.as_bytes()).collect();
            path.push_str(&format!("{sep}ban_until={t}"));
        }
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }

    /// `POST /api/v1/groups/{id}/join`.
    pub async fn join_group(&self, id: GroupId, message: Option<&str>) -> Result<JoinOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/groups/{id}/join"),
            Some(&JoinIn {
                message: message.map(str::to_owned),
            }),
        )
        .await
    }

    /// `POST /api/v1/groups/{id}/leave`.
    pub async fn leave_group(&self, id: GroupId) -> Result<()> {
        self.call::<(), ()>(Method::POST, &format!("/api/v1/groups/{id}/leave"), None)
            .await
    }

    /// `POST /api/v1/groups/{id}/transfer`.
    pub async fn transfer_group(&self, id: GroupId, to: UserId) -> Result<GroupOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/groups/{id}/transfer"),
            Some(&TransferIn { user_id: to }),
        )
        .await
    }

    /// `PUT /api/v1/groups/{id}/mute-all`.
    pub async fn mute_all(&self, id: GroupId, muted: bool) -> Result<GroupOut> {
        self.call(
            Method::PUT,
            &format!("/api/v1/groups/{id}/mute-all"),
            Some(&MuteAllIn { muted }),
        )
        .await
    }

    /// `GET /api/v1/groups/{id}/invites`.
    pub async fn group_invites(&self, id: GroupId) -> Result<Vec<InviteOut>> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/groups/{id}/invites"), None)
            .await
    }

    /// `POST /api/v1/groups/{id}/invites`.
    pub async fn create_invite(&self, id: GroupId, input: &InviteIn) -> Result<InviteOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/groups/{id}/invites"),
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/groups/{id}/invites/{token}`.
    pub async fn revoke_invite(&self, id: GroupId, token: &str) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/groups/{id}/invites/{token}"),
            None,
        )
        .await
    }

    /// `POST /api/v1/invites/{token}/accept`.
    pub async fn accept_invite(&self, token: &str) -> Result<GroupOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/invites/{token}/accept"),
            None,
        )
        .await
    }

    /// `GET /api/v1/groups/{id}/join-requests`.
    pub async fn join_requests(&self, id: GroupId) -> Result<Vec<JoinRequestOut>> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/groups/{id}/join-requests"),
            None,
        )
        .await
    }

    /// `POST /api/v1/groups/{id}/join-requests/{request_id}/approve` (or `decline`).
    pub async fn decide_join_request(
        &self,
        id: GroupId,
        request: JoinRequestId,
        approve: bool,
    ) -> Result<JoinRequestOut> {
        let verb = if approve { "approve" } else { "decline" };
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/groups/{id}/join-requests/{request}/{verb}"),
            None,
        )
        .await
    }

    /// `GET /api/v1/groups/{id}/bans`.
    pub async fn group_bans(&self, id: GroupId) -> Result<Vec<BanOut>> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/groups/{id}/bans"), None)
            .await
    }

    /// `PUT /api/v1/groups/{id}/bans/{user_id}`.
    pub async fn ban_from_group(&self, id: GroupId, user: UserId, input: &BanIn) -> Result<BanOut> {
        self.call(
            Method::PUT,
            &format!("/api/v1/groups/{id}/bans/{user}"),
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/groups/{id}/bans/{user_id}`.
    pub async fn unban_from_group(&self, id: GroupId, user: UserId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/groups/{id}/bans/{user}"),
            None,
        )
        .await
    }
}
