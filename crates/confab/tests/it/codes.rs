//! Verification codes end to end: mail through a real SMTP conversation with a sink on
//! loopback, SMS through a loopback HTTP receiver, and the rules around codes — sign-up with
//! a verified address, sign-in and password reset by code, binding, the limits (expiry,
//! tries, single use, purpose and target binding, resend wait, daily cap), no enumeration,
//! captchas, and bad input.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use confab::accounts::codes::{Channel, release_resend};
use confab::config::{Config, MailProvider, SmsProvider, SmtpTls};
use confab_client::ClientError;
use confab_proto::accounts::RegisterIn;
use confab_proto::codes::CodeRequestIn;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// The first run of exactly six digits in `s`.
fn six_digits(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(s[start..i].to_owned());
            }
        } else {
            i += 1;
        }
    }
    None
}

// ---------------------------------------------------------------- SMTP sink

/// One mail as the sink received it.
#[derive(Clone, Debug)]
struct ReceivedMail {
    from: String,
    to: Vec<String>,
    data: String,
}

impl ReceivedMail {
    fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim())
    }
}

/// A minimal SMTP server on loopback that accepts every mail and keeps it.
#[derive(Clone)]
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            port: listener.local_addr().unwrap().port(),
            mails: Arc::default(),
        };
        let mails = sink.mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mails = mails.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, mails).await;
                });
            }
        });
        sink
    }

    fn to(&self, addr: &str) -> Vec<ReceivedMail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == addr))
            .cloned()
            .collect()
    }

    /// Waits for a mail to `addr`, removes it, and returns the code in its subject.
    async fn take_code(&self, addr: &str) -> String {
        let mail = eventually(Duration::from_secs(10), "a mail", || async {
            let mut all = self.mails.lock().unwrap();
            let i = all.iter().position(|m| m.to.iter().any(|t| t == addr))?;
            Some(all.remove(i))
        })
        .await;
        let subject = mail.header("Subject").expect("a subject");
        six_digits(subject).unwrap_or_else(|| panic!("no code in {subject:?}"))
    }
}

async fn smtp_session(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    };
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = strip(cmd[10..].split_whitespace().next().unwrap_or(""));
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(strip(cmd[8..].split_whitespace().next().unwrap_or("")));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            mails.lock().unwrap().push(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data: data.replace("\r\n", "\n"),
            });
            b"250 queued\r\n"
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            b"250 OK\r\n"
        } else if upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        w.write_all(reply).await?;
    }
}

// ---------------------------------------------------------------- SMS receiver

/// One POST the SMS receiver got.
#[derive(Clone, Debug)]
struct ReceivedSms {
    authorization: Option<String>,
    body: serde_json::Value,
}

/// A loopback HTTP endpoint standing in for an SMS provider.
#[derive(Clone)]
struct SmsSink {
    url: String,
    got: Arc<Mutex<Vec<ReceivedSms>>>,
    /// When set, answers 500.
    fail: Arc<AtomicBool>,
}

const SMS_AUTH: &str = "Bearer sms-provider-key";

impl SmsSink {
    async fn start() -> SmsSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmsSink {
            url: format!("http://{}/send", listener.local_addr().unwrap()),
            got: Arc::default(),
            fail: Arc::default(),
        };
        async fn receive(
            State(sink): State<SmsSink>,
            headers: HeaderMap,
            body: axum::Json<serde_json::Value>,
        ) -> StatusCode {
            if sink.fail.load(Ordering::SeqCst) {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            sink.got.lock().unwrap().push(ReceivedSms {
                authorization: headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned()),
                body: body.0,
            });
            StatusCode::OK
        }
        let app = axum::Router::new()
            .route("/send", axum::routing::post(receive))
            .with_state(sink.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        sink
    }

