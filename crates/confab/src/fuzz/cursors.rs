//! Cursors: the sync cursor and every page cursor a list hands out, read from the query
//! strings that carry them (through axum's `Query`, as `AppQuery` reads them) and on their
//! own.
//!
//! Invariants: a cursor is accepted or refused with a 4xx, never a panic; what a parser
//! accepts, written the way the server writes that cursor, reads back as the same value; id
//! cursors are positive; the rooms cursor's numbers are taken whole, never wrapped; the
//! cursor a sync hands out at any representable time is accepted by the next sync.

use axum::extract::Query;
use axum::http::Uri;
use chrono::DateTime;
use confab_proto::ids::RoomId;

use super::{client_error, u64_at};
use crate::error::ApiError;
use crate::messaging::service::{parse_cursor, sync_cursor as sync_cursor_at};

/// One cursor, as the raw text of the `cursor` parameter and as a whole query string.
pub fn sync_cursor(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    every_parser(&text);
    if let Ok(uri) = format!("/x?{text}").parse::<Uri>() {
        queries(&uri);
    }
    // The cursor a sync at a time derived from the input hands out.
    let ms = u64_at(data, 0) as i64;
    if let Some(now) = DateTime::from_timestamp_millis(ms)
        && DateTime::from_timestamp_millis(ms.saturating_sub(10_000)).is_some()
    {
        let c = sync_cursor_at(now);
        match parse_cursor(Some(&c)) {
            Ok(Some(t)) => assert_eq!(t.timestamp_millis().to_string(), c, "sync cursor"),
            other => panic!("the sync cursor {c} handed out at {ms} is refused: {other:?}"),
        }
    }
}

/// The query types that carry a cursor, read from `uri`; their cursors through every parser.
fn queries(uri: &Uri) {
    macro_rules! read {
        ($($t:ty),*) => {$(
            if let Ok(Query(q)) = Query::<$t>::try_from_uri(uri)
                && let Some(c) = q.cursor.as_deref()
            {
                every_parser(c);
            }
        )*};
    }
    read!(
        confab_proto::messaging::SyncQuery,
        confab_proto::social::PageQuery,
        confab_proto::admin::PageQuery,
        confab_proto::rooms::PageQuery,
        confab_proto::rooms::RoomQuery,
        confab_proto::gifts::PageQuery,
        confab_proto::moments::MomentsQuery
    );
}

/// `c` through every cursor parser.
fn every_parser(c: &str) {
    // Sync: store time in ms.
    match parse_cursor(Some(c)) {
        Ok(Some(t)) => {
            let again = parse_cursor(Some(&t.timestamp_millis().to_string()));
            assert!(matches!(again, Ok(Some(u)) if u == t), "sync cursor {c:?}");
        }
        Ok(None) => assert!(c.is_empty(), "a non-empty sync cursor read as none"),
        Err(e) => client_error(&ApiError::from(e), "sync cursor"),
    }
    // Id cursors: social, groups, moments, admin.
    id_cursor("social", crate::social::model::cursor(Some(c)));
    id_cursor(
        "groups",
        crate::groups::service::cursor(Some(c)).map_err(ApiError::from),
    );
    id_cursor(
        "moments",
        crate::moments::model::id_cursor(Some(c)).map_err(ApiError::from),
    );
    let admin = confab_proto::admin::PageQuery {
        cursor: Some(c.to_owned()),
        limit: None,
    };
    id_cursor("admin", crate::admin::service::page_cursor(&admin));
    // Likes: `created_at ms` `.` `user id`.
    match crate::moments::model::like_cursor(Some(c)) {
        Ok(Some((at, user))) => {
            assert!(at > 0 && user > 0, "like cursor {c:?}");
            let again = crate::moments::model::like_cursor(Some(&format!("{at}.{user}")));
            assert!(
                matches!(again, Ok(Some(v)) if v == (at, user)),
                "like cursor {c:?}"
            );
        }
        Ok(None) => panic!("a like cursor read as none"),
        Err(e) => client_error(&ApiError::from(e), "like cursor"),
    }
    // Rooms: `audience.activity.id`, and room ids for searches.
    if let Some((a, l, id)) = crate::rooms::discovery::recommended_cursor(c) {
        let parts: Vec<i64> = c.split('.').filter_map(|p| p.parse().ok()).collect();
        assert_eq!(
            parts,
            [i64::from(a), l, id],
            "rooms cursor {c:?} read as another"
        );
        assert_eq!(
            crate::rooms::discovery::recommended_cursor(&format!("{a}.{l}.{id}")),
            Some((a, l, id))
        );
    }
    if let Ok(room) = c.parse::<RoomId>() {
        assert!(room.0 > 0);
        assert_eq!(room.to_string().parse::<RoomId>().ok(), Some(room));
    }
    // Gifts: ledger and record ids.
    let gifts = confab_proto::gifts::PageQuery {
        cursor: Some(c.to_owned()),
        limit: None,
    };
    match crate::gifts::wallet::page_bounds(&gifts) {
        Ok((_, Some(before))) => {
            let again = confab_proto::gifts::PageQuery {
                cursor: Some(before.to_string()),
                limit: None,
            };
            assert!(
                matches!(crate::gifts::wallet::page_bounds(&again), Ok((_, Some(b))) if b == before),
                "gifts cursor {c:?}"
            );
        }
        Ok((_, None)) => panic!("a gifts cursor read as none"),
        Err(e) => client_error(&e, "gifts cursor"),
    }
}

/// An id cursor: positive, or refused with a 4xx.
fn id_cursor(what: &str, r: Result<Option<i64>, ApiError>) {
    match r {
        Ok(Some(v)) => assert!(v > 0, "{what}: cursor {v}"),
        Ok(None) => {}
        Err(e) => client_error(&e, what),
    }
}
