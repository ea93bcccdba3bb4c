//! The visibility matrix (reliability R10): every viewer kind × every read path, for
//! moments of every visibility, after the relations changed since posting.
//!
//! The author A posts six moments, each with one image, each reminding every friend A has
//! at the time: `public`, `friends`, `only` (friend O by id, and the tag `close`),
//! `except` (friend E), `private`, and an `old` public one posted 60 days before the rest.
//! A likes and comments on each. Then: A removes X (ex-friend), blocks B, hides their
//! moments from H, tags T `close`, and sets the stranger range to one month.
//!
//! Each row is a viewer; each column a moment, in the order above. `see`: the moment is
//! visible (single moment, the author's page, its image, its likes and comments lists,
//! the reminder in the viewer's inbox when reminded); `feed`: it is in the viewer's feed
//! (friends only); `social`: A's like and comment are in the lists the viewer gets (A is
//! the viewer's friend, or the viewer).

use std::collections::{HashMap, HashSet};

use confab_proto::ids::MomentId;
use confab_proto::moments::{MomentSettingsPatch, NotificationKind, StrangerRange, Visibility};
use confab_proto::social::FriendPatch;

use super::*;

struct Row {
    who: &'static str,
    see: &'static str,
    feed: &'static str,
    social: &'static str,
    reminded: bool,
}

const fn row(
    who: &'static str,
    see: &'static str,
    feed: &'static str,
    social: &'static str,
    reminded: bool,
) -> Row {
    Row {
        who,
        see,
        feed,
        social,
        reminded,
    }
}

/// Columns: public, friends, only, except, private, old.
const MATRIX: &[Row] = &[
    row("author", "111111", "111111", "111111", false),
    row("friend", "110101", "110101", "110101", true),
    row("only_by_id", "111101", "111101", "111101", true),
    row("except", "110001", "110001", "110001", true),
    row("by_tag", "111101", "111101", "111101", true),
    row("ex_friend", "100000", "000000", "000000", true),
    row("stranger", "100000", "000000", "000000", false),
    row("blocked", "000000", "000000", "000000", true),
    row("hidden_from", "000000", "000000", "000000", true),
];

fn bit(s: &str, i: usize) -> bool {
    s.as_bytes()[i] == b'1'
}

