//! Abuse inputs of the reliability catalogue (I1–I8) that no other module covers; the table
//! in docs/reliability.md maps every id to its tests (bad_input, http_errors, gateway,
//! slow_clients, outside, filter, screening and this module). Each asserts its pass
//! criterion: a clear 4xx with a stable code or the documented close code, nothing stored,
//! the node still serving.

use std::net::SocketAddr;
use std::time::Duration;

use confab_client::WsConnection;
use confab_client::tungstenite::Message;
use confab_client::tungstenite::protocol::frame::Frame;
use confab_client::tungstenite::protocol::frame::coding::{Data, OpCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::*;

const T: Duration = Duration::from_secs(20);

/// A direct chat between two fresh friends.
async fn chat(app: &TestApp) -> (TestUser, TestUser, confab_proto::ids::ConversationId) {
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap().id;
    (alice, bob, c)
}

/// `method path` with a raw body and a bearer token: status and JSON body.
async fn call(app: &TestApp, token: &str, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = app
        .client
        .http()
        .request(m, app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// POSTs `body` over a raw socket and answers the status line's code, reading the answer
/// while the body is still being written (an early 413 closes the connection mid-body).
async fn status_while_writing(addr: SocketAddr, path: &str, token: &str, body: Vec<u8>) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let writer = tokio::spawn(async move {
        if wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for chunk in body.chunks(64 * 1024) {
            if wr.write_all(chunk).await.is_err() {
                return;
            }
        }
    });
    let mut buf = [0u8; 12];
    tokio::time::timeout(Duration::from_secs(30), rd.read_exact(&mut buf))
        .await
        .expect("an answer within 30 s")
        .expect("a status line");
    writer.abort();
    String::from_utf8_lossy(&buf[9..12]).parse().unwrap()
}

/// Messages stored in `c`, as its member sees them.
async fn stored(u: &TestUser, c: confab_proto::ids::ConversationId) -> usize {
    u.client
        .history(c, None, None, None)
        .await
        .unwrap()
        .messages
        .len()
}

/// I1: a chunked body that never ends. The server answers 413 once the limit is passed and
/// stops reading: the writer is cut off long before its 1 GiB bound.
async fn endless_chunked(addr: SocketAddr, path: &str, token: &str) -> (u16, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        let mut written = 0usize;
        if wr.write_all(head.as_bytes()).await.is_err() {
            return written;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024)).into_bytes();
        // Bounded: 1 GiB.
        while written < 1 << 30 {
            match tokio::time::timeout(Duration::from_secs(5), wr.write_all(&chunk)).await {
                Ok(Ok(())) => written += 64 * 1024,
                // A write error (the server closed) or a peer that stopped reading.
                _ => return written,
            }
        }
        written
    });
    let mut buf = vec![0u8; 12];
    tokio::time::timeout(T, rd.read_exact(&mut buf))
        .await
        .expect("an answer in time")
        .expect("a status line");
    let status = String::from_utf8_lossy(&buf[9..12]).parse().unwrap();
    let written = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("the endless writer was cut off")
        .unwrap();
    (status, written)
}