    fn to(&self, number: &str) -> Vec<ReceivedSms> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.body["to"] == number)
            .cloned()
            .collect()
    }

    /// Waits for an SMS to `number`, removes it, checks its shape, and returns the code.
    async fn take_code(&self, number: &str) -> String {
        let sms = eventually(Duration::from_secs(10), "an SMS", || async {
            let mut all = self.got.lock().unwrap();
            let i = all.iter().position(|s| s.body["to"] == number)?;
            Some(all.remove(i))
        })
        .await;
        assert_eq!(sms.authorization.as_deref(), Some(SMS_AUTH));
        let obj = sms.body.as_object().unwrap();
        assert_eq!(obj.len(), 2, "exactly `to` and `text`: {obj:?}");
        six_digits(sms.body["text"].as_str().unwrap()).unwrap()
    }
}

// ---------------------------------------------------------------- environment

/// A node whose mail goes to an SMTP sink and whose SMS go to an HTTP receiver.
struct Env {
    app: TestApp,
    mail: SmtpSink,
    sms: SmsSink,
}

impl Env {
    async fn start(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Env {
        let mail = SmtpSink::start().await;
        let sms = SmsSink::start().await;
        let app = TestApp::spawn_with(backend, |c| {
            c.mail.provider = MailProvider::Smtp;
            c.mail.smtp_host = "127.0.0.1".into();
            c.mail.smtp_port = mail.port;
            c.mail.smtp_tls = SmtpTls::None;
            c.mail.from = "Confab Test <no-reply@confab.test>".into();
            c.sms.provider = SmsProvider::Http;
            c.sms.http_url = sms.url.clone();
            c.sms.http_authorization = confab::config::Secret::new(SMS_AUTH);
            // Room for the many requests a test makes from one IP.
            c.auth.attempts_per_ip_per_minute = 1000;
            c.codes.daily_per_ip = 1000;
            tweak(c);
        })
        .await;
        Env { app, mail, sms }
    }

    /// A signed-in user whose verified email (and phone) are set straight in the store.
    async fn user_with(&self, name: &str, email: bool, phone: bool) -> (TestUser, String, String) {
        let u = self.app.user(name).await;
        let addr = format!("{}@mail.test", unique(name));
        let number = format!("+4470{}", &rand_digits(8));
        if email {
            confab::accounts::operator::set_email(&self.app.state, u.id(), Some(&addr))
                .await
                .unwrap();
        }
        if phone {
            confab::accounts::operator::set_phone(&self.app.state, u.id(), Some(&number))
                .await
                .unwrap();
        }
        (u, addr, number)
    }

    /// Lets a target ask for another code at once (the resend wait is in real time).
    async fn release(&self, channel: Channel, target: &str) {
        release_resend(&self.app.state, channel, target)
            .await
            .unwrap();
    }

    async fn raw_request_code(&self, body: serde_json::Value) -> reqwest::Response {
        self.app
            .client
            .http()
            .post(self.app.url("/api/v1/auth/codes"))
            .json(&body)
            .send()
            .await
            .unwrap()
    }
}

fn rand_digits(n: usize) -> String {
    let id = uuid::Uuid::new_v4().as_u128();
    format!("{:0>width$}", id % 10u128.pow(n as u32), width = n)
}

/// Like `backend_tests!`, but each test gets an [`Env`] (sinks wired in), after `tweak`.
macro_rules! sink_tests {
    ($(async fn $name:ident($env:ident, $tweak:expr) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $env = Env::start(Backend::Sqlite, $tweak).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = Backend::cluster() else { return };
                let $env = Env::start(backend, $tweak).await;
                $body
            }
        }
    )*};
}

fn register_in(
    username: &str,
    email: Option<(&str, &str)>,
    phone: Option<(&str, &str)>,
) -> RegisterIn {
    RegisterIn {
        username: username.into(),
        password: PASSWORD.into(),
        nickname: None,
        email: email.map(|e| e.0.into()),
        email_code: email.map(|e| e.1.into()),
        phone: phone.map(|p| p.0.into()),
        phone_code: phone.map(|p| p.1.into()),
        device: None,
        invite_code: None,
    }
}

