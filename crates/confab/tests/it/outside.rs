//! Regression tests for the defects issue 19 found by probing the release binary from
//! outside (docs/reliability.md lists each with its fix): nested duplicate JSON keys,
//! reserved usernames, and group avatars members could not download. The word filter's
//! paths and the display-text rule are in `screening`, slow clients in `slow_clients`.

use std::time::Duration;

use confab_client::ClientError;
use confab_client::tungstenite::Message;
use confab_proto::groups::{GroupPatch, JoinPolicy, KickQuery, Visibility};
use serde_json::{Value, json};

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

backend_tests! {
    async fn duplicate_keys_are_refused_at_every_depth(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let path = format!("/api/v1/conversations/{}/messages", c.id);
        let http = reqwest::Client::new();
        for body in [
            // Nested: used to store "b".
            r#"{"client_msg_id":"d1","kind":"text","body":{"text":"a","text":"b"}}"#,
            // Deeper, inside an array.
            r#"{"client_msg_id":"d2","kind":"custom","body":{"list":[{"k":1,"k":2}]}}"#,
            // Top level, as before.
            r#"{"client_msg_id":"d3","client_msg_id":"d4","kind":"text","body":{"text":"a"}}"#,
        ] {
            let resp = http
                .post(app.url(&path))
                .bearer_auth(&alice.tokens.access_token)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 400, "{body}");
            let v: Value = resp.json().await.unwrap();
            assert_eq!(v["error"]["code"], "invalid_json", "{body}: {v}");
            assert!(v["error"]["message"].as_str().unwrap().contains("duplicate key"), "{v}");
        }
        // A patch too (the edit path).
        let ack = alice.client.send_text(c.id, "fine").await.unwrap();
        let resp = http
            .patch(app.url(&format!("{path}/{}", ack.seq)))
            .bearer_auth(&alice.tokens.access_token)
            .header("content-type", "application/json")
            .body(r#"{"body":{"text":"x","text":"y"}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400);
        // The same over the WebSocket: an error frame, nothing stored.
        let mut ws = alice.client.ws().await.unwrap();
        let frame = format!(
            r#"{{"type":"send","id":"w1","data":{{"conversation_id":"{}","client_msg_id":"w1","kind":"text","body":{{"text":"a","text":"b"}}}}}}"#,
            c.id
        );
        ws.send_raw(Message::text(frame)).await.unwrap();
        let ev = loop {
            let ev = ws.next_event_within(Duration::from_secs(10)).await.unwrap();
            if ev.kind == "error" {
                break ev;
            }
        };
        assert_eq!((ev.error_code(), ev.id.as_deref()), (Some("invalid_json"), Some("w1")), "{ev:?}");
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        let texts: Vec<_> = h.messages.iter().map(|m| m.body["text"].clone()).collect();
        assert_eq!(texts, [json!("fine")], "only the clean message is stored");
    }

    async fn reserved_usernames_are_refused_in_any_disguise(app) {
        for name in ["admin", "Admin", "ADM1N", "r00t", "sys_tem", "supp.0rt", "confab", "0fficial"] {
            let e = app.client.register_simple(name, PASSWORD).await.unwrap_err();
            assert_eq!(code(&e), (422, "validation_failed"), "{name}");
            assert!(matches!(&e, ClientError::Api { field: Some(f), .. } if f == "username"), "{e:?}");
        }
        // Names that merely contain one are free.
        for name in ["admin_fan", "rootbeer"] {
            let name = unique(name);
            app.client.register_simple(&name, PASSWORD).await.unwrap();
        }
        // The operator still makes staff accounts on purpose.
        confab::accounts::service::create_admin(&app.state, "admin", PASSWORD).await.unwrap();
    }

    async fn group_avatars_are_readable_by_members_only_for_a_private_group(app) {
        let owner = app.user("owner").await;
        let member = app.user("member").await;
        let stranger = app.user("stranger").await;
        app.befriend(&owner, &member).await;
        let mut input = crate::groups::group_in("Avatars", Visibility::Private, JoinPolicy::Approval);
        input.member_ids = Some(vec![member.id()]);
        let g = owner.client.create_group(&input).await.unwrap();
        let avatar = owner.client.upload(crate::media::png(48, 48), "g.png", "image/png").await.unwrap();
        let patch = GroupPatch { avatar: Some(Some(avatar.id)), ..Default::default() };
        owner.client.update_group(g.id, &patch).await.unwrap();
        // A member: GET /files/F and POST /files/F/url, and the signed URL works.
        member.client.download(avatar.id, false).await.unwrap();
        let signed = member.client.file_url(avatar.id).await.unwrap();
        app.client.download_signed(&signed.url).await.unwrap();
        // A stranger: 404 on both (the group is private).
        assert_eq!(code(&stranger.client.download(avatar.id, false).await.unwrap_err()).0, 404);
        assert_eq!(code(&stranger.client.file_url(avatar.id).await.unwrap_err()).0, 404);
        // A replaced avatar is the uploader's own file again.
        let next = owner.client.upload(crate::media::png(40, 40), "h.png", "image/png").await.unwrap();
        let patch = GroupPatch { avatar: Some(Some(next.id)), ..Default::default() };
        owner.client.update_group(g.id, &patch).await.unwrap();
        member.client.file_url(next.id).await.unwrap();
        assert_eq!(code(&member.client.file_url(avatar.id).await.unwrap_err()).0, 404);
        // A kicked member reads it no more.
        owner.client.kick_group_member(g.id, member.id(), &KickQuery::default()).await.unwrap();
        assert_eq!(code(&member.client.download(next.id, false).await.unwrap_err()).0, 404);
    }
}
