//! Voice and video calls over REST, and the `call.signal` command over the socket.

use confab_proto::calls::{
    CallMedia, CallOut, CallSignalData, IceServersOut, InviteIn, StartGroupCallIn,
};
use confab_proto::ids::{CallId, ConversationId, UserId};
use confab_proto::rooms::MediaTokenOut;
use confab_proto::ws::ClientCommand;
use reqwest::Method;

use crate::{Client, Result, WsConnection, WsError};

impl Client {
    /// `POST /api/v1/calls`: ring `callee` in our direct chat.
    pub async fn invite_call(&self, callee: UserId, media: CallMedia) -> Result<CallOut> {
        let body = InviteIn {
            callee_id: callee,
            media,
        };
        self.call(Method::POST, "/api/v1/calls", Some(&body)).await
    }

    /// `GET /api/v1/calls/{id}`.
    pub async fn get_call(&self, id: CallId) -> Result<CallOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/calls/{id}"), None)
            .await
    }

    async fn call_action(&self, id: CallId, action: &str) -> Result<CallOut> {
        self.call::<(), _>(Method::POST, &format!("/api/v1/calls/{id}/{action}"), None)
            .await
    }

    /// `POST /api/v1/calls/{id}/accept` (answers on this client's device).
    pub async fn accept_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "accept").await
    }

    /// `POST /api/v1/calls/{id}/decline`.
    pub async fn decline_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "decline").await
    }

    /// `POST /api/v1/calls/{id}/cancel`.
    pub async fn cancel_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "cancel").await
    }

    /// `POST /api/v1/calls/{id}/hangup`.
    pub async fn hang_up_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "hangup").await
    }

    /// `POST /api/v1/calls/group`: start a group call in a group's or room's chat.
    pub async fn start_group_call(
        &self,
        conversation: ConversationId,
        media: CallMedia,
    ) -> Result<CallOut> {
        let body = StartGroupCallIn {
            conversation_id: conversation,
            media,
        };
        self.call(Method::POST, "/api/v1/calls/group", Some(&body))
            .await
    }

    /// `POST /api/v1/calls/{id}/join`.
    pub async fn join_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "join").await
    }

    /// `POST /api/v1/calls/{id}/leave`.
    pub async fn leave_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "leave").await
    }

    /// `POST /api/v1/calls/{id}/end`.
    pub async fn end_call(&self, id: CallId) -> Result<CallOut> {
        self.call_action(id, "end").await
    }

    /// `GET /api/v1/calls/{id}/token`: the SFU token of a group call I am in.
    pub async fn call_token(&self, id: CallId) -> Result<MediaTokenOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/calls/{id}/token"), None)
            .await
    }

    /// `GET /api/v1/calls/ice-servers`.
    pub async fn ice_servers(&self) -> Result<IceServersOut> {
        self.call::<(), _>(Method::GET, "/api/v1/calls/ice-servers", None)
            .await
    }
}

impl WsConnection {
    /// Sends `call.signal` (SDP or ICE for the other device of my call), with request `id`
    /// so the `ack` or `error` can be matched.
    pub async fn call_signal(
        &mut self,
        call: CallId,
        payload: serde_json::Value,
        id: Option<&str>,
    ) -> std::result::Result<(), WsError> {
        let data = CallSignalData {
            call_id: call,
            payload,
            from_user_id: None,
        };
        self.send_command(&ClientCommand::CallSignal(Box::new(data)), id)
            .await
    }
}
