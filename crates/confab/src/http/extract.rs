//! Our own extractors, so that malformed bodies, queries and paths are answered in the same
//! error format as everything else (axum's own rejections are plain text).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, bounded_message};

/// A JSON body (or response). Rejections: 415 without a JSON content type, 413 over the
/// body limit, 400 `invalid_json` for syntax / encoding / depth, 422 `validation_failed`
/// for a well-formed body of the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected `Content-Type: application/json`",
            ));
        }
        let bytes = body_bytes(req, state).await?;
        json_from_bytes(&bytes).map(AppJson)
    }
}

/// Whether the request says its body is JSON (`application/json` or a `+json` type), as
/// axum's own `Json` decides.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// The whole body, within the body limit (413 `payload_too_large` past it).
async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, ApiError> {
    match axum::body::Bytes::from_request(req, state).await {
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            "request body is too large",
        )),
        Err(e) => Err(ApiError::new(
            ErrorCode::BadRequest,
            bounded_message(e.body_text()),
        )),
    }
}

/// Whether valid JSON `bytes` are an object. Every request body and WebSocket frame is one;
/// serde's derived structs would also read a JSON array, by field position (`[null, null]`
/// as an empty patch, `["ping"]` as a frame), so anything else is refused up front.
pub fn is_json_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Reads a JSON body from raw bytes (a handler that also needs the bytes, such as a signed
/// webhook), with [`AppJson`]'s rejections. A key named twice in one object, at any depth,
/// is a 400 `invalid_json` (see [`unique_keys`]); a body that is not an object (an array, a
/// scalar) is a 422 `validation_failed`.
pub fn json_from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Err(e) = unique_keys(bytes) {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            bounded_message(format!("malformed JSON: {e}")),
        ));
    }
    if !is_json_object(bytes) {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            "the body must be a JSON object",
        ));
    }
    axum::Json::<T>::from_bytes(bytes)
        .map(|axum::Json(v)| v)
        .map_err(|r| json_rejection(&r))
}

/// Checks that no object in the JSON document `bytes` names a key twice, at any depth.
///
/// serde's derived structs refuse a repeated field, but a free-form part of a body (a
/// message's `body`, a frame's `data`) is a `serde_json::Value`, which keeps the last of
/// two equal keys: `{"text":"a","text":"b"}` would be screened, logged and stored as
/// whichever reading the code happened to make. One walk over the document, linear in its
/// size and bounded by serde_json's nesting limit (128), settles it for every reader.
/// Malformed JSON fails here too, with serde_json's message.
pub fn unique_keys(bytes: &[u8]) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde::Deserialize::deserialize(&mut de).map(|UniqueKeys| ())?;
    de.end()
}

/// A JSON value read only to check its objects' keys (see [`unique_keys`]).
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                let shown: String = key.chars().take(40).collect();
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate key `{shown}`"
                )));
            }
            map.next_value::<UniqueKeys>()?;
            seen.insert(key);
        }
        Ok(UniqueKeys)
    }
}

fn json_rejection(r: &JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonDataError(e) => {
            // axum reports the path to the offending field ("username: invalid type…").
            let text = e.body_text();
            let detail = text
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&text)
                .to_owned();
            let field = detail
                .split_once(": ")
                .map(|(path, _)| path.to_owned())
                .filter(|p| !p.contains(' ') && !p.is_empty());
            let err = ApiError::new(ErrorCode::ValidationFailed, bounded_message(detail));
            match field {
                Some(f) => err.with_field(f),
                None => err,
            }
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::new(
            ErrorCode::InvalidJson,
            bounded_message(e.body_text().replace(
                "Failed to parse the request body as JSON: ",
                "malformed JSON: ",
            )),
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "expected `Content-Type: application/json`",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
        }
        other => ApiError::new(ErrorCode::BadRequest, bounded_message(other.body_text())),
    }
}

/// A JSON body that may be absent: an empty (or all-whitespace) body is `T::default()`;
/// anything else is read as [`AppJson`] reads it, with the same rejections (a content type
/// is not required, since clients often send none with an empty body).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        json_from_bytes(&bytes).map(OptionalJson)
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query parameters; a malformed query is a 400 `bad_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| AppQuery(q.0))
            .map_err(|r: QueryRejection| {
                ApiError::new(ErrorCode::BadRequest, bounded_message(r.body_text()))
            })
    }
}

/// Path parameters; one that does not parse (an id that is not an id) is a 400 `bad_request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| AppPath(p.0))
            .map_err(|r: PathRejection| {
                ApiError::new(ErrorCode::BadRequest, bounded_message(r.body_text()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_named_twice_is_refused_at_every_depth() {
        for ok in [
            &br#"{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]}}"#[..],
            b"[]",
            b"\"x\"",
            b"{\"a\":{},\"b\":{}}",
        ] {
            assert!(unique_keys(ok).is_ok(), "{}", String::from_utf8_lossy(ok));
        }
        for dup in [
            &br#"{"text":"a","text":"b"}"#[..],
            br#"{"body":{"text":"a","text":"b"}}"#,
            br#"{"a":[1,{"x":{"y":[{"k":1,"k":2}]}}]}"#,
            // The same key once escaped and once not is still the same key.
            br#"{"data":{"t\u0065xt":"a","text":"b"}}"#,
        ] {
            let e = unique_keys(dup).unwrap_err();
            assert!(
                e.is_data() && e.to_string().contains("duplicate key"),
                "{e}"
            );
        }
        assert!(unique_keys(b"{").unwrap_err().is_eof());
        assert!(unique_keys(b"{} {}").is_err(), "trailing data");
        let deep = "[".repeat(100_000);
        assert!(unique_keys(deep.as_bytes()).is_err(), "depth is bounded");
    }

    #[test]
    fn json_content_types() {
        let ct = |v: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(axum::http::header::CONTENT_TYPE, v.parse().unwrap());
            json_content_type(&h)
        };
        assert!(ct("application/json"));
        assert!(ct("Application/JSON; charset=utf-8"));
        assert!(ct("application/merge-patch+json"));
        assert!(!ct("text/plain"));
        assert!(!ct("application/jsonx"));
        assert!(!ct("application/+json"));
        assert!(!json_content_type(&axum::http::HeaderMap::new()));
    }
}
