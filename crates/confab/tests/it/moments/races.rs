//! Concurrency: feed pages stay stable while friends post, likes are never lost or
//! doubled, counters are exact after a burst.

use std::collections::HashSet;
use std::sync::Arc;

use confab_proto::moments::{CommentIn, Visibility};

use super::*;

backend_tests! {
    async fn feed_pages_stay_stable_while_friends_post(app) {
        let reader = app.user("reader").await;
        let mut posters = Vec::new();
        for i in 0..4 {
            let p = app.user(&format!("poster{i}")).await;
            app.befriend(&reader, &p).await;
            posters.push(p);
        }
        let mut before = HashSet::new();
        for round in 0..6 {
            for p in &posters {
                before.insert(say(p, &format!("r{round}"), Visibility::Friends).await.id);
            }
        }
        // Friends keep posting while the reader pages through with a small page size.
        let posters = Arc::new(posters);
        let writer = tokio::spawn({
            let posters = posters.clone();
            async move {
                let mut ids = Vec::new();
                for round in 0..5 {
                    for p in posters.iter() {
                        ids.push(say(p, &format!("late{round}"), Visibility::Friends).await.id);
                    }
                }
                ids
            }
        });
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let page = reader.client.moments_feed(cursor.as_deref(), Some(5)).await.unwrap();
            seen.extend(page.items.iter().map(|m| m.id));
            cursor = page.next_cursor;
            if cursor.is_none() { break; }
        }
        let late: HashSet<_> = writer.await.unwrap().into_iter().collect();
        assert!(cursor.is_none(), "paging ended");
        // Strictly newest first, no duplicates, nothing older skipped.
        assert!(seen.windows(2).all(|w| w[0] > w[1]), "pages are ordered and never repeat");
        let got: HashSet<_> = seen.iter().copied().collect();
        assert!(before.is_subset(&got), "every moment posted before the first page is read once");
        assert!(got.iter().all(|m| before.contains(m) || late.contains(m)));
        // The first page again shows the newest.
        let first = reader.client.moments_feed(None, Some(5)).await.unwrap();
        let newest = late.iter().max().copied().unwrap();
        assert_eq!(first.items[0].id, newest);
    }

    async fn concurrent_likes_are_never_lost_or_doubled(app) {
        let a = app.user("author").await;
        let m = say(&a, "like me", Visibility::Public).await;
        let mut fans = Vec::new();
        for i in 0..12 {
            fans.push(app.user(&format!("fan{i}")).await);
        }
        // Every fan likes three times at once; all of them concurrently.
        let mut tasks = Vec::new();
        for f in &fans {
            for _ in 0..3 {
                let c = f.client.clone();
                tasks.push(tokio::spawn(async move { c.like_moment(m.id).await.unwrap() }));
            }
        }
        let mut changed = 0;
        for t in tasks {
            if t.await.unwrap().changed { changed += 1; }
        }
        assert_eq!(changed, fans.len(), "exactly one like per fan took effect");
        let mine = a.client.moment(m.id).await.unwrap();
        assert_eq!(mine.like_count, Some(fans.len() as u64));
        let listed = a.client.moment_likes(m.id, None, Some(50)).await.unwrap();
        assert_eq!(listed.items.len(), fans.len());
        // Half take it back (twice, concurrently) while the rest like again.
        let mut tasks = Vec::new();
        for (i, f) in fans.iter().enumerate() {
            for _ in 0..2 {
                let c = f.client.clone();
                tasks.push(tokio::spawn(async move {
                    if i % 2 == 0 { c.unlike_moment(m.id).await.unwrap() } else { c.like_moment(m.id).await.unwrap() }
                }));
            }
        }
        for t in tasks { t.await.unwrap(); }
        let mine = a.client.moment(m.id).await.unwrap();
        assert_eq!(mine.like_count, Some((fans.len() / 2) as u64));
        assert_eq!(a.client.moment_likes(m.id, None, Some(50)).await.unwrap().items.len(), fans.len() / 2);
        // The inbox holds one like per remaining fan.
        let inbox = a.client.moment_notifications(None, Some(50)).await.unwrap();
        assert_eq!(inbox.items.len(), fans.len() / 2);
    }

    async fn counters_are_exact_after_a_burst(app) {
        let a = app.user("author").await;
        let m = say(&a, "burst", Visibility::Public).await;
        let mut fans = Vec::new();
        for i in 0..8 {
            let f = app.user(&format!("fan{i}")).await;
            app.befriend(&a, &f).await;
            fans.push(f);
        }
        let mut tasks = Vec::new();
        for f in &fans {
            let c = f.client.clone();
            tasks.push(tokio::spawn(async move {
                c.like_moment(m.id).await.unwrap();
                c.comment_moment(m.id, &CommentIn { text: "nice".into(), reply_to: None }).await.unwrap();
                c.comment_moment(m.id, &CommentIn { text: "really".into(), reply_to: None }).await.unwrap();
            }));
        }
        for t in tasks { t.await.unwrap(); }
        let mine = a.client.moment(m.id).await.unwrap();
        assert_eq!(mine.like_count, Some(8));
        assert_eq!(mine.comment_count, Some(16));
        let sync = a.client.sync(None).await.unwrap();
        let badge = sync.moments.unwrap();
        assert_eq!(badge.unread_notifications, 24);
        a.client.read_moment_notifications().await.unwrap();
        assert_eq!(a.client.sync(None).await.unwrap().moments.unwrap().unread_notifications, 0);
        // A friend's new moment lights the dot with its author; reading the feed clears it.
        let poster = &fans[3];
        say(poster, "new!", Visibility::Friends).await;
        let badge = a.client.sync(None).await.unwrap().moments.unwrap();
        assert!(badge.new_posts);
        assert_eq!(badge.newest_poster, Some(poster.id()));
        a.client.moments_feed(None, None).await.unwrap();
        let badge = a.client.sync(None).await.unwrap().moments.unwrap();
        assert!(!badge.new_posts);
        assert_eq!(badge.newest_poster, None);
        // My own moment never lights my dot; a private one of a friend does not either.
        say(&a, "mine", Visibility::Friends).await;
        say(poster, "secret", Visibility::Private).await;
        assert!(!a.client.sync(None).await.unwrap().moments.unwrap().new_posts);
    }
}
