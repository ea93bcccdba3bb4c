//! Voice rooms over REST.

use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{
    ApplyIn, CreateRoomIn, InviteIn, JoinRoomIn, JoinedRoomOut, MediaTokenOut, MicIn, MoveSeatIn,
    RoomKickIn, RoomKickedData, RoomMemberStatusOut, RoomMembersOut, RoomMuteIn, RoomMutedData,
    RoomOut, RoomPageOut, RoomPatch, RoomTagIn, RoomTagOut, RoomTagsOut, SeatAction, SeatActionIn,
    SeatRequestOut, SeatRequestsOut, SeatsOut,
};
use reqwest::Method;

use crate::{Client, Result};

fn action(a: SeatAction) -> &'static str {
    match a {
        SeatAction::Take => "take",
        SeatAction::Kick => "kick",
        SeatAction::Lock => "lock",
        SeatAction::Unlock => "unlock",
        SeatAction::Mute => "mute",
        SeatAction::Unmute => "unmute",
    }
}

impl Client {
    /// `POST /api/v1/rooms`.
    pub async fn create_room(&self, input: &CreateRoomIn) -> Result<RoomOut> {
        self.call(Method::POST, "/api/v1/rooms", Some(input)).await
    }

    /// `GET /api/v1/rooms` or `/api/v1/rooms/recommended` with query pairs.
    pub async fn list_rooms(
        &self,
        recommended: bool,
        query: &[(&str, &str)],
    ) -> Result<RoomPageOut> {
        let path = if recommended {
            "/api/v1/rooms/recommended"
        } else {
            "/api/v1/rooms"
        };
        let query: Vec<(&str, Option<&str>)> = query.iter().map(|(k, v)| (*k, Some(*v))).collect();
        self.get_query(path, &query).await
    }

