//! The world channel, reports, and the system administrator's API over REST.

use confab_proto::admin::{
    AdminReportOut, AuditPage, ChannelMuteIn, ChannelMuteOut, DismissIn, MessageTrailOut, NoticeIn,
    NoticeOut, ReportIn, ReportOut, ReportPage, SensitiveWordIn, SensitiveWordOut,
    SensitiveWordsOut, StatsOut, UpholdIn, UserAdminOut, UserMuteIn, WorldChannelOut,
};
use confab_proto::ids::{MessageId, ReportId, UserId};
use reqwest::Method;

use crate::{Client, Result};

/// `?cursor=&limit=` for the paged admin lists.
fn paged(path: &str, cursor: Option<&str>, limit: Option<u32>) -> String {
    let mut q = Vec::new();
    if let Some(c) = cursor {
        q.push(format!("cursor={}", urlencoding(c)));
    }
    if let Some(l) = limit {
        q.push(format!("limit={l}"));
    }
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// Cursors are ids (digits); anything else is percent-encoded byte by byte.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Client {
    /// `GET /api/v1/channels/world`.
    pub async fn world_channel(&self) -> Result<WorldChannelOut> {
        self.call::<(), _>(Method::GET, "/api/v1/channels/world", None)
            .await
    }

    /// `POST /api/v1/reports`.
    pub async fn report(&self, input: &ReportIn) -> Result<ReportOut> {
        self.call(Method::POST, "/api/v1/reports", Some(input))
            .await
    }

    /// `GET /api/v1/admin/reports`: open reports, oldest first.
    pub async fn admin_reports(
        &self,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ReportPage> {
        self.call::<(), _>(
            Method::GET,
            &paged("/api/v1/admin/reports", cursor, limit),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/reports/{id}/uphold`.
    pub async fn uphold_report(&self, id: ReportId, input: &UpholdIn) -> Result<AdminReportOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/admin/reports/{id}/uphold"),
            Some(input),
        )
        .await
    }

    /// `POST /api/v1/admin/reports/{id}/dismiss`.
    pub async fn dismiss_report(&self, id: ReportId, input: &DismissIn) -> Result<AdminReportOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/admin/reports/{id}/dismiss"),
            Some(input),
        )
        .await
    }

    /// `GET /api/v1/admin/sensitive-words`.
    pub async fn sensitive_words(&self) -> Result<SensitiveWordsOut> {
        self.call::<(), _>(Method::GET, "/api/v1/admin/sensitive-words", None)
            .await
    }

    /// `POST /api/v1/admin/sensitive-words`.
    pub async fn add_sensitive_word(&self, word: &str) -> Result<SensitiveWordOut> {
        self.call(
            Method::POST,
            "/api/v1/admin/sensitive-words",
            Some(&SensitiveWordIn { word: word.into() }),
        )
        .await
    }

    /// `DELETE /api/v1/admin/sensitive-words/{word}`.
    pub async fn remove_sensitive_word(&self, word: &str) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/admin/sensitive-words/{}", urlencoding(word)),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/users/{id}/disable`.
    pub async fn disable_user(&self, id: UserId) -> Result<UserAdminOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/admin/users/{id}/disable"),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/users/{id}/enable`.
    pub async fn enable_user(&self, id: UserId) -> Result<UserAdminOut> {
        self.call::<(), _>(
            Method::POST,
            &format!("/api/v1/admin/users/{id}/enable"),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/users/{id}/mute`: mute a user site-wide.
    pub async fn mute_user(&self, id: UserId, input: &UserMuteIn) -> Result<UserAdminOut> {
        self.call(
            Method::POST,
            &format!("/api/v1/admin/users/{id}/mute"),
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/admin/users/{id}/mute`.
    pub async fn unmute_user(&self, id: UserId) -> Result<UserAdminOut> {
        self.call::<(), _>(
            Method::DELETE,
            &format!("/api/v1/admin/users/{id}/mute"),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/channels/world/mutes`.
    pub async fn mute_in_world(&self, input: &ChannelMuteIn) -> Result<ChannelMuteOut> {
        self.call(
            Method::POST,
            "/api/v1/admin/channels/world/mutes",
            Some(input),
        )
        .await
    }

    /// `DELETE /api/v1/admin/channels/world/mutes/{user_id}`.
    pub async fn unmute_in_world(&self, user: UserId) -> Result<()> {
        self.call::<(), ()>(
            Method::DELETE,
            &format!("/api/v1/admin/channels/world/mutes/{user}"),
            None,
        )
        .await
    }

    /// `POST /api/v1/admin/notices`.
    pub async fn send_notice(&self, input: &NoticeIn) -> Result<NoticeOut> {
        self.call(Method::POST, "/api/v1/admin/notices", Some(input))
            .await
    }

    /// `GET /api/v1/admin/messages/{id}/trail`.
    pub async fn admin_message_trail(&self, id: MessageId) -> Result<MessageTrailOut> {
        self.call::<(), _>(
            Method::GET,
            &format!("/api/v1/admin/messages/{id}/trail"),
            None,
        )
        .await
    }

    /// `GET /api/v1/admin/stats`.
    pub async fn admin_stats(&self) -> Result<StatsOut> {
        self.call::<(), _>(Method::GET, "/api/v1/admin/stats", None)
            .await
    }

    /// `GET /api/v1/admin/audit`: newest first.
    pub async fn admin_audit(&self, cursor: Option<&str>, limit: Option<u32>) -> Result<AuditPage> {
        self.call::<(), _>(
            Method::GET,
            &paged("/api/v1/admin/audit", cursor, limit),
            None,
        )
        .await
    }
}
