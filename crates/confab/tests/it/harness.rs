//! The test harness: `TestApp::spawn(backend)` starts a real node with a fresh store (a temp
//! SQLite file, or a uniquely named MariaDB database dropped afterwards) and a random
//! Redis prefix, so parallel tests and repeated runs never see each other's rows or events.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use confab::Application;
use confab::config::{Config, Dsn};
use confab::infra::clock::ManualClock;
use confab::state::AppState;
use confab_client::Client;
use tokio_util::sync::CancellationToken;

/// Which backends a test runs on.
#[derive(Clone, Debug)]
pub enum Backend {
    /// Embedded: SQLite file, in-process bus and cache, local blobs.
    Sqlite,
    /// Cluster: MariaDB (a fresh database) + Redis (a fresh prefix).
    Cluster {
        /// Admin URL, e.g. `mysql://root@127.0.0.1:3306/test`.
        mysql: String,
        /// e.g. `redis://127.0.0.1:6379`.
        redis: String,
    },
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn in_ci() -> bool {
    env("CI").is_some_and(|v| v != "false" && v != "0")
}

/// The MariaDB admin URL, if the run asked for MariaDB (fails in CI when unset).
pub fn mysql_url() -> Option<String> {
    let url = env("CONFAB_TEST_MYSQL_URL");
    assert!(
        url.is_some() || !in_ci(),
        "CI=true but CONFAB_TEST_MYSQL_URL is unset: refusing to skip the MariaDB tests"
    );
    url
}

/// The Redis URL, if the run asked for Redis (fails in CI when unset).
pub fn redis_url() -> Option<String> {
    let url = env("CONFAB_TEST_REDIS_URL");
    assert!(
        url.is_some() || !in_ci(),
        "CI=true but CONFAB_TEST_REDIS_URL is unset: refusing to skip the Redis tests"
    );
    url
}

impl Backend {
    /// The cluster backend when both URLs are set; `None` (and a note) otherwise.
    pub fn cluster() -> Option<Backend> {
        match (mysql_url(), redis_url()) {
            (Some(mysql), Some(redis)) => Some(Backend::Cluster { mysql, redis }),
            _ => {
                eprintln!(
                    "note: CONFAB_TEST_MYSQL_URL / CONFAB_TEST_REDIS_URL unset: MariaDB + Redis variant not run"
                );
                None
            }
        }
    }
}

/// Declares tests that run once per backend: `name::sqlite` and `name::mysql_redis`.
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = $crate::harness::Backend::cluster() else { return };
                let $app = $crate::harness::TestApp::spawn(backend).await;
                $body
            }
        }
    )*};
}

/// Like `backend_tests!`, for tests that start their own node(s) (a tweaked config, a peer,
/// a stand-in server): `name::sqlite` and `name::mysql_redis`, each calling `name(backend)`.
/// The MariaDB + Redis variant shows as ignored where no URL is set.
macro_rules! backend_fn_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = $crate::harness::Backend::cluster() else { return };
                super::$name(backend).await
            }
        }
    )*};
}

/// The top-up webhook's HMAC key on test nodes.
pub const TOPUP_SECRET: &str = "topup-secret-for-tests-0123456789abcdef";

/// A unique, short, lowercase name.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// A MariaDB database made for one test and dropped when it ends.
pub struct TempDatabase {
    admin: String,
    name: String,
    /// URL of the fresh database.
    pub url: String,
}

