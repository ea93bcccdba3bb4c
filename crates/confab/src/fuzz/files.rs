//! File names and storage keys: the client's file name of an upload (multipart
//! `filename`), the `Content-Disposition` a download carries it in, and [`BlobKey`]s.
//!
//! Invariants: a cleaned name is 1–255 characters with no path separator, control
//! character, quote or bidi control, no leading or trailing dot or space (which Windows
//! strips, so `x.exe.` would run as `x.exe`), is a single path component, and cleaning it
//! again changes nothing; the extension rule refuses it when the refused extension hides
//! behind trailing dots or spaces too; the disposition is a valid header value; a blob key
//! only ever names a path inside the storage root.

use std::path::{Component, Path};

use super::client_error;
use crate::infra::blob::BlobKey;
use crate::media::model::{UploadKind, check_file_name, clean_file_name, disposition};

/// One client file name (the bytes, as the multipart parser hands them over: text), and
/// the same bytes split at `/` as blob key segments.
pub fn file_name(data: &[u8]) {
    let raw = String::from_utf8_lossy(data);
    let name = clean_file_name(Some(&raw));
    let n = name.chars().count();
    assert!((1..=255).contains(&n), "a {n}-character name");
    assert!(
        !name.chars().any(|c| matches!(c, '/' | '\\' | '"')
            || c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
        "{name:?} keeps a character it must not"
    );
    for end in [name.chars().next(), name.chars().last()]
        .into_iter()
        .flatten()
    {
        assert!(
            end != '.' && !end.is_whitespace(),
            "{name:?} starts or ends with {end:?}"
        );
    }
    assert_eq!(clean_file_name(Some(&name)), name, "cleaning twice");
    let mut parts = Path::new(&name).components();
    assert!(
        matches!(
            (parts.next(), parts.next()),
            (Some(Component::Normal(_)), None)
        ),
        "{name:?} is not one path component"
    );
    match check_file_name(&name) {
        Ok(()) => {
            // What Windows would save it as: the same extension, so the same verdict.
            let saved = name.trim_end_matches(['.', ' ']);
            assert!(
                check_file_name(saved).is_ok(),
                "{name:?} saves as {saved:?}"
            );
        }
        Err(e) => client_error(&e, "file name"),
    }
    for (kind, ct) in [
        (UploadKind::File, "application/pdf"),
        (UploadKind::Image, "image/png"),
        (UploadKind::Video, "video/mp4"),
    ] {
        let d = disposition(kind, ct, &name);
        assert!(
            axum::http::HeaderValue::from_str(&d).is_ok() && d.is_ascii(),
            "not a header value: {d:?}"
        );
    }
    blob_key(&raw);
}

/// The text split at `/` as key segments: a key, when one is made, stays under the root.
fn blob_key(raw: &str) {
    let segments: Vec<&str> = raw.split('/').take(9).collect();
    let Some(key) = BlobKey::new(&segments) else {
        return;
    };
    let k = key.as_str();
    assert!(
        Path::new(k)
            .components()
            .all(|c| matches!(c, Component::Normal(s) if s != "." && s != "..")),
        "the key {k:?} leaves the root"
    );
    let root = Path::new("/srv/confab/blobs");
    assert!(root.join(k).starts_with(root));
    assert_eq!(
        object_store::path::Path::from(k).as_ref(),
        k,
        "the store rewrites the key {k:?}"
    );
}