backend_tests! {
    async fn every_viewer_sees_exactly_what_the_rules_allow_on_every_path(app) {
        let mut a = app.user("author").await;
        let mut users: HashMap<&str, TestUser> = HashMap::new();
        for who in MATRIX.iter().map(|r| r.who).filter(|w| *w != "author") {
            let u = app.user(who).await;
            if who != "stranger" {
                app.befriend(&a, &u).await;
            }
            users.insert(who, u);
        }
        let ids: HashMap<&str, confab_proto::ids::UserId> = users.iter().map(|(w, u)| (*w, u.id())).collect();
        let id = |w: &str| ids[w];
        let friends: Vec<_> = users.iter().filter(|(w, _)| **w != "stranger").map(|(_, u)| u.id()).collect();
        let specs: [(Visibility, Vec<_>, Vec<&str>); 6] = [
            (Visibility::Public, vec![], vec![]),
            (Visibility::Friends, vec![], vec![]),
            (Visibility::Only, vec![id("only_by_id")], vec!["close"]),
            (Visibility::Except, vec![id("except")], vec![]),
            (Visibility::Private, vec![], vec![]),
            (Visibility::Public, vec![], vec![]),
        ];
        // The old one first, then 60 days pass.
        let mut posts: Vec<(MomentId, FileId)> = vec![(MomentId(0), FileId(0)); 6];
        for i in [5usize, 0, 1, 2, 3, 4] {
            let (vis, ids, tags) = &specs[i];
            let img = image(&a).await;
            let m = a.client.post_moment(&moment_in(&format!("m{i}"), *vis, ids, tags, vec![img], friends.clone())).await.unwrap();
            a.client.like_moment(m.id).await.unwrap();
            a.client.comment_moment(m.id, &confab_proto::moments::CommentIn { text: format!("c{i}"), reply_to: None }).await.unwrap();
            posts[i] = (m.id, img);
            if i == 5 {
                app.clock.advance(chrono::Duration::days(60));
                relogin(&app, &mut a).await;
                for u in users.values_mut() {
                    relogin(&app, u).await;
                }
            }
        }
        a.client.remove_friend(id("ex_friend"), false).await.unwrap();
        a.client.block(id("blocked")).await.unwrap();
        a.client.hide_moments_from(id("hidden_from"), true).await.unwrap();
        a.client.update_friend(id("by_tag"), &FriendPatch { remark: None, tags: Some(vec!["close".into()]) }).await.unwrap();
        a.client.update_moment_settings(&MomentSettingsPatch { stranger_range: Some(StrangerRange::OneMonth), cover: None }).await.unwrap();

        for r in MATRIX {
            let v = if r.who == "author" { &a } else { &users[r.who] };
            let c = &v.client;
            let feed: HashSet<MomentId> = c.moments_feed(None, Some(50)).await.unwrap().items.iter().map(|m| m.id).collect();
            let page: HashSet<MomentId> = c.user_moments(a.id(), None, Some(50)).await.unwrap().items.iter().map(|m| m.id).collect();
            let mut inbox = HashSet::new();
            let mut cursor: Option<String> = None;
            for _ in 0..20 {
                let p = c.moment_notifications(cursor.as_deref(), Some(50)).await.unwrap();
                inbox.extend(p.items.iter().filter(|n| n.kind == NotificationKind::Mention).map(|n| n.moment_id));
                cursor = p.next_cursor;
                if cursor.is_none() { break; }
            }
            for (i, (m, img)) in posts.iter().enumerate() {
                let see = bit(r.see, i);
                let cell = format!("{} × moment {i}", r.who);
                assert_eq!(feed.contains(m), bit(r.feed, i), "feed: {cell}");
                assert_eq!(page.contains(m), see, "page: {cell}");
                let one = c.moment(*m).await;
                match (&one, see) {
                    (Ok(x), true) => assert_eq!(x.id, *m),
                    (Err(e), false) => assert_eq!(code(e), (404, "not_found"), "single: {cell}"),
                    _ => panic!("single: {cell}: {one:?}"),
                }
                let dl = c.download(*img, false).await;
                assert_eq!(dl.is_ok(), see, "media: {cell}: {dl:?}");
                let likes = c.moment_likes(*m, None, None).await;
                let comments = c.moment_comments(*m, None, None).await;
                if see {
                    let likes = likes.unwrap();
                    let comments = comments.unwrap();
                    assert_eq!(likes.items.iter().any(|l| l.user.id == a.id()), bit(r.social, i), "likes: {cell}");
                    assert_eq!(comments.items.iter().any(|x| x.author.id == a.id()), bit(r.social, i), "comments: {cell}");
                } else {
                    assert_eq!(code(&likes.unwrap_err()), (404, "not_found"), "likes: {cell}");
                    assert_eq!(code(&comments.unwrap_err()), (404, "not_found"), "comments: {cell}");
                }
                assert_eq!(inbox.contains(m), see && r.reminded, "notifications: {cell}");
            }
        }
    }

    async fn unfriending_and_unhiding_change_old_moments_at_once(app) {
        let a = app.user("author").await;
        let f = app.user("friend").await;
        app.befriend(&a, &f).await;
        let m = say(&a, "for friends", Visibility::Friends).await;
        assert!(f.client.moment(m.id).await.is_ok());
        a.client.hide_moments_from(f.id(), true).await.unwrap();
        assert_eq!(code(&f.client.moment(m.id).await.unwrap_err()).0, 404);
        a.client.hide_moments_from(f.id(), false).await.unwrap();
        assert!(f.client.moment(m.id).await.is_ok());
        // Muting the author leaves their moments out of my feed only.
        f.client.mute_moments_of(a.id(), true).await.unwrap();
        assert!(f.client.moments_feed(None, None).await.unwrap().items.iter().all(|x| x.id != m.id));
        assert!(f.client.moment(m.id).await.is_ok());
        f.client.mute_moments_of(a.id(), false).await.unwrap();
        assert!(f.client.moments_feed(None, None).await.unwrap().items.iter().any(|x| x.id == m.id));
        f.client.remove_friend(a.id(), false).await.unwrap();
        assert_eq!(code(&f.client.moment(m.id).await.unwrap_err()).0, 404);
        assert!(f.client.moments_feed(None, None).await.unwrap().items.is_empty());
    }
}
