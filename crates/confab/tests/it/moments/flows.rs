//! A newcomer's walkthrough (post with photos to chosen friends, see friends' moments, like
//! and comment, the red dot and the notification, with their events), input bounds,
//! comment rules, deletion cascades, reports and administrators, and the route matrix.

use std::collections::BTreeSet;

use confab_proto::admin::{ReportIn, ReportTarget, UpholdAction, UpholdIn};
use confab_proto::moments::{CommentIn, Location, MomentSettingsPatch, Visibility};
use reqwest::Method;
use serde_json::Value;

use super::*;

backend_tests! {
    async fn a_newcomer_posts_to_chosen_friends_and_sees_the_dot_and_the_notification(app) {
        let me = app.user("newcomer").await;
        let close = app.user("close").await;
        let other = app.user("other").await;
        app.befriend(&me, &close).await;
        app.befriend(&me, &other).await;
        let mut cws = close.client.ws().await.unwrap();
        let mut mws = me.client.ws().await.unwrap();
        let photos = vec![image(&me).await, image(&me).await];
        let mut body = moment_in("first day here", Visibility::Only, &[close.id()], &[], photos.clone(), vec![close.id()]);
        body.location = Some(Location { name: "Harbour".into(), latitude: Some(22.3), longitude: Some(114.2) });
        let m = me.client.post_moment(&body).await.unwrap();
        assert_eq!(m.media.len(), 2);
        assert_eq!(m.audience.as_ref().unwrap().user_ids, vec![close.id()]);
        assert_eq!(m.location.as_ref().unwrap().name, "Harbour");
        let ev = cws.expect_event("moment.posted", WAIT).await.unwrap();
        assert_eq!(ev.data["moment_id"], m.id.to_string());
        let ev = cws.expect_event("moment.mentioned", WAIT).await.unwrap();
        assert_eq!(ev.data["moment_id"], m.id.to_string());
        // The chosen friend sees it (the dot, the feed, the photos); the other friend not.
        let badge = close.client.sync(None).await.unwrap().moments.unwrap();
        assert!(badge.new_posts);
        assert_eq!(badge.newest_poster, Some(me.id()));
        assert_eq!(badge.unread_notifications, 1);
        let feed = close.client.moments_feed(None, None).await.unwrap();
        assert_eq!(feed.items[0].id, m.id);
        assert!(feed.items[0].audience.is_none(), "the list is the author's business");
        assert!(close.client.download(photos[1], false).await.is_ok());
        assert!(other.client.moments_feed(None, None).await.unwrap().items.is_empty());
        assert!(other.client.download(photos[0], false).await.is_err());
        // Like and comment; the author hears of both and sees the dot count.
        close.client.like_moment(m.id).await.unwrap();
        let ev = mws.expect_event("moment.liked", WAIT).await.unwrap();
        assert_eq!(ev.data["actor"]["id"], close.id().to_string());
        assert_eq!(ev.data["thumbnail"], photos[0].to_string());
        let c = close.client.comment_moment(m.id, &CommentIn { text: "welcome!".into(), reply_to: None }).await.unwrap();
        let ev = mws.expect_event("moment.commented", WAIT).await.unwrap();
        assert_eq!(ev.data["comment_text"], "welcome!");
        // The author answers; the commenter gets a reply.
        me.client.comment_moment(m.id, &CommentIn { text: "thanks".into(), reply_to: Some(c.id) }).await.unwrap();
        let ev = cws.expect_event("moment.commented", WAIT).await.unwrap();
        assert_eq!(ev.data["kind"], "reply");
        let badge = me.client.sync(None).await.unwrap().moments.unwrap();
        assert_eq!(badge.unread_notifications, 2);
        let inbox = me.client.moment_notifications(None, None).await.unwrap();
        assert_eq!(inbox.items.len(), 2);
        assert!(inbox.items.iter().all(|n| n.unread && n.thumbnail == Some(photos[0])));
        me.client.read_moment_notifications().await.unwrap();
        assert!(me.client.moment_notifications(None, None).await.unwrap().items.iter().all(|n| !n.unread));
        assert_eq!(me.client.sync(None).await.unwrap().moments.unwrap().unread_notifications, 0);
        // My page shows my cover.
        let cover = image(&me).await;
        me.client.update_moment_settings(&MomentSettingsPatch { stranger_range: None, cover: Some(Some(cover)) }).await.unwrap();
        let page = close.client.user_moments(me.id(), None, None).await.unwrap();
        assert_eq!(page.cover, Some(cover));
        assert!(other.client.download(cover, false).await.is_ok(), "a cover is for anyone to see");
        assert_eq!(page.items.len(), 1);
    }

    async fn posts_and_comments_are_bounded_and_checked(app) {
        let a = app.user("author").await;
        let f = app.user("friend").await;
        let s = app.user("stranger").await;
        app.befriend(&a, &f).await;
        let bad = |e: ClientError, field: &str| {
            assert_eq!(code(&e), (422, "validation_failed"), "{e}");
            assert_eq!(e.field(), Some(field), "{e}");
        };
        let long = "x".repeat(2_001);
        bad(a.client.post_moment(&moment_in(&long, Visibility::Friends, &[], &[], vec![], vec![])).await.unwrap_err(), "text");
        bad(a.client.post_moment(&moment_in("", Visibility::Friends, &[], &[], vec![], vec![])).await.unwrap_err(), "text");
        bad(a.client.post_moment(&moment_in("zw\u{200B}", Visibility::Friends, &[], &[], vec![], vec![])).await.unwrap_err(), "text");
        let mut ten = Vec::new();
        for _ in 0..10 { ten.push(image(&a).await); }
        bad(a.client.post_moment(&moment_in("x", Visibility::Friends, &[], &[], ten.clone(), vec![])).await.unwrap_err(), "media");
        bad(a.client.post_moment(&moment_in("x", Visibility::Friends, &[], &[], vec![ten[0], ten[0]], vec![])).await.unwrap_err(), "media");
        let theirs = image(&f).await;
        bad(a.client.post_moment(&moment_in("x", Visibility::Friends, &[], &[], vec![theirs], vec![])).await.unwrap_err(), "media");
        bad(a.client.post_moment(&moment_in("x", Visibility::Only, &[], &[], vec![], vec![])).await.unwrap_err(), "audience");
        bad(a.client.post_moment(&moment_in("x", Visibility::Public, &[f.id()], &[], vec![], vec![])).await.unwrap_err(), "audience");
        let e = a.client.post_moment(&moment_in("x", Visibility::Only, &[s.id()], &[], vec![], vec![])).await.unwrap_err();
        assert_eq!(code(&e), (403, "not_friends"));
        let e = a.client.post_moment(&moment_in("x", Visibility::Friends, &[], &[], vec![], vec![s.id()])).await.unwrap_err();
        assert_eq!(code(&e), (403, "not_friends"));
        let mut far = moment_in("x", Visibility::Friends, &[], &[], vec![], vec![]);
        far.location = Some(Location { name: "Nowhere".into(), latitude: Some(91.0), longitude: None });
        bad(a.client.post_moment(&far).await.unwrap_err(), "location.latitude");
        // Nothing was stored by any refusal.
        assert!(a.client.moments_feed(None, None).await.unwrap().items.is_empty());

        let m = say(&a, "hello", Visibility::Friends).await;
        let other = say(&a, "another", Visibility::Friends).await;
        bad(f.client.comment_moment(m.id, &CommentIn { text: "y".repeat(501), reply_to: None }).await.unwrap_err(), "text");
        bad(f.client.comment_moment(m.id, &CommentIn { text: "  ".into(), reply_to: None }).await.unwrap_err(), "text");
        let c = f.client.comment_moment(other.id, &CommentIn { text: "there".into(), reply_to: None }).await.unwrap();
        let e = f.client.comment_moment(m.id, &CommentIn { text: "here".into(), reply_to: Some(c.id) }).await.unwrap_err();
        assert_eq!(code(&e), (404, "not_found"), "a reply stays on the moment of its comment");
        // A stranger cannot like or comment what they cannot see.
        assert_eq!(code(&s.client.like_moment(m.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&s.client.comment_moment(m.id, &CommentIn { text: "hi".into(), reply_to: None }).await.unwrap_err()), (404, "not_found"));
        // Deleting comments: the commenter, or the moment's author; nobody else.
        let c2 = f.client.comment_moment(m.id, &CommentIn { text: "mine".into(), reply_to: None }).await.unwrap();
        let g = app.user("gossip").await;
        app.befriend(&a, &g).await;
        app.befriend(&f, &g).await;
        assert_eq!(code(&g.client.delete_moment_comment(c2.id).await.unwrap_err()), (403, "forbidden"));
        a.client.delete_moment_comment(c2.id).await.unwrap();
        f.client.delete_moment_comment(c.id).await.unwrap();
        assert_eq!(code(&f.client.delete_moment_comment(c.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(a.client.moment(m.id).await.unwrap().comment_count, Some(0));
        // Deleting moments: the author; a friend who sees it is refused, a stranger gets 404.
        assert_eq!(code(&f.client.delete_moment(m.id).await.unwrap_err()), (403, "forbidden"));
        assert_eq!(code(&s.client.delete_moment(m.id).await.unwrap_err()), (404, "not_found"));
        // Hiding: not myself, only existing users.
        assert_eq!(code(&a.client.hide_moments_from(a.id(), true).await.unwrap_err()), (422, "cannot_target_self"));
        assert_eq!(code(&a.client.mute_moments_of(UserId(42), true).await.unwrap_err()), (404, "not_found"));
        bad(a.client.moments_feed(None, Some(0)).await.unwrap_err(), "limit");
        bad(a.client.moments_feed(Some("abc"), None).await.unwrap_err(), "cursor");
    }

    async fn deleting_a_moment_takes_everything_with_it(app) {
        let a = app.user("author").await;
        let f = app.user("friend").await;
        app.befriend(&a, &f).await;
        let img = image(&a).await;
        let m = a.client.post_moment(&moment_in("bye", Visibility::Friends, &[], &["fam"], vec![img], vec![f.id()])).await;
        // `friends` with a list is refused; post it as `except` naming nobody of note.
        assert_eq!(code(&m.unwrap_err()).0, 422);
        let m = a.client.post_moment(&moment_in("bye", Visibility::Except, &[], &["nobody"], vec![img], vec![f.id()])).await.unwrap();
        f.client.like_moment(m.id).await.unwrap();
        let c = f.client.comment_moment(m.id, &CommentIn { text: "so long".into(), reply_to: None }).await.unwrap();
        a.client.comment_moment(m.id, &CommentIn { text: "and thanks".into(), reply_to: Some(c.id) }).await.unwrap();
        assert!(confab::moments::post::stored_rows(&app.state, m.id).await.unwrap() >= 7);
        assert!(f.client.download(img, false).await.is_ok());
        assert_eq!(f.client.moment_notifications(None, None).await.unwrap().items.len(), 2);
        a.client.delete_moment(m.id).await.unwrap();
        assert_eq!(confab::moments::post::stored_rows(&app.state, m.id).await.unwrap(), 0);
        assert_eq!(code(&f.client.moment(m.id).await.unwrap_err()), (404, "not_found"));
        assert!(f.client.download(img, false).await.is_err(), "the media reference went with it");
        assert!(a.client.download(img, false).await.is_ok(), "the upload itself stays its owner's");
        assert!(f.client.moment_notifications(None, None).await.unwrap().items.is_empty());
        assert!(a.client.moment_notifications(None, None).await.unwrap().items.is_empty());
        assert_eq!(f.client.sync(None).await.unwrap().moments.unwrap().unread_notifications, 0);
        assert_eq!(code(&a.client.delete_moment(m.id).await.unwrap_err()), (404, "not_found"));
    }

    async fn reports_hide_moments_and_comments_and_admins_delete_any_moment(app) {
        let a = app.user("author").await;
        let f = app.user("friend").await;
        let admin = app.admin("admin").await;
        app.befriend(&a, &f).await;
        let m = say(&a, "questionable", Visibility::Friends).await;
        let c = f.client.comment_moment(m.id, &CommentIn { text: "rude words".into(), reply_to: None }).await.unwrap();
        // Nobody reports what they cannot see, or their own.
        let e = admin.client.report(&ReportIn { target: ReportTarget::Moment { moment_id: m.id }, reason: "spam".into() }).await.unwrap_err();
        assert_eq!(code(&e), (404, "not_found"));
        let e = a.client.report(&ReportIn { target: ReportTarget::Moment { moment_id: m.id }, reason: "spam".into() }).await.unwrap_err();
        assert_eq!(code(&e), (422, "cannot_target_self"));
        let r1 = f.client.report(&ReportIn { target: ReportTarget::Moment { moment_id: m.id }, reason: "spam".into() }).await.unwrap();
        let r2 = a.client.report(&ReportIn { target: ReportTarget::MomentComment { comment_id: c.id }, reason: "rude".into() }).await.unwrap();
        let queue = admin.client.admin_reports(None, None).await.unwrap();
        let mine: Vec<_> = queue.items.iter().filter(|r| r.id == r1.id || r.id == r2.id).collect();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().any(|r| r.excerpt.as_deref() == Some("questionable") && r.target_user_id == Some(a.id())));
        let uphold = UpholdIn { action: UpholdAction::Recall, until: None, note: None };
        admin.client.uphold_report(r2.id, &uphold).await.unwrap();
        assert!(a.client.moment_comments(m.id, None, None).await.unwrap().items.is_empty());
        admin.client.uphold_report(r1.id, &uphold).await.unwrap();
        assert_eq!(code(&f.client.moment(m.id).await.unwrap_err()), (404, "not_found"));
        assert!(a.client.moment(m.id).await.unwrap().hidden, "its author still sees it, marked");
        // An administrator deletes any moment.
        let m2 = say(&a, "another", Visibility::Private).await;
        admin.client.delete_moment(m2.id).await.unwrap();
        assert_eq!(code(&a.client.moment(m2.id).await.unwrap_err()), (404, "not_found"));
    }

    async fn every_moments_route_needs_a_session(app) {
        let u = app.user("u").await;
        let m = say(&u, "x", Visibility::Public).await;
        let c = u.client.comment_moment(m.id, &CommentIn { text: "c".into(), reply_to: None }).await.unwrap();
        let (mid, cid, uid) = (m.id.to_string(), c.id.to_string(), u.id().to_string());
        let routes: Vec<(Method, String)> = vec![
            (Method::POST, "/api/v1/moments".into()),
            (Method::GET, "/api/v1/moments/feed".into()),
            (Method::GET, format!("/api/v1/moments/{mid}")),
            (Method::DELETE, format!("/api/v1/moments/{mid}")),
            (Method::GET, format!("/api/v1/moments/users/{uid}")),
            (Method::PUT, format!("/api/v1/moments/{mid}/like")),
            (Method::DELETE, format!("/api/v1/moments/{mid}/like")),
            (Method::GET, format!("/api/v1/moments/{mid}/likes")),
            (Method::POST, format!("/api/v1/moments/{mid}/comments")),
            (Method::GET, format!("/api/v1/moments/{mid}/comments")),
            (Method::DELETE, format!("/api/v1/moments/comments/{cid}")),
            (Method::GET, "/api/v1/moments/notifications".into()),
            (Method::POST, "/api/v1/moments/notifications/read".into()),
            (Method::GET, "/api/v1/moments/settings".into()),
            (Method::PATCH, "/api/v1/moments/settings".into()),
            (Method::PUT, format!("/api/v1/moments/hidden-from/{uid}")),
            (Method::DELETE, format!("/api/v1/moments/hidden-from/{uid}")),
            (Method::PUT, format!("/api/v1/moments/muted/{uid}")),
            (Method::DELETE, format!("/api/v1/moments/muted/{uid}")),
        ];
        let doc: Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            if path.starts_with("/api/v1/moments") {
                for m in ops.as_object().unwrap().keys() {
                    documented.insert((m.to_uppercase(), path.clone()));
                }
            }
        }
        let covered: BTreeSet<(String, String)> = routes.iter().map(|(m, p)| {
            let t = p.replace(&format!("users/{uid}"), "users/{user_id}")
                .replace(&format!("hidden-from/{uid}"), "hidden-from/{user_id}")
                .replace(&format!("muted/{uid}"), "muted/{user_id}")
                .replace(&mid, "{id}").replace(&cid, "{id}");
            (m.as_str().to_owned(), t)
        }).collect();
        assert_eq!(covered, documented, "every documented /moments route has a row");
        for (method, path) in &routes {
            let e = app.client.call::<Value, Value>(method.clone(), path, Some(&serde_json::json!({}))).await.unwrap_err();
            assert_eq!(code(&e), (401, "unauthorized"), "{method} {path}");
        }
        assert!(u.client.moment(m.id).await.is_ok(), "nothing changed");
    }
}
