//! Setting up the world (users, groups, direct chats, friendships) through the SDK, and
//! opening raw WebSocket sessions (the SDK's `WsConnection` parses every frame into a JSON
//! value; the load loops must not).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use confab_client::Client;
use confab_proto::groups::{GroupIn, JoinPolicy, Visibility};
use confab_proto::ids::{ConversationId, UserId};
use futures::{StreamExt, TryStreamExt, stream};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A raw client socket.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The password of every bench user (passes the strength check, contains no username).
pub const PASSWORD: &str = "plum-orbit-kestrel-9";

/// A signed-in bench user.
#[derive(Clone, Debug)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Username.
    pub username: String,
    /// Access token.
    pub token: String,
}

/// A short random tag so several runs can share a given server.
pub fn run_tag() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let mut x = t ^ (u64::from(std::process::id()) << 20);
    let mut s = String::new();
    for _ in 0..6 {
        s.push(char::from(b'a' + (x % 26) as u8));
        x /= 26;
    }
    s
}

/// Registers `n` users (`{tag}_{i}`), `concurrency` at a time.
pub async fn create_users(
    base: &str,
    tag: &str,
    n: usize,
    concurrency: usize,
) -> Result<Vec<User>> {
    let client = Client::new(base)?;
    let users: Vec<User> = stream::iter(0..n)
        .map(|i| {
            let client = client.clone();
            async move {
                let username = format!("{tag}_{i}");
                let t = client
                    .register_simple(&username, PASSWORD)
                    .await
                    .with_context(|| format!("registering {username}"))?;
                Ok::<_, anyhow::Error>(User {
                    id: t.user.id,
                    username,
                    token: t.access_token,
                })
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;
    Ok(users)
}

/// Signs `user` in again (a new session = a new device).
pub async fn login(client: &Client, user: &User) -> Result<User> {
    let t = client.login(&user.username, PASSWORD).await?;
    Ok(User {
        token: t.access_token,
        ..user.clone()
    })
}

/// A group of every user in `members` (the first creates it, public and open; the others
/// join), through the SDK (`POST /groups`, `POST /groups/{id}/join`). Returns its
/// conversation id.
pub async fn create_group(base: &str, members: &[User], concurrency: usize) -> Result<String> {
    let Some(owner) = members.first() else {
        bail!("a group needs members");
    };
    let client = Client::new(base)?;
    let group = client
        .with_token(owner.token.clone())
        .create_group(&GroupIn {
            name: "bench fan-out".into(),
            visibility: Visibility::Public,
            join_policy: JoinPolicy::Open,
            member_limit: Some(members.len().max(2) as u32),
            member_ids: None,
            description: None,
            avatar: None,
            history_policy: None,
            member_invite: None,
        })
        .await
        .context("POST /groups")?;
    stream::iter(members.iter().skip(1))
        .map(|m| {
            let c = client.with_token(m.token.clone());
            async move {
                c.join_group(group.id, None)
                    .await
                    .with_context(|| format!("joining as {}", m.username))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<_>>()
        .await?;
    Ok(group.conversation_id.to_string())
}

/// Makes `a` and `b` friends: a friend request by a, accepted by b (through the SDK).
pub async fn befriend(client: &Client, a: &User, b: &User) -> Result<()> {
    let req = client
        .with_token(a.token.clone())
        .send_friend_request(b.id, None, None)
        .await
        .context("POST /friend-requests")?;
    client
        .with_token(b.token.clone())
        .accept_friend_request(req.id)
        .await
        .context("accepting the friend request")?;
    Ok(())
}

/// Opens the direct chats of these pairs (befriending them first when asked).
pub async fn open_directs(
    base: &str,
    pairs: &[(User, User)],
    befriend_first: bool,
    concurrency: usize,
) -> Result<Vec<ConversationId>> {
    let client = Client::new(base)?;
    stream::iter(pairs)
        .map(|(a, b)| {
            let client = client.clone();
            async move {
                if befriend_first {
                    befriend(&client, a, b).await?;
                }
                let c = client
                    .with_token(a.token.clone())
                    .open_direct(b.id)
                    .await
                    .context("POST /conversations/direct")?;
                Ok::<_, anyhow::Error>(c.id)
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

/// Opens `GET /api/v1/ws` with the token in the header and waits for `ready`.
pub async fn connect(base: &str, token: &str, read_buffer: usize) -> Result<Ws> {
    Ok(open(base, token, read_buffer, "").await?.0)
}

/// Opens `GET /api/v1/ws?sync=<cursor>` with the token in the header: the `ready` frame
/// (returned as text) carries the sync answer.
pub async fn connect_synced(
    base: &str,
    token: &str,
    read_buffer: usize,
    cursor: &str,
) -> Result<(Ws, Utf8Bytes)> {
    open(base, token, read_buffer, &format!("?sync={cursor}")).await
}

async fn open(base: &str, token: &str, read_buffer: usize, query: &str) -> Result<(Ws, Utf8Bytes)> {
    let url = format!("{}/api/v1/ws{query}", base.replacen("http://", "ws://", 1));
    let mut req = url.as_str().into_client_request()?;
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}"))?,
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(32 * 1024)
        .max_write_buffer_size(1 << 24);
    let fut = async {
        let (mut ws, _) =
            tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        // The first frame is `ready` (or an error).
        while let Some(m) = ws.next().await {
            match m? {
                Message::Text(t) => {
                    if t.starts_with("{\"type\":\"ready\"") {
                        return Ok((ws, t));
                    }
                    bail!("expected ready, got {}", &t[..t.len().min(200)]);
                }
                Message::Close(c) => bail!("closed before ready: {c:?}"),
                _ => {}
            }
        }
        bail!("closed before ready")
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .context("no ready within 30 s")?
}

/// Opens one socket per token, `concurrency` at a time (each to `base_of(i)`).
pub async fn connect_all(
    bases: Arc<dyn Fn(usize) -> String + Send + Sync>,
    tokens: &[String],
    read_buffer: usize,
    concurrency: usize,
) -> Result<Vec<Ws>> {
    stream::iter(tokens.iter().enumerate())
        .map(|(i, t)| {
            let base = bases(i);
            async move {
                connect(&base, t, read_buffer)
                    .await
                    .with_context(|| format!("socket {i}"))
            }
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

/// A `send` frame with the send time (µs) as its id, and the tag as its text.
pub fn send_frame(conversation: &str, client_msg_id: &str, sent_us: u64, text: &str) -> Message {
    Message::Text(Utf8Bytes::from(format!(
        "{{\"type\":\"send\",\"id\":\"{sent_us}\",\"data\":{{\"conversation_id\":\"{conversation}\",\
         \"client_msg_id\":\"{client_msg_id}\",\"kind\":\"text\",\"body\":{{\"text\":\"{text}\"}}}}}}"
    )))
}
