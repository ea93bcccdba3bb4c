//! Bad input on every endpoint that takes a JSON body, found from the OpenAPI document (so
//! a new endpoint is covered the day it is added): malformed JSON, invalid UTF-8, lone
//! surrogates, the wrong JSON type, nesting 100,000 deep, and an oversized body. Each must
//! get a 4xx with the JSON error body — never a 5xx — and the node must stay up.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a 2 MiB JSON string body — with a Content-Length, or chunked — and returns the
/// status the server answered, reading while the body is still being written.
async fn oversized(addr: SocketAddr, method: &str, path: &str, token: &str, declared: bool) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let method = method.to_uppercase();
    let body = format!("\"{}\"", "x".repeat(2 * 1024 * 1024));
    let head = if declared {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
    } else {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
    };
    let writer = tokio::spawn(async move {
        if wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        for chunk in body.as_bytes().chunks(64 * 1024) {
            let piece = if declared {
                chunk.to_vec()
            } else {
                let mut p = format!("{:x}\r\n", chunk.len()).into_bytes();
                p.extend_from_slice(chunk);
                p.extend_from_slice(b"\r\n");
                p
            };
            if wr.write_all(&piece).await.is_err() {
                return;
            }
        }
        if !declared {
            let _ = wr.write_all(b"0\r\n\r\n").await;
        }
    });
    let mut buf = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(20), rd.read_exact(&mut buf))
        .await
        .expect("an answer within 20 s")
        .expect("a status line");
    writer.abort();
    String::from_utf8_lossy(&buf[9..12]).parse().unwrap()
}

backend_tests! {
    async fn every_json_endpoint_refuses_bad_bodies_with_a_4xx(app) {
        // A system administrator, so the `/admin` routes read their bodies too (for anyone
        // else their extractor answers 403 before the body is read).
        let u = app.admin("sweeper").await;
        let token = u.client.token().unwrap().to_owned();
        let doc = app.client.openapi().await.unwrap();
        let http = app.client.http();
        let deep = "[".repeat(100_000);
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("malformed", b"{\"a\":".to_vec()),
            ("invalid utf-8", b"{\"a\":\"\xff\xfe\"}".to_vec()),
            ("lone surrogate", br#"{"a":"\ud800"}"#.to_vec()),
            ("wrong type", b"[1, 2, 3]".to_vec()),
            ("deep", deep.into_bytes()),
        ];
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op["requestBody"]["content"].get("application/json").is_none() {
                    continue;
                }
                let concrete: String = path
                    .split('/')
                    .map(|seg| path_value(&doc, op, seg))
                    .collect::<Vec<_>>()
                    .join("/");
                let url = app.url(&concrete);
                let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                for (what, body) in &bodies {
                    let r = http
                        .request(m.clone(), &url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    let status = r.status().as_u16();
                    let text = r.text().await.unwrap();
                    assert!(
                        (400..500).contains(&status),
                        "{method} {path} with a {what} body answered {status}: {text}"
                    );
                    let v: serde_json::Value = serde_json::from_str(&text)
                        .unwrap_or_else(|_| panic!("{method} {path} ({what}): not a JSON error: {text}"));
                    assert!(v["error"]["code"].is_string(), "{method} {path} ({what}): {text}");
                }
                // Oversized, declared and streamed: over a raw socket that reads the answer
                // while still writing (the server answers 413 without reading it all).
                for declared in [true, false] {
                    let status = oversized(app.addr, method, &concrete, &token, declared).await;
                    assert_eq!(status, 413, "{method} {path}: oversized body (declared: {declared})");
                }
                checked += 1;
            }
        }
        assert!(checked >= 15, "only {checked} JSON endpoints found in the OpenAPI document");
        // Still serving, and the sweeper's account is untouched.
        assert_eq!(app.client.healthz().await.unwrap().status, "ok");
        u.client.me().await.unwrap();
    }
}

/// A valid value for one path segment: the segment itself, or for a `{param}` the first value
/// of its enum (e.g. a seat action) when the document gives one, else `1` (ids, positions).
fn path_value(doc: &serde_json::Value, op: &serde_json::Value, seg: &str) -> String {
    let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
        return seg.to_owned();
    };
    let param = op["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name));
    let mut schema = param.map(|p| &p["schema"]);
    if let Some(r) = schema.and_then(|s| s["$ref"].as_str()) {
        let key = r.trim_start_matches("#/components/schemas/");
        schema = Some(&doc["components"]["schemas"][key]);
    }
    match schema
        .and_then(|s| s["enum"].as_array())
        .and_then(|e| e.first())
    {
        Some(v) => v.as_str().unwrap_or("1").to_owned(),
        None => "1".to_owned(),
    }
}