sink_tests! {
    async fn register_with_codes_sent_by_smtp_and_http(env, |_| {}) {
        let c = &env.app.client;
        let addr = format!("{}@Mail.Test", unique("reg"));
        let lower = addr.to_lowercase();
        let sent = c.request_code("email", &addr, "register").await.unwrap();
        assert_eq!((sent.expires_in, sent.resend_after), (300, 60));
        let email_code = env.mail.take_code(&lower).await;
        let number = format!("+86138{}", rand_digits(8));
        c.request_code("sms", &number, "register").await.unwrap();
        let phone_code = env.sms.take_code(&number).await;

        // The mail came through a real SMTP conversation, from the configured sender.
        let name = unique("reg_");
        let t = c
            .register(&register_in(&name, Some((&addr, &email_code)), Some((&number, &phone_code))))
            .await
            .unwrap();
        assert_eq!(t.user.email.as_deref(), Some(lower.as_str()));
        assert!(t.user.email_verified && t.user.phone_verified);

        // The address is now taken: no register or bind code for it.
        env.release(Channel::Email, &lower).await;
        let e = c.request_code("email", &addr, "register").await.unwrap_err();
        assert_eq!(code(&e), (409, "email_taken"));
        env.release(Channel::Sms, &number).await;
        let other = env.app.user("other").await;
        let e = other.client.request_code("sms", &number, "bind").await.unwrap_err();
        assert_eq!(code(&e), (409, "phone_taken"));
        // A wrong register code is refused and creates nothing.
        let addr2 = format!("{}@mail.test", unique("reg"));
        c.request_code("email", &addr2, "register").await.unwrap();
        let good = env.mail.take_code(&addr2).await;
        let wrong = if good == "000000" { "000001" } else { "000000" };
        let e = c.register(&register_in(&unique("reg_"), Some((&addr2, wrong)), None)).await.unwrap_err();
        assert_eq!(code(&e), (422, "code_invalid"));
        let e = c.register(&register_in(&unique("reg_"), Some((&addr2, "")), None)).await.unwrap_err();
        assert_eq!(code(&e), (422, "code_invalid"));
    }

    async fn mail_headers_and_from(env, |_| {}) {
        let addr = format!("{}@mail.test", unique("hdr"));
        env.app.client.request_code("email", &addr, "register").await.unwrap();
        let mails = env.mail.to(&addr);
        assert_eq!(mails.len(), 1);
        let m = &mails[0];
        assert_eq!(m.from, "no-reply@confab.test");
        assert!(m.header("From").unwrap().contains("no-reply@confab.test"));
        assert!(m.header("Content-Type").unwrap().starts_with("text/plain"));
        assert!(six_digits(m.header("Subject").unwrap()).is_some());
    }

    async fn login_by_email_code_and_by_sms_code(env, |_| {}) {
        let (u, addr, number) = env.user_with("lc", true, true).await;
        let c = &env.app.client;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        let t = c.login_with_code("email", &addr.to_uppercase(), &k).await.unwrap();
        assert_eq!(t.user.id, u.id());
        assert_ne!(t.session_id, u.tokens.session_id);
        c.signed_in(&t).me().await.unwrap();

        c.request_code("sms", &number, "login").await.unwrap();
        let k = env.sms.take_code(&number).await;
        let t = c.login_with_code("sms", &number, &k).await.unwrap();
        assert_eq!(t.user.id, u.id());
        assert_eq!(u.client.sessions().await.unwrap().len(), 3);
        // Used codes do not work twice.
        let e = c.login_with_code("sms", &number, &k).await.unwrap_err();
        assert_eq!(code(&e), (422, "code_invalid"));
    }

    async fn password_reset_revokes_every_session(env, |_| {}) {
        let (u, addr, _) = env.user_with("rs", true, false).await;
        let c = &env.app.client;
        let second = c.signed_in(&c.login(&u.username, PASSWORD).await.unwrap());
        c.request_code("email", &addr, "reset_password").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        // A weak password is refused before the code is spent.
        let e = c.reset_password("email", &addr, &k, "123").await.unwrap_err();
        assert_eq!(code(&e), (422, "weak_password"));
        let new = "a brand new passphrase 42";
        c.reset_password("email", &addr, &k, new).await.unwrap();
        for client in [&u.client, &second] {
            assert_eq!(code(&client.me().await.unwrap_err()), (401, "session_revoked"));
        }
        assert_eq!(code(&c.login(&u.username, PASSWORD).await.unwrap_err()), (401, "invalid_credentials"));
        c.login(&addr, new).await.unwrap();
        // The code is used up.
        let e = c.reset_password("email", &addr, &k, "yet another passphrase 7").await.unwrap_err();
        assert_eq!(code(&e), (422, "code_invalid"));
    }

    async fn change_password_with_a_code(env, |_| {}) {
        let (u, addr, number) = env.user_with("cp", true, true).await;
        let c = &env.app.client;
        let other_device = c.signed_in(&c.login(&u.username, PASSWORD).await.unwrap());
        // Not signed in, or not the account's own address: refused.
        let e = c.request_code("email", &addr, "change_password").await.unwrap_err();
        assert_eq!(code(&e), (401, "unauthorized"));
        let e = u.client.request_code("email", "someone@else.test", "change_password").await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        u.client.request_code("sms", &number, "change_password").await.unwrap();
        let k = env.sms.take_code(&number).await;
        let new = "changed by a text message 9";
        u.client.change_password_with_code("sms", &k, new).await.unwrap();
        u.client.me().await.unwrap();
        assert_eq!(code(&other_device.me().await.unwrap_err()), (401, "session_revoked"));
        c.login(&addr, new).await.unwrap();
    }

    async fn bind_and_unbind_email_and_phone(env, |_| {}) {
        let u = env.app.user("bind").await;
        let addr = format!("{}@mail.test", unique("b"));
        let number = format!("+4915{}", rand_digits(9));
        u.client.request_code("email", &addr, "bind").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        // Another user cannot use my code, and a code only binds the address it was sent to.
        let eve = env.app.user("eve").await;
        assert_eq!(code(&eve.client.bind_email(&addr, &k).await.unwrap_err()), (422, "code_invalid"));
        // Eve's attempt cost the code one try, not the code itself.
        let me = u.client.bind_email(&addr, &k).await.unwrap();
        assert_eq!(me.email.as_deref(), Some(addr.as_str()));
        assert!(me.email_verified);
        // Taken now: eve cannot even ask for a bind code.
        env.release(Channel::Email, &addr).await;
        assert_eq!(code(&eve.client.request_code("email", &addr, "bind").await.unwrap_err()), (409, "email_taken"));

        u.client.request_code("sms", &number, "bind").await.unwrap();
        let k = env.sms.take_code(&number).await;
        let me = u.client.bind_phone(&number, &k).await.unwrap();
        assert_eq!(me.phone.as_deref(), Some(number.as_str()));
        assert!(me.phone_verified);
        assert_eq!(code(&env.app.client.bind_phone(&number, &k).await.unwrap_err()), (401, "unauthorized"));

        // With a password, both can go; without one, the last address stays.
        let me = u.client.unbind_email().await.unwrap();
        assert_eq!(me.email, None);
        assert!(!me.email_verified);
        confab::accounts::operator::remove_password(&env.app.state, u.id())
            .await
            .unwrap();
        let e = u.client.unbind_phone().await.unwrap_err();
        assert_eq!(code(&e), (409, "last_sign_in_method"));
        // It still signs in by SMS code.
        env.release(Channel::Sms, &number).await;
        env.app.client.request_code("sms", &number, "login").await.unwrap();
        let k = env.sms.take_code(&number).await;
        env.app.client.login_with_code("sms", &number, &k).await.unwrap();
        // Unbinding what is not there is a no-op.
        assert_eq!(u.client.unbind_email().await.unwrap().email, None);
    }

    async fn codes_expire_by_the_clock(env, |_| {}) {
        let (_u, addr, _) = env.user_with("ex", true, false).await;
        let c = &env.app.client;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        env.app.clock.advance(chrono::Duration::seconds(301));
        let e = c.login_with_code("email", &addr, &k).await.unwrap_err();
        assert_eq!(code(&e), (422, "code_invalid"));
        // Just inside the lifetime works.
        env.release(Channel::Email, &addr).await;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        env.app.clock.advance(chrono::Duration::seconds(299));
        c.login_with_code("email", &addr, &k).await.unwrap();
    }

    async fn five_wrong_tries_void_the_code(env, |_| {}) {
        let (_u, addr, _) = env.user_with("wt", true, false).await;
        let c = &env.app.client;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        let wrong: Vec<String> = (0..10u32)
            .map(|i| format!("{i:06}"))
            .filter(|w| *w != k)
            .take(5)
            .collect();
        for w in &wrong[..4] {
            assert_eq!(code(&c.login_with_code("email", &addr, w).await.unwrap_err()), (422, "code_invalid"));
        }
        // Four wrong tries leave the code alive (checked on a second code below); the fifth
        // voids it, so the right code fails afterwards.
        assert_eq!(code(&c.login_with_code("email", &addr, &wrong[4]).await.unwrap_err()), (422, "code_invalid"));
        assert_eq!(code(&c.login_with_code("email", &addr, &k).await.unwrap_err()), (422, "code_invalid"));

        env.release(Channel::Email, &addr).await;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        let wrong: Vec<String> = (0..10u32).map(|i| format!("{i:06}")).filter(|w| *w != k).take(4).collect();
        for w in &wrong {
            c.login_with_code("email", &addr, w).await.unwrap_err();
        }
        c.login_with_code("email", &addr, &k).await.unwrap();
    }

    async fn codes_are_bound_to_purpose_and_target(env, |_| {}) {
        let (_u, addr, number) = env.user_with("pb", true, true).await;
        let (_v, addr2, _) = env.user_with("pb2", true, false).await;
        let c = &env.app.client;
        c.request_code("email", &addr, "login").await.unwrap();
        let k = env.mail.take_code(&addr).await;
        // Wrong purpose, wrong target, wrong channel: each fails like a wrong code.
        assert_eq!(code(&c.reset_password("email", &addr, &k, "some fine passphrase 1").await.unwrap_err()), (422, "code_invalid"));
        assert_eq!(code(&c.login_with_code("email", &addr2, &k).await.unwrap_err()), (422, "code_invalid"));
        assert_eq!(code(&c.login_with_code("sms", &number, &k).await.unwrap_err()), (422, "code_invalid"));
        // Those cost tries but the code still works for what it was sent for.
        c.login_with_code("email", &addr, &k).await.unwrap();
    }

    async fn resend_wait_and_daily_cap(env, |c| c.codes.daily_per_target = 3) {
        let addr = format!("{}@mail.test", unique("rw"));
        let body = serde_json::json!({"channel": "email", "target": addr, "purpose": "register"});
        assert_eq!(env.raw_request_code(body.clone()).await.status(), 202);
        let r = env.raw_request_code(body.clone()).await;
        assert_eq!(r.status(), 429);
        let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=61).contains(&retry), "{retry}");
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "code_too_soon");
        // The resend wait is per target: another address is fine.
        let other = format!("{}@mail.test", unique("rw"));
        env.app.client.request_code("email", &other, "register").await.unwrap();
        // Daily cap per target (3 here): the 4th is refused even after the wait.
        for _ in 0..2 {
            env.release(Channel::Email, &addr).await;
            assert_eq!(env.raw_request_code(body.clone()).await.status(), 202);
        }
        env.release(Channel::Email, &addr).await;
        let r = env.raw_request_code(body.clone()).await;
        assert_eq!(r.status(), 429);
        let e: serde_json::Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "code_daily_limit");
        assert_eq!(env.mail.to(&addr).len(), 3);
    }

    async fn daily_cap_per_ip(env, |c| c.codes.daily_per_ip = 2) {
        let c = &env.app.client;
        for _ in 0..2 {
            c.request_code("email", &format!("{}@mail.test", unique("ip")), "register").await.unwrap();
        }
        let e = c.request_code("email", &format!("{}@mail.test", unique("ip")), "register").await.unwrap_err();
        assert_eq!(code(&e), (429, "code_daily_limit"));
    }

    async fn unknown_targets_get_the_same_answer_and_no_code(env, |_| {}) {
        let c = &env.app.client;
        let unknown = format!("{}@mail.test", unique("nobody"));
        let unknown_number = format!("+3361{}", rand_digits(8));
        let (_u, known, _) = env.user_with("kn", true, false).await;
        let a = c.request_code("email", &unknown, "login").await.unwrap();
        let b = c.request_code("sms", &unknown_number, "reset_password").await.unwrap();
        let k = c.request_code("email", &known, "login").await.unwrap();
        assert_eq!(a, k);
        assert_eq!(b, k);
        // The known one arrives; by then the unknown ones would have too.
        let good = env.mail.take_code(&known).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(env.mail.to(&unknown).is_empty());
        assert!(env.sms.to(&unknown_number).is_empty());
        // Throttling applies to unknown targets too.
        let e = c.request_code("email", &unknown, "login").await.unwrap_err();
        assert_eq!(code(&e), (429, "code_too_soon"));
        // Using a code for an unknown target looks exactly like a wrong code.
        let e1 = c.login_with_code("email", &unknown, &good).await.unwrap_err();
        let e2 = c.login_with_code("email", &known, if good == "999999" { "999998" } else { "999999" }).await.unwrap_err();
        match (&e1, &e2) {
            (ClientError::Api { status: s1, code: c1, message: m1, .. }, ClientError::Api { status: s2, code: c2, message: m2, .. }) => {
                assert_eq!((s1, c1, m1), (s2, c2, m2));
                assert_eq!(c1, "code_invalid");
            }
            other => panic!("{other:?}"),
        }
    }

    async fn captcha_is_required_when_configured(env, |c| c.codes.captcha_required = true) {
        use base64::Engine;
        let c = &env.app.client;
        let addr = format!("{}@mail.test", unique("cap"));
        let mut input = CodeRequestIn {
            channel: "email".into(),
            target: addr.clone(),
            purpose: "register".into(),
            captcha_id: None,
            captcha_answer: None,
        };
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_required"));

        let cap = c.captcha().await.unwrap();
        assert!(cap.expires_in > 0 && cap.expires_in <= 300);
        let png = base64::engine::general_purpose::STANDARD
            .decode(cap.image.strip_prefix("data:image/png;base64,").expect("a PNG data URL"))
            .unwrap();
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert!(img.width() >= 100 && img.height() >= 40);
        input.captcha_id = Some(cap.captcha_id.clone());
        input.captcha_answer = Some("nope!".into());
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_invalid"));
        // A wrong answer uses the captcha up: the right one fails afterwards.
        let cap = c.captcha().await.unwrap();
        confab::accounts::captcha::remember(&env.app.state, &cap.captcha_id, "K7M4P").await.unwrap();
        input.captcha_id = Some(cap.captcha_id.clone());
        input.captcha_answer = Some("K7M4X".into());
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_invalid"));
        input.captcha_answer = Some("K7M4P".into());
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_invalid"));
        // A fresh captcha answered right (in any case) works once.
        let cap = c.captcha().await.unwrap();
        confab::accounts::captcha::remember(&env.app.state, &cap.captcha_id, "K7M4P").await.unwrap();
        input.captcha_id = Some(cap.captcha_id.clone());
        input.captcha_answer = Some("k7m4p".into());
        c.request_code_with(&input).await.unwrap();
        env.mail.take_code(&addr).await;
        input.target = format!("{}@mail.test", unique("cap"));
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_invalid"));
        // Unknown ids are invalid too.
        input.captcha_id = Some("0123456789abcdef".into());
        assert_eq!(code(&c.request_code_with(&input).await.unwrap_err()), (422, "captcha_invalid"));
    }

    async fn bad_input_is_refused(env, |_| {}) {
        let c = &env.app.client;
        let cases = [
            (serde_json::json!({"channel": "fax", "target": "a@b.test", "purpose": "login"}), 422, "validation_failed", Some("channel")),
            (serde_json::json!({"channel": "email", "target": "a@b.test", "purpose": "spam"}), 422, "validation_failed", Some("purpose")),
            (serde_json::json!({"channel": "email", "target": "not-an-email", "purpose": "login"}), 422, "validation_failed", Some("target")),
            (serde_json::json!({"channel": "sms", "target": "12345", "purpose": "login"}), 422, "validation_failed", Some("target")),
            (serde_json::json!({"channel": "email", "target": format!("{}@b.test", "a".repeat(10_000)), "purpose": "login"}), 422, "validation_failed", Some("target")),
            (serde_json::json!({"channel": "email", "target": "a@b.test"}), 422, "validation_failed", None),
            (serde_json::json!({"channel": "email", "target": "a@b.test", "purpose": "login", "extra": 1}), 422, "validation_failed", None),
            (serde_json::json!({"channel": "email", "target": "a@b.test", "purpose": "bind"}), 401, "unauthorized", None),
        ];
        for (body, status, want, field) in cases {
            let r = env.raw_request_code(body.clone()).await;
            assert_eq!(r.status().as_u16(), status, "{body}");
            let e: serde_json::Value = r.json().await.unwrap();
            assert_eq!(e["error"]["code"], want, "{body}");
            if let Some(f) = field {
                assert_eq!(e["error"]["field"], f, "{body}");
            }
        }
        // Oversized body.
        let big = "x".repeat(2 * 1024 * 1024);
        let r = env.raw_request_code(serde_json::json!({"channel": "email", "target": big, "purpose": "login"})).await;
        assert_eq!(r.status().as_u16(), 413);
        // Not JSON.
        let r = c.http().post(env.app.url("/api/v1/auth/codes")).body("channel=email").send().await.unwrap();
        assert!(r.status().is_client_error());
        // Codes of the wrong shape, and sign-in for a malformed target.
        for k in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"] {
            let e = c.login_with_code("email", "a@b.test", k).await.unwrap_err();
            assert_eq!(code(&e), (422, "code_invalid"), "{k:?}");
        }
        let e = c.login_with_code("pigeon", "a@b.test", "123456").await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let u = env.app.user("bi").await;
        let e = u.client.bind_email("nope", "123456").await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let e = u.client.bind_phone("+1", "123456").await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let e = env.app.client.unbind_email().await.unwrap_err();
        assert_eq!(code(&e), (401, "unauthorized"));
    }

    async fn provider_failures_are_503_and_do_not_block_a_retry(env, |c| c.mail.provider = MailProvider::Disabled) {
        let c = &env.app.client;
        // A disabled channel is refused up front.
        let e = c.request_code("email", "x@mail.test", "register").await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let number = format!("+4420{}", rand_digits(8));
        env.sms.fail.store(true, Ordering::SeqCst);
        let e = c.request_code("sms", &number, "register").await.unwrap_err();
        assert_eq!(code(&e), (503, "service_unavailable"));
        env.sms.fail.store(false, Ordering::SeqCst);
        c.request_code("sms", &number, "register").await.unwrap();
        let k = env.sms.take_code(&number).await;
        let t = c.register(&register_in(&unique("pf_"), None, Some((&number, &k)))).await.unwrap();
        assert!(t.user.phone_verified);
    }
}