backend_tests! {
    async fn i1_an_endless_chunked_body_is_refused_without_reading_it(app) {
        let (alice, bob, c) = chat(&app).await;
        let path = format!("/api/v1/conversations/{c}/messages");
        let (status, written) = endless_chunked(app.addr, &path, &alice.tokens.access_token).await;
        assert_eq!(status, 413);
        let limit = app.config.http.body_limit_bytes;
        eprintln!("I1: endless chunked body cut off after {written} bytes written (limit {limit})");
        // Kernel buffers on both sides hold a few MiB; the server itself stopped at the limit.
        assert!(written < 64 << 20, "{written} bytes were accepted from an endless body");
        assert_eq!(stored(&bob, c).await, 0);
        alice.client.me().await.unwrap();
    }

    async fn i3_invalid_text_stores_nothing(app) {
        let (alice, bob, c) = chat(&app).await;
        let token = alice.tokens.access_token.clone();
        let path = format!("/api/v1/conversations/{c}/messages");
        for body in [
            br#"{"client_msg_id":"s1","kind":"text","body":{"text":"\ud800"}}"#.to_vec(),
            br#"{"client_msg_id":"s2","kind":"text","body":{"text":"a\udfffb"}}"#.to_vec(),
            b"{\"client_msg_id\":\"s3\",\"kind\":\"text\",\"body\":{\"text\":\"\xff\xfe\"}}".to_vec(),
        ] {
            let (status, v) = call(&app, &token, "POST", &path, body).await;
            assert_eq!((status, v["error"]["code"].as_str()), (400, Some("invalid_json")), "{v}");
        }
        // On a socket: a lone surrogate is an error frame, invalid UTF-8 closes with 1007.
        let mut ws = alice.client.ws().await.unwrap();
        let frame = format!(
            r#"{{"type":"send","id":"w1","data":{{"conversation_id":"{c}","client_msg_id":"w1","kind":"text","body":{{"text":"\ud800"}}}}}}"#
        );
        ws.send_raw(Message::text(frame)).await.unwrap();
        let ev = loop {
            let ev = ws.next_event_within(T).await.unwrap();
            if ev.kind == "error" {
                break ev;
            }
        };
        assert_eq!(ev.error_code(), Some("invalid_json"), "{ev:?}");
        let bad = Frame::message(b"{\"type\":\"ping\",\"id\":\"\xc3\x28\"}".to_vec(), OpCode::Data(Data::Text), true);
        ws.send_raw(Message::Frame(bad)).await.unwrap();
        assert_eq!(ws.closed(T).await.unwrap().0, 1007);
        assert_eq!(stored(&bob, c).await, 0, "nothing stored");
    }

    async fn i5_huge_numbers_arrays_and_strings_are_refused(app) {
        let (alice, bob, c) = chat(&app).await;
        let token = alice.tokens.access_token.clone();
        let path = format!("/api/v1/conversations/{c}/messages");
        let ids: Vec<String> = (0..100_000).map(|i| format!("\"{i}\"")).collect();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("huge array", format!(r#"{{"client_msg_id":"h1","kind":"text","body":{{"text":"a"}},"mentions":[{}]}}"#, ids.join(",")).into_bytes()),
            ("10 MB string", format!(r#"{{"client_msg_id":"h2","kind":"text","body":{{"text":"{}"}}}}"#, "x".repeat(10 << 20)).into_bytes()),
            ("1e999999", br#"{"client_msg_id":"h3","kind":"text","body":{"text":"a"},"reply_to":1e999999}"#.to_vec()),
            ("2^64 in an id field", br#"{"client_msg_id":"h4","kind":"text","body":{"text":"a"},"reply_to":18446744073709551616}"#.to_vec()),
            ("-2^63-1 in an id field", br#"{"client_msg_id":"h5","kind":"text","body":{"text":"a"},"reply_to":-9223372036854775809}"#.to_vec()),
            ("2^64 as a mentioned id", br#"{"client_msg_id":"h6","kind":"text","body":{"text":"a"},"mentions":["18446744073709551616"]}"#.to_vec()),
            ("a 100,000-character client id", format!(r#"{{"client_msg_id":"{}","kind":"text","body":{{"text":"a"}}}}"#, "k".repeat(100_000)).into_bytes()),
        ];
        let mut tried = 0;
        for (what, body) in cases {
            if body.len() > 1 << 20 {
                // Over the body limit: the node answers 413 and closes while the body is still
                // arriving, so a client that only reads after writing sees a reset. Read while
                // writing, as a real client would.
                let status = status_while_writing(app.addr, &path, &token, body).await;
                assert_eq!(status, 413, "{what}");
                eprintln!("I5: {what}: {status}");
                tried += 1;
                continue;
            }
            let (status, v) = call(&app, &token, "POST", &path, body).await;
            assert!(
                (400..500).contains(&status) && v["error"]["code"].is_string(),
                "{what}: {status} {v}"
            );
            eprintln!("I5: {what}: {status} {}", v["error"]["code"]);
            tried += 1;
        }
        // 2^64 in path and query ids: 400 bad_request.
        for p in [
            "/api/v1/conversations/18446744073709551616/messages".to_owned(),
            format!("{path}?after_seq=18446744073709551616"),
            format!("{path}?before_seq=1e999999"),
            "/api/v1/users/18446744073709551616".to_owned(),
        ] {
            let (status, v) = call(&app, &token, "GET", &p, Vec::new()).await;
            assert_eq!((status, v["error"]["code"].as_str()), (400, Some("bad_request")), "{p}: {v}");
            tried += 1;
        }
        // And in a group's member ids.
        let (status, v) = call(&app, &token, "POST", "/api/v1/groups",
            br#"{"name":"g","visibility":"private","join_policy":"approval","member_ids":["18446744073709551616"]}"#.to_vec()).await;
        assert!((400..500).contains(&status), "group member id 2^64: {status} {v}");
        eprintln!("I5: {} hostile inputs refused with a 4xx", tried + 1);
        assert_eq!(stored(&bob, c).await, 0, "nothing stored");
    }

    async fn i6_hostile_strings_are_stored_byte_identical_or_refused_by_rule(app) {
        let (alice, bob, c) = chat(&app).await;
        let token = alice.tokens.access_token.clone();
        let hostile = [
            "' OR 1=1 --",
            "'; DROP TABLE messages; --",
            "100%",
            "a_b",
            "back\\slash",
            "\"quoted\"",
            "emoji 😀👩‍👩‍👧",
            "مرحبا بالعالم",
            "שלום",
            "%_\\%",
        ];
        let mut tried = 0;
        // Message texts: stored and read back byte for byte.
        for (i, s) in hostile.iter().enumerate() {
            alice.client.send_text(c, s).await.unwrap_or_else(|e| panic!("{s:?}: {e}"));
            let h = bob.client.history(c, None, None, Some(1)).await.unwrap();
            assert_eq!(h.messages[0].body["text"].as_str(), Some(*s), "message {i}");
            tried += 1;
        }
        // NUL and other controls: refused by the documented rule (no control characters).
        let path = format!("/api/v1/conversations/{c}/messages");
        for s in ["nul\u{0}here", "bell\u{7}"] {
            let body = json!({"client_msg_id": format!("ctl{}", s.len()), "kind": "text", "body": {"text": s}});
            let (status, v) = call(&app, &token, "POST", &path, body.to_string().into_bytes()).await;
            assert_eq!((status, v["error"]["code"].as_str()), (422, Some("invalid_message")), "{s:?}: {v}");
            tried += 1;
        }
        assert_eq!(stored(&bob, c).await, hostile.len());
        // Group names and nicknames: accepted byte for byte, or refused with a 4xx; never 5xx.
        let mut groups = Vec::new();
        for s in hostile.iter().chain(["nul\u{0}", "x"].iter()) {
            let body = json!({"name": s, "visibility": "public", "join_policy": "open"});
            let (status, v) = call(&app, &token, "POST", "/api/v1/groups", body.to_string().into_bytes()).await;
            assert!(status < 500, "group name {s:?}: {status} {v}");
            if status < 300 {
                assert_eq!(v["name"].as_str(), Some(*s), "group name stored as given");
                groups.push(*s);
            } else {
                eprintln!("I6: group name {s:?}: {status} {}", v["error"]["code"]);
                assert!(v["error"]["code"].is_string(), "{v}");
            }
            let (status, v) = call(&app, &token, "PATCH", "/api/v1/me", json!({"nickname": s}).to_string().into_bytes()).await;
            assert!(status < 500, "nickname {s:?}: {status} {v}");
            if status < 300 {
                assert_eq!(v["nickname"].as_str(), Some(*s), "nickname stored as given");
            }
            tried += 2;
        }
        assert!(groups.contains(&"100%") && groups.contains(&"a_b"), "{groups:?}");
        // Search: `%`, `_` and `\` match themselves, not everything.
        for (q, want) in [("%", vec!["100%", "%_\\%"]), ("_", vec!["a_b", "%_\\%"]), ("\\", vec!["back\\slash", "%_\\%"]), ("' OR 1=1", vec!["' OR 1=1 --"])] {
            let page = alice.client.search_groups(q, None, None).await.unwrap();
            let mut names: Vec<String> = page.items.iter().map(|g| g.name.clone()).collect();
            names.sort();
            let mut want: Vec<String> = want.into_iter().filter(|w| groups.contains(w)).map(str::to_owned).collect();
            want.sort();
            assert_eq!(names, want, "group search {q:?}");
            let users = bob.client.search_users(q, None, None).await.unwrap();
            assert!(users.items.len() <= 1, "user search {q:?} matched {} users", users.items.len());
            tried += 2;
        }
        eprintln!("I6: {tried} hostile strings and searches, no 5xx");
    }

    async fn i8_look_alike_and_hidden_characters_in_usernames_are_refused(app) {
        // Usernames are identifiers: letters outside the allowed set (look-alikes from
        // other scripts, bidi overrides, zero-width characters) are refused, not stored.
        let mut tried = 0;
        for name in [
            "\u{0430}lice",         // Cyrillic а
            "adm\u{0456}n",         // Cyrillic і
            "bob\u{202E}gnp",       // right-to-left override
            "car\u{200B}ol",        // zero-width space
            "dave\u{2066}",         // isolate
            "\u{FF45}ve",           // fullwidth e
            "ｒｏｏｔ",
        ] {
            let e = app.client.register_simple(name, PASSWORD).await.unwrap_err();
            assert_eq!(e.status(), Some(422), "{name:?}: {e}");
            tried += 1;
        }
        eprintln!("I8: {tried} disguised usernames refused");
    }
}

/// I8, the filter half: a listed word broken up by zero-width, bidi-override, soft-hyphen
/// and look-alike characters is still matched (and masked) on the send path.
async fn i8_hidden_characters_inside_a_listed_word_do_not_hide_it(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words.txt");
    std::fs::write(&words, "badword\n").unwrap();
    let app = TestApp::spawn_with(backend, |c| {
        c.moderation.words_file = words.to_string_lossy().into_owned();
        c.moderation.action = confab::config::FilterAction::Mask;
    })
    .await;
    let (alice, bob, c) = chat(&app).await;
    let disguised = [
        "bad\u{200B}word",
        "b\u{200D}adw\u{2060}ord",
        "bad\u{202E}word",
        "bad\u{2066}wo\u{2069}rd",
        "bad\u{00AD}word",
        "bad\u{FEFF}word",
        "ＢＡＤＷＯＲＤ",
    ];
    for s in disguised {
        alice.client.send_text(c, s).await.unwrap();
        let h = bob.client.history(c, None, None, Some(1)).await.unwrap();
        let got = h.messages[0].body["text"].as_str().unwrap().to_owned();
        assert!(
            !got.contains(|ch: char| ch.is_ascii_alphabetic() || ('Ａ'..='Ｚ').contains(&ch)),
            "{s:?} was stored as {got:?}"
        );
    }
    eprintln!("I8: {} disguised listed words masked", disguised.len());
}

backend_fn_tests!(i8_hidden_characters_inside_a_listed_word_do_not_hide_it);

/// Sends up to 10,000 one-byte continuation frames, until the socket refuses one: how many
/// went out.
async fn continuation_flood(ws: &mut WsConnection) -> usize {
    let mut sent = 0;
    for _ in 0..10_000 {
        let f = Frame::message(vec![b'x'], OpCode::Data(Data::Continue), false);
        if ws.send_raw(Message::Frame(f)).await.is_err() {
            break;
        }
        sent += 1;
    }
    sent
}

/// I2: fragment floods. 10,000 one-byte continuation frames with no message begun are a
/// protocol error (1002); a text message continued by 10,000 one-byte fragments outgrows
/// the message limit (here 8 KiB) and closes with 1009. Other sockets are unaffected.
async fn i2_fragment_floods_close_the_socket(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.gateway.max_frame_bytes = 8 * 1024).await;
    let a = app.user("alice").await;
    let mut bystander = a.client.ws().await.unwrap();

    let mut ws = a.client.ws().await.unwrap();
    let sent = continuation_flood(&mut ws).await;
    let (code, _) = ws.closed(T).await.unwrap();
    assert_eq!(
        code, 1002,
        "continuation frames without a message ({sent} sent)"
    );

    let mut ws = a.client.ws().await.unwrap();
    ws.send_raw(Message::Frame(Frame::message(
        b"{\"type\":\"ping\",\"data\":\"".to_vec(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    let sent = continuation_flood(&mut ws).await;
    let (code, _) = ws.closed(T).await.unwrap();
    assert_eq!(code, 1009, "a message of {sent} one-byte fragments");

    bystander
        .send_frame("ping", Some("p"), json!(null))
        .await
        .unwrap();
    bystander.expect_event("pong", T).await.unwrap();
}

backend_fn_tests!(i2_fragment_floods_close_the_socket);

/// I7, the body half (heads: `slow_clients`; sockets that never read or authenticate:
/// `faults::slow`, `gateway`): a body trickled at a byte per 200 ms is answered `408` at
/// `http.request_timeout_secs` and its connection closed, while a real client is served.
async fn i7_a_trickled_body_is_cut_off_at_the_request_timeout(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.http.request_timeout_secs = 2).await;
    let (alice, bob, c) = chat(&app).await;
    let head = format!(
        "POST /api/v1/conversations/{c}/messages HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        alice.tokens.access_token
    );
    let stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        // Bounded: the whole body would take 200 s.
        for _ in 0..1000 {
            if wr.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    // Meanwhile a real client is served.
    for _ in 0..5 {
        alice.client.me().await.unwrap();
    }
    let mut got = Vec::new();
    tokio::time::timeout(T, rd.read_to_end(&mut got))
        .await
        .expect("the trickled request's connection closed in time")
        .ok();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"request_timeout\""), "{text}");
    trickle.abort();
    assert_eq!(stored(&bob, c).await, 0);
}

backend_fn_tests!(i7_a_trickled_body_is_cut_off_at_the_request_timeout);