impl TempDatabase {
    /// Creates `confab_t_<random>` with utf8mb4.
    pub async fn create(admin: &str) -> TempDatabase {
        use sqlx::Connection;
        let name = unique("confab_t_");
        let mut conn = sqlx::MySqlConnection::connect(admin)
            .await
            .unwrap_or_else(|e| panic!("cannot reach MariaDB at CONFAB_TEST_MYSQL_URL: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&format!("/{name}"));
        TempDatabase {
            admin: admin.to_owned(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::MySqlConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS `{name}`"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}

/// Test logging: quiet unless `RUST_LOG` asks.
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
        )
        .with_test_writer()
        .try_init();
}

/// A running node for one test.
pub struct TestApp {
    /// Where it listens.
    pub addr: SocketAddr,
    /// An anonymous client for it.
    pub client: Client,
    /// Its shared state (to reach the store directly).
    pub state: AppState,
    /// The time source for business rules; move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The config it was started with.
    pub config: Config,
    stop: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    _db: Option<Arc<TempDatabase>>,
}

impl TestApp {
    /// A node on `backend` with default settings.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A node on `backend`, after `tweak` adjusts its config.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        init_logging();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        config.redis.prefix = unique("t");
        // Tests send in tight loops from one user; the send limit has its own tests
        // (message_ops), which set it low again in `tweak`.
        config.messaging.sends_per_second = 10_000;
        config.messaging.sends_burst = 100_000;
        // The payment provider's key, so the top-up webhook is on (its tests sign with it;
        // the bad-input sweep reaches its body checks).
        config.gifts.topup_secret = confab::config::Secret::new(TOPUP_SECRET);
        let db = match &backend {
            Backend::Sqlite => None,
            Backend::Cluster { mysql, redis } => {
                let db = TempDatabase::create(mysql).await;
                config.database.url = Dsn::new(db.url.clone());
                config.redis.url = Dsn::new(redis.clone());
                // Every node of a cluster shares one signing key.
                config.auth.jwt_secret =
                    confab::config::Secret::new(unique("jwt-secret-for-tests-").repeat(2));
                Some(Arc::new(db))
            }
        };
        tweak(&mut config);
        Self::start(config, dir, db).await
    }

    /// A second node sharing this one's database, Redis and prefix (multi-node tests).
    pub async fn spawn_peer(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut config = self.config.clone();
        config.data_dir = dir.path().join("data");
        config.node_id = None;
        Self::start(config, dir, self._db.clone()).await
    }

    async fn start(
        config: Config,
        dir: tempfile::TempDir,
        db: Option<Arc<TempDatabase>>,
    ) -> TestApp {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let app = Application::build_with_clock(config.clone(), clock.clone())
            .await
            .expect("the node starts");
        let addr = app.local_addr().unwrap();
        let state = app.state().clone();
        let stop = CancellationToken::new();
        let server = tokio::spawn({
            let stop = stop.clone();
            async move {
                app.run_until_stopped(stop.cancelled_owned()).await.unwrap();
            }
        });
        let client = Client::new(&format!("http://{addr}")).unwrap();
        TestApp {
            addr,
            client,
            state,
            clock,
            config,
            stop,
            server: Some(server),
            _dir: dir,
            _db: db,
        }
    }

    /// `http://addr` + path.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The data dir of this node.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    /// A registered, signed-in user.
    pub async fn user(&self, name: &str) -> TestUser {
        let username = unique(&format!("{name}_"));
        let tokens = self
            .client
            .register_simple(&username, PASSWORD)
            .await
            .unwrap();
        TestUser {
            client: self.client.signed_in(&tokens),
            username,
            tokens,
        }
    }

    /// Makes `a` and `b` friends: `a` sends a friend request (no note, no greeting, so their
    /// direct chat starts empty) and `b` accepts it. Already friends: nothing happens.
    /// Direct messages need this under the default `social.direct_policy = "friends"`.
    pub async fn befriend(&self, a: &TestUser, b: &TestUser) {
        befriend_clients(&a.client, &b.client, b.id()).await;
    }

    /// A signed-in system administrator (`role = admin`), made the way `confab admin
    /// create-admin` makes one.
    pub async fn admin(&self, name: &str) -> TestUser {
        let username = unique(&format!("{name}_"));
        confab::accounts::service::create_admin(&self.state, &username, PASSWORD)
            .await
            .unwrap();
        let tokens = self.client.login(&username, PASSWORD).await.unwrap();
        TestUser {
            client: self.client.signed_in(&tokens),
            username,
            tokens,
        }
    }

    /// Shuts the node down gracefully and waits for it.
    pub async fn stop(mut self) {
        self.stop.cancel();
        if let Some(h) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), h)
                .await
                .expect("the node stops within 30 s")
                .unwrap();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// [`TestApp::befriend`] for bare clients (tests that run the binary): `a` asks `b`
/// (whose id is `b_id`), `b` accepts.
pub async fn befriend_clients(a: &Client, b: &Client, b_id: confab_proto::ids::UserId) {
    use confab_proto::social::FriendRequestStatus;
    let r = match a.send_friend_request(b_id, None, None).await {
        Ok(r) => r,
        Err(e) if e.code() == Some("already_friends") => return,
        Err(e) => panic!("friend request failed: {e}"),
    };
    if r.status != FriendRequestStatus::Accepted {
        b.accept_friend_request(r.id).await.unwrap();
    }
}

/// Polls `f` every 100 ms until it returns `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The password every `TestApp::user` gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in user of a `TestApp`.
pub struct TestUser {
    /// A client sending this user's access token.
    pub client: Client,
    /// The username.
    pub username: String,
    /// The tokens from sign-up.
    pub tokens: confab_proto::accounts::TokenOut,
}

impl TestUser {
    /// The user's id.
    pub fn id(&self) -> confab_proto::ids::UserId {
        self.tokens.user.id
    }
}

/// A text message with a client id, as a client sends it.
pub fn text_message(cmid: &str, t: &str) -> confab_proto::messaging::MessageIn {
    confab_proto::messaging::MessageIn {
        client_msg_id: cmid.into(),
        kind: "text".into(),
        body: serde_json::json!({ "text": t }),
        reply_to: None,
        mentions: None,
    }
}