    /// `GET /api/v1/rooms/{id}`.
    pub async fn room(&self, id: RoomId) -> Result<RoomOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/rooms/{id}"), None)
            .await
    }

    /// `PATCH /api/v1/rooms/{id}`.
    pub async fn update_room(&self, id: RoomId, patch: &RoomPatch) -> Result<RoomOut> {
        self.call(Method::PATCH, &format!("/api/v1/rooms/{id}"), Some(patch))
            .await
    }

    /// `POST /api/v1/rooms/{id}/close`.
    pub async fn close_room(&self, id: RoomId) -> Result<()> {
        self.call::<(), ()>(Method::POST, &format!("/api/v1/rooms/{id}/close"), None)
            .await
    }

    /// `POST /api/v1/rooms/{id}/join`.
    pub async fn join_room(&self, id: RoomId, password: Option<&str>) -> Result<JoinedRoomOut> {
        let body = JoinRoomIn {
            password: password.map(str::to_owned),
        };
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/join"),
            Some(&body),
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/leave`.
    pub async fn leave_room(&self, id: RoomId) -> Result<()> {
        self.call::<(), ()>(Method::POST, &format!("/api/v1/rooms/{id}/leave"), None)
            .await
    }

    /// `GET /api/v1/me/room`.
    pub async fn my_room(&self) -> Result<Option<JoinedRoomOut>> {
        self.call::<(), _>(Method::GET, "/api/v1/me/room", None)
            .await
    }

    /// `GET /api/v1/rooms/{id}/members` (one page).
    pub async fn room_members(
        &self,
        id: RoomId,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<RoomMembersOut> {
        let limit = limit.map(|l| l.to_string());
        let query = [("cursor", cursor), ("limit", limit.as_deref())];
        self.get_query(&format!("/api/v1/rooms/{id}/members"), &query)
            .await
    }

    /// `GET /api/v1/rooms/{id}/members/{user_id}/status`.
    pub async fn room_member_status(
        &self,
        id: RoomId,
        user: UserId,
    ) -> Result<RoomMemberStatusOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/rooms/{id}/members/{user}/status"),
            None,
        )
        .await
    }

    /// `GET /api/v1/rooms/{id}/seats`.
    pub async fn seats(&self, id: RoomId) -> Result<SeatsOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/rooms/{id}/seats"), None)
            .await
    }

    /// `POST /api/v1/rooms/{id}/seats/{position}/{action}`.
    pub async fn seat_action(
        &self,
        id: RoomId,
        position: u32,
        a: SeatAction,
        input: &SeatActionIn,
    ) -> Result<SeatsOut> {
        let path = format!("/api/v1/rooms/{id}/seats/{position}/{}", action(a));
        self.call(Method::POST, &path, Some(input)).await
    }

    /// `POST /api/v1/rooms/{id}/seats/leave`.
    pub async fn leave_seat(&self, id: RoomId) -> Result<SeatsOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/rooms/{id}/seats/leave"),
            None,
        )
        .await
    }

    /// `PUT /api/v1/rooms/{id}/seats/mic`.
    pub async fn set_mic(&self, id: RoomId, on: bool) -> Result<SeatsOut> {
        self.call(
            Method::PUT,
            &format!("/api/v1/rooms/{id}/seats/mic"),
            Some(&MicIn { on }),
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/seats/move`.
    pub async fn move_seat(&self, id: RoomId, input: &MoveSeatIn) -> Result<SeatsOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/seats/move"),
            Some(input),
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/applications`.
    pub async fn apply_for_seat(
        &self,
        id: RoomId,
        position: Option<u32>,
    ) -> Result<SeatRequestOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/applications"),
            Some(&ApplyIn { position }),
        )
        .await
    }

    /// `GET /api/v1/rooms/{id}/applications`.
    pub async fn seat_applications(&self, id: RoomId) -> Result<SeatRequestsOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/rooms/{id}/applications"),
            None,
        )
        .await
    }

    /// `DELETE /api/v1/rooms/{id}/applications/mine`.
    pub async fn cancel_application(&self, id: RoomId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/rooms/{id}/applications/mine"),
            None,
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/applications/{user_id}/approve` or `/reject`.
    pub async fn decide_application(
        &self,
        id: RoomId,
        user: UserId,
        approve: bool,
    ) -> Result<Option<SeatsOut>> {
        let verb = if approve { "approve" } else { "reject" };
        let path = format!("/api/v1/rooms/{id}/applications/{user}/{verb}");
        if approve {
            self.call::<(), SeatsOut>(Method::POST, &path, None)
                .await
                .map(Some)
        } else {
            self.call::<(), ()>(Method::POST, &path, None)
                .await
                .map(|_| None)
        }
    }

    /// `POST /api/v1/rooms/{id}/invitations`.
    pub async fn invite_to_seat(
        &self,
        id: RoomId,
        user: UserId,
        position: Option<u32>,
    ) -> Result<SeatRequestOut> {
        let body = InviteIn {
            user_id: user,
            position,
        };
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/invitations"),
            Some(&body),
        )
        .await
    }

    /// `GET /api/v1/rooms/{id}/invitations`.
    pub async fn seat_invitations(&self, id: RoomId) -> Result<SeatRequestsOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/rooms/{id}/invitations"),
            None,
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/invitations/mine/accept`.
    pub async fn accept_seat_invitation(&self, id: RoomId) -> Result<SeatsOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/rooms/{id}/invitations/mine/accept"),
            None,
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/invitations/mine/decline`.
    pub async fn decline_seat_invitation(&self, id: RoomId) -> Result<()> {
        self.call::<(), ()>(
            Method::POST,
            &format!("/api/v1/rooms/{id}/invitations/mine/decline"),
            None,
        )
        .await
    }

    /// `PUT` (or with `admin: false`, `DELETE`) `/api/v1/rooms/{id}/admins/{user_id}`.
    pub async fn set_room_admin(&self, id: RoomId, user: UserId, admin: bool) -> Result<()> {
        let method = if admin { Method::PUT } else { Method::DELETE };
        self.call::<(), ()>(method, &format!("/api/v1/rooms/{id}/admins/{user}"), None)
            .await
    }

    /// `POST /api/v1/rooms/{id}/kicks`.
    pub async fn kick_from_room(&self, id: RoomId, input: &RoomKickIn) -> Result<RoomKickedData> {
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/kicks"),
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/rooms/{id}/kicks/{user_id}`.
    pub async fn lift_room_kick(&self, id: RoomId, user: UserId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/rooms/{id}/kicks/{user}"),
            None,
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/mutes`.
    pub async fn mute_in_room(&self, id: RoomId, input: &RoomMuteIn) -> Result<RoomMutedData> {
        self.call(
            Method::POST,
            &format!("/api/v1/rooms/{id}/mutes"),
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/rooms/{id}/mutes/{user_id}`.
    pub async fn unmute_in_room(&self, id: RoomId, user: UserId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/rooms/{id}/mutes/{user}"),
            None,
        )
        .await
    }

    /// `POST /api/v1/rooms/{id}/media-token`.
    pub async fn media_token(&self, id: RoomId) -> Result<MediaTokenOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/rooms/{id}/media-token"),
            None,
        )
        .await
    }

    /// `GET /api/v1/room-tags`.
    pub async fn room_tags(&self) -> Result<RoomTagsOut> {
        self.call::<(), _>(Method::GET, "/api/v1/room-tags", None)
            .await
    }

    /// `PUT /api/v1/admin/room-tags/{name}`.
    pub async fn put_room_tag(&self, name: &str, weight: Option<i32>) -> Result<RoomTagOut> {
        let path = self.tag_path(name)?;
        self.call(Method::PUT, &path, Some(&RoomTagIn { weight }))
            .await
    }

    /// `DELETE /api/v1/admin/room-tags/{name}`.
    pub async fn delete_room_tag(&self, name: &str) -> Result<()> {
        let path = self.tag_path(name)?;
        self.call::<(), ()>(Method::DELETE, &path, None).await
    }

    /// The path of a tag, its name percent-encoded as one segment.
    fn tag_path(&self, name: &str) -> Result<String> {
        let mut url = self.url("/api/v1/admin/room-tags")?;
        match url.path_segments_mut() {
            Ok(mut segs) => {
                segs.push(name);
            }
            Err(()) => {
                return Err(crate::ClientError::Unexpected {
                    status: 0,
                    detail: "base URL cannot take a path".into(),
                });
            }
        }
        Ok(url.path().to_owned())
    }
}
