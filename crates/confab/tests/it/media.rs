//! Uploads and downloads: type from bytes, size and dimension caps before decoding,
//! server-made storage keys, authorised downloads with safe headers.

use confab_client::ClientError;
use confab_proto::accounts::MePatch;

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// A real PNG of `w`×`h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `w`×`h` (a decompression bomb's calling card) with no real data.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

backend_tests! {
    async fn upload_an_avatar_and_others_see_it(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let data = png(640, 480);
        // The part's declared type and the name are ignored: the bytes decide.
        let f = alice.client.upload(data.clone(), "../../etc/passwd", "text/html").await.unwrap();
        assert_eq!((f.kind.as_str(), f.content_type.as_str()), ("image", "image/png"));
        assert_eq!((f.width, f.height, f.size), (Some(640), Some(480), data.len() as u64));
        assert_eq!(f.file_name, "passwd");
        assert_eq!(f.sha256.len(), 64);

        let d = alice.client.download(f.id, false).await.unwrap();
        assert_eq!(d.bytes, data);
        assert_eq!(d.content_type, "image/png");
        assert!(d.nosniff);
        assert_eq!(d.disposition, "inline");
        let thumb = alice.client.download(f.id, true).await.unwrap();
        let t = image::load_from_memory(&thumb.bytes).unwrap();
        assert_eq!((t.width(), t.height()), (320, 240));

        // Not Bob's business yet…
        assert_eq!(code(&bob.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        // …until it is Alice's avatar.
        let me = alice.client.update_me(&MePatch { avatar: Some(Some(f.id)), ..MePatch::default() }).await.unwrap();
        assert_eq!(me.avatar, Some(f.id));
        assert_eq!(bob.client.user(alice.id()).await.unwrap().avatar, Some(f.id));
        assert_eq!(bob.client.download(f.id, false).await.unwrap().bytes, data);
        // Bob cannot use Alice's file as his avatar.
        let e = bob.client.update_me(&MePatch { avatar: Some(Some(f.id)), ..MePatch::default() }).await.unwrap_err();
        assert_eq!(code(&e), (404, "not_found"));
        // Anonymous: no.
        assert_eq!(code(&app.client.download(f.id, false).await.unwrap_err()), (401, "unauthorized"));

        // Stored under a server-made key only (embedded store: inside the blob dir).
        if app.config.redis.url.is_empty() {
            let root = app.data_dir().join("files");
            let mut found = Vec::new();
            let mut stack = vec![root.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() { stack.push(p) } else { found.push(p) }
                }
            }
            assert!(found.iter().any(|p| p.ends_with(f.id.to_string())), "{found:?}");
            assert!(found.iter().all(|p| p.starts_with(&root) && !p.to_string_lossy().contains("passwd")));
        }
    }

    async fn only_real_images_are_accepted(app) {
        let u = app.user("u").await;
        for (bytes, name) in [
            (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(), "x.png"),
            (b"<html><script>alert(1)</script></html>".to_vec(), "x.jpg"),
            (b"%PDF-1.7 polyglot".to_vec(), "x.gif"),
            (vec![0u8; 4096], "zeros.png"),
            (b"\x89PNG".to_vec(), "short.png"),
        ] {
            let e = u.client.upload(bytes, name, "image/png").await.unwrap_err();
            assert_eq!(code(&e), (415, "unsupported_file_type"), "{name}");
        }
        // A PNG header claiming 100,000 × 100,000 is refused before decoding.
        let e = u.client.upload(png_claiming(100_000, 100_000), "bomb.png", "image/png").await.unwrap_err();
        assert_eq!(code(&e), (422, "image_too_large"));
        // Truncated but plausible: unreadable, not a crash.
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        let e = u.client.upload(cut, "cut.png", "image/png").await.unwrap_err();
        assert_eq!(code(&e), (415, "unsupported_file_type"));
        // No `file` part.
        let form = reqwest::multipart::Form::new().text("other", "x");
        let r = u.client.http().post(app.url("/api/v1/uploads")).bearer_auth(u.client.token().unwrap()).multipart(form).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        // Not multipart at all.
        let r = u.client.http().post(app.url("/api/v1/uploads")).bearer_auth(u.client.token().unwrap()).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_are_cut_off_while_streaming() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.media.max_image_bytes = 50_000).await;
    let u = app.user("big").await;
    let mut data = png(32, 32);
    data.resize(200_000, 0);
    let e = u
        .client
        .upload(data, "big.png", "image/png")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (413, "payload_too_large"));
    // Within the cap is fine.
    u.client
        .upload(png(100, 100), "ok.png", "image/png")
        .await
        .unwrap();
}

backend_tests! {
    async fn files_sent_in_a_chat_are_readable_by_its_members_only(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let ab = alice.client.open_direct(bob.id()).await.unwrap();
        let f = alice.client.upload(png(40, 30), "pic.png", "image/png").await.unwrap();
        // Not shared yet: only Alice.
        assert_eq!(code(&bob.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        let m = confab_proto::messaging::MessageIn {
            client_msg_id: "pic-1".into(),
            kind: "image".into(),
            body: serde_json::json!({ "file_id": f.id }),
            reply_to: None,
            mentions: None,
        };
        let sent = alice.client.send(ab.id, &m).await.unwrap();
        // Bob, a member who can see the message, may download it and its thumbnail.
        assert_eq!(bob.client.download(f.id, false).await.unwrap().content_type, "image/png");
        bob.client.download(f.id, true).await.unwrap();
        // Strangers may not, nor may members of another chat of Alice's.
        app.befriend(&alice, &carol).await;
        let ac = alice.client.open_direct(carol.id()).await.unwrap();
        alice.client.send_text(ac.id, "hi carol").await.unwrap();
        for who in [&eve, &carol] {
            assert_eq!(code(&who.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        }
        // Once Alice recalls the message, it no longer shares the file.
        alice.client.recall_message(ab.id, sent.seq).await.unwrap();
        assert_eq!(code(&bob.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        alice.client.download(f.id, false).await.unwrap();
        // Sent again, then cleared from Bob's history: gone for him, still there for Alice.
        let mut again = m.clone();
        again.client_msg_id = "pic-2".into();
        alice.client.send(ab.id, &again).await.unwrap();
        bob.client.download(f.id, false).await.unwrap();
        bob.client.clear_conversation(ab.id).await.unwrap();
        assert_eq!(code(&bob.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
    }
}
