//! Feature sections: `[gateway]`, `[messaging]`, `[social]`, `[channels]`, `[groups]`,
//! `[media]` and `[moderation]`.

use serde::{Deserialize, Serialize};

/// `[gateway]`: WebSocket limits and timers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// The server sends a protocol ping this often.
    pub heartbeat_secs: u64,
    /// A socket silent (no frame, no pong) for this long is closed.
    pub idle_timeout_secs: u64,
    /// A socket must authenticate (header or first `auth` frame) within this long.
    pub auth_timeout_secs: u64,
    /// Largest client message (and frame) accepted; larger closes the socket with 1009.
    pub max_frame_bytes: usize,
    /// Frames queued for one socket before it counts as too slow and is closed (1013).
    pub outbound_queue: usize,
    /// Sustained client frames per second per socket; excess frames get `rate_limited`.
    pub frames_per_second: u32,
    /// Client frames allowed in a burst above the sustained rate.
    pub frames_burst: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            heartbeat_secs: 30,
            idle_timeout_secs: 75,
            auth_timeout_secs: 10,
            max_frame_bytes: 64 * 1024,
            outbound_queue: 1024,
            frames_per_second: 20,
            frames_burst: 40,
        }
    }
}

/// `[messaging]`: edit and recall windows, and the per-user send rate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessagingConfig {
    /// The sender may edit a text message for this long after sending it.
    pub edit_window_secs: u64,
    /// The sender may recall a message for this long after sending it.
    pub recall_window_secs: u64,
    /// Sustained sends per second per user, across devices, HTTP and WebSocket, and nodes.
    pub sends_per_second: u32,
    /// Sends allowed within one second (the burst above the sustained rate).
    pub sends_burst: u32,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            edit_window_secs: 48 * 3600,
            recall_window_secs: 120,
            sends_per_second: 20,
            sends_burst: 40,
        }
    }
}

/// `[social]`: the social graph's limits and the direct-message policy (docs/social.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialConfig {
    /// Who may open or send to a direct chat: `friends` (default) or `anyone` (anyone not
    /// blocked either way).
    pub direct_policy: DirectPolicy,
    /// Pending outgoing friend requests one user may have at a time.
    pub max_pending_requests: u32,
    /// Friends one user may have (bounds presence fan-out and the friends list).
    pub max_friends: u32,
    /// Friend requests (new or repeated) one user may send per minute, across nodes.
    pub requests_per_minute: u32,
}

impl Default for SocialConfig {
    fn default() -> Self {
        Self {
            direct_policy: DirectPolicy::Friends,
            max_pending_requests: 100,
            max_friends: 5000,
            requests_per_minute: 30,
        }
    }
}

/// `[channels]`: the world channel every user reads (docs/channels.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Who may post in the world channel: `everyone`, `admins` or `off`.
    pub world_posting: confab_proto::admin::Posting,
    /// Posts per user per minute in the world channel (on top of `messaging`'s send rate).
    pub world_posts_per_minute: u32,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        Self {
            world_posting: confab_proto::admin::Posting::Everyone,
            world_posts_per_minute: 6,
        }
    }
}

/// `[groups]`: member limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupsConfig {
    /// A new group's member limit when its creator names none.
    pub default_member_limit: u32,
    /// The highest member limit a group may have.
    pub max_member_limit: u32,
}

impl Default for GroupsConfig {
    fn default() -> Self {
        Self {
            default_member_limit: 500,
            max_member_limit: 10_000,
        }
    }
}

/// Who may open or send to a direct chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectPolicy {
    /// Only friends (blocks aside).
    #[default]
    Friends,
    /// Anyone who is not blocked either way.
    Anyone,
}

/// `[media]`: uploads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Largest image upload, in bytes.
    pub max_image_bytes: usize,
    /// Largest image width or height, in pixels (checked from the header, before decoding).
    pub max_image_side: u32,
    /// Largest image area, in pixels (decompression bombs).
    pub max_image_pixels: u64,
    /// Longest side of generated thumbnails, in pixels.
    pub thumbnail_side: u32,
    /// An upload that takes longer is answered 408.
    pub upload_timeout_secs: u64,
    /// Largest video upload, in bytes (counted while streaming; never buffered whole).
    pub max_video_bytes: usize,
    /// Largest audio upload, in bytes.
    pub max_audio_bytes: usize,
    /// Largest upload of any other allowed file (documents, archives…), in bytes.
    pub max_file_bytes: usize,
    /// How long a signed download URL (`POST /files/{id}/url`) stays valid, in seconds.
    pub signed_url_ttl_secs: u64,
    /// The LiveKit server's HTTP URL (e.g. `https://sfu.example.com`), for its RoomService:
    /// when set, Confab updates or removes a participant the moment they lose the right to
    /// speak. Empty: tokens are still issued; rights are enforced when tokens expire.
    pub livekit_url: String,
    /// The LiveKit API key that signs media tokens (its `iss`). Empty: no media tokens.
    pub livekit_api_key: String,
    /// The LiveKit API secret (HMAC-SHA256 key of media tokens).
    pub livekit_api_secret: crate::config::Secret,
    /// How long a media token is valid, in seconds.
    pub media_token_ttl_secs: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            max_image_bytes: 10 * 1024 * 1024,
            max_image_side: 12_000,
            max_image_pixels: 50_000_000,
            thumbnail_side: 320,
            upload_timeout_secs: 300,
            max_video_bytes: 100 * 1024 * 1024,
            max_audio_bytes: 20 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            signed_url_ttl_secs: 300,
            livekit_url: String::new(),
            livekit_api_key: String::new(),
            livekit_api_secret: crate::config::Secret::default(),
            media_token_ttl_secs: 600,
        }
    }
}

impl MediaConfig {
    /// The largest body any upload route accepts (the biggest per-kind cap plus multipart
    /// framing).
    pub fn max_upload_body(&self) -> usize {
        self.max_image_bytes
            .max(self.max_video_bytes)
            .max(self.max_audio_bytes)
            .max(self.max_file_bytes)
            + 64 * 1024
    }
}

/// `[moderation]`: the sensitive-word filter and reports (docs/moderation.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// A UTF-8 file of sensitive words, one per line (`#` starts a comment). Empty: none
    /// from a file (rows of the `sensitive_words` table still apply). Read once at start-up.
    pub words_file: String,
    /// What a match does: `mask`, `reject` or `review`.
    pub action: FilterAction,
    /// Reports one user may file per day (`POST /reports`); 0 turns user reports off.
    pub reports_per_day: u32,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            words_file: String::new(),
            action: FilterAction::Mask,
            reports_per_day: 20,
        }
    }
}

/// What the sensitive-word filter does with a match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    /// Replace each matched character with `*` and go on.
    #[default]
    Mask,
    /// Refuse the content with `content_blocked`; nothing is stored.
    Reject,
    /// Deliver it masked and open a system report for an administrator.
    Review,
}
