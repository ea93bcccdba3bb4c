//! The failures every route shares, declared once (as `components.responses`) and added to
//! each operation by what the route is, so a new route cannot forget them:
//!
//! | the route… | may answer |
//! |---|---|
//! | is under `/api/v1` | 408 (request timeout), 503 (a backend is down) |
//! | names a bearer scheme | 401 (no, bad or expired token), 403 (`account_disabled`) |
//! | takes path or query parameters, or a body | 400 (does not parse, unknown query field), 422 |
//! | takes path parameters, or a body naming an id | 404 |
//! | takes a body | 413, 415 |
//! | counts requests ([`RATE_LIMITED`]) | 429 |
//!
//! A status an operation declares itself (with its own codes) is kept as it is. The path
//! parameters that are ids get the id pattern, every other path parameter a bound, and every
//! `cursor` the form cursors take, here too (see [`constrain_params`]).

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr, Schema};

/// Operations that count requests (per address, per user or per session) and answer 429
/// past their limit: sign-up and sign-in style endpoints (per address), sends and what
/// sends a message on the caller's behalf (the per-user send rate: `check_may_post`), room
/// entry with a password (wrong guesses), friend requests, reports.
pub const RATE_LIMITED: &[&str] = &[
    "get_captcha",
    "request_code",
    "login",
    "login_with_code",
    "reset_password",
    "register",
    "refresh",
    "bind_email",
    "bind_phone",
    "start_oauth",
    "finish_oauth",
    "send_message",
    "send_gift",
    "invite_call",
    "start_group_call",
    "join_call",
    "join_room",
    "send_friend_request",
    "file_report",
];

/// The id pattern (as on the id types in `confab_proto::ids`): a positive decimal of at most
/// 19 digits, no sign, no leading zero.
pub const ID_PATTERN: &str = confab_proto::ids::ID_PATTERN;

/// The form of every page cursor: one to three integers joined by `.` (an id; a time and an
/// id; a rank, a level and an id), or empty. A superset of what each endpoint reads, so a
/// value outside it is refused everywhere; pass `next_cursor` back unchanged.
pub const CURSOR_PATTERN: &str = r"^$|^[-+]?[0-9]+(\.[-+]?[0-9]+){0,2}$";

/// Path parameters that are ids, whatever the route.
const ID_PARAMS: &[&str] = &["id", "user_id", "request_id", "conversation_id"];

struct Shared {
    name: &'static str,
    status: &'static str,
    description: &'static str,
    retry_after: bool,
}

const SHARED: &[Shared] = &[
    Shared {
        name: "BadRequest",
        status: "400",
        description: "`bad_request`: a path or query parameter that does not parse (an id that \
                      is not an id) or a query parameter the route does not take; \
                      `invalid_json`: a body that is not JSON, or names a key twice",
        retry_after: false,
    },
    Shared {
        name: "Unauthorized",
        status: "401",
        description: "`unauthorized` (no bearer token, or not one of ours), `token_expired`, \
                      `session_revoked`",
        retry_after: false,
    },
    Shared {
        name: "AccountDisabled",
        status: "403",
        description: "`account_disabled`: the caller's account was disabled",
        retry_after: false,
    },
    Shared {
        name: "NotFound",
        status: "404",
        description: "`not_found`: no such resource, or one the caller may not see",
        retry_after: false,
    },
    Shared {
        name: "RequestTimeout",
        status: "408",
        description: "`request_timeout`: not answered within `http.request_timeout_secs`",
        retry_after: false,
    },
    Shared {
        name: "PayloadTooLarge",
        status: "413",
        description: "`payload_too_large`: the body is over `http.body_limit_bytes` (uploads: \
                      the media limits)",
        retry_after: false,
    },
    Shared {
        name: "UnsupportedMediaType",
        status: "415",
        description: "`unsupported_media_type`: the body is not of the declared content type",
        retry_after: false,
    },
    Shared {
        name: "ValidationFailed",
        status: "422",
        description: "`validation_failed` (with `field`): a field missing, of the wrong type or \
                      outside its bounds",
        retry_after: false,
    },
    Shared {
        name: "RateLimited",
        status: "429",
        description: "`rate_limited` (or the route's own code): too many requests; retry after \
                      `Retry-After` seconds",
        retry_after: true,
    },
    Shared {
        name: "ServiceUnavailable",
        status: "503",
        description: "`service_unavailable`: the database, cache or bus cannot be reached; \
                      retry after `Retry-After` seconds",
        retry_after: true,
    },
];

/// Declares the shared responses and adds them to every operation they apply to.
pub fn declare(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for s in SHARED {
        components
            .responses
            .insert(s.name.to_owned(), RefOr::T(response(s)));
    }
    let schemas = serde_json::to_value(&components.schemas).unwrap_or_default();
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        let ops = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            constrain_params(op);
            let names_id = op
                .request_body
                .as_ref()
                .and_then(|b| serde_json::to_value(b).ok())
                .is_some_and(|b| names_an_id(&b, &schemas, &mut Vec::new()));
            add_shared(op, api, names_id);
        }
    }
}

fn response(s: &Shared) -> Response {
    let mut b = ResponseBuilder::new().description(s.description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    );
    if s.retry_after {
        b = b.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                ))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    b.build()
}

/// Whether `v` refers (at any depth, through `components.schemas`) to an id type: a body
/// that names a user, a file, a group… may name one that does not exist (404).
fn names_an_id(v: &serde_json::Value, schemas: &serde_json::Value, seen: &mut Vec<String>) -> bool {
    match v {
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| match (k.as_str(), v.as_str()) {
            ("$ref", Some(r)) => {
                let name = r.rsplit('/').next().unwrap_or_default();
                if name.ends_with("Id") {
                    return true;
                }
                if seen.iter().any(|s| s == name) {
                    return false;
                }
                seen.push(name.to_owned());
                names_an_id(&schemas[name], schemas, seen)
            }
            _ => names_an_id(v, schemas, seen),
        }),
        serde_json::Value::Array(a) => a.iter().any(|v| names_an_id(v, schemas, seen)),
        _ => false,
    }
}

fn add_shared(op: &mut Operation, api: bool, names_id: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_input = !params.is_empty() || op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let rate_limited = op
        .operation_id
        .as_deref()
        .is_some_and(|id| RATE_LIMITED.contains(&id));
    let wanted: [(&str, bool); 10] = [
        ("BadRequest", has_input),
        ("Unauthorized", secured),
        ("AccountDisabled", secured),
        ("NotFound", has_path || names_id),
        ("RequestTimeout", api),
        ("PayloadTooLarge", op.request_body.is_some()),
        ("UnsupportedMediaType", op.request_body.is_some()),
        ("ValidationFailed", has_input),
        ("RateLimited", rate_limited),
        ("ServiceUnavailable", api),
    ];
    let by_name: BTreeMap<&str, &str> = SHARED.iter().map(|s| (s.name, s.status)).collect();
    for (name, applies) in wanted {
        let Some(status) = by_name.get(name) else {
            continue;
        };
        if applies && !op.responses.responses.contains_key(*status) {
            op.responses.responses.insert(
                (*status).to_owned(),
                RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
            );
        }
    }
}

/// Parameters declared as bare strings: path ids get [`ID_PATTERN`], other path parameters
/// the bounds the handlers enforce, and `cursor` query parameters [`CURSOR_PATTERN`].
fn constrain_params(op: &mut Operation) {
    let Some(params) = op.parameters.as_mut() else {
        return;
    };
    for p in params.iter_mut() {
        let RefOr::T(p) = p else { continue };
        let cursor = p.parameter_in == ParameterIn::Query && p.name == "cursor";
        if p.parameter_in != ParameterIn::Path && !cursor {
            continue;
        }
        let bare_string = matches!(
            &p.schema,
            Some(RefOr::T(Schema::Object(o))) if o.schema_type == Type::String.into()
                && o.pattern.is_none()
                && o.enum_values.is_none()
        );
        if !bare_string {
            continue;
        }
        let schema = if cursor {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(CURSOR_PATTERN))
                .max_length(Some(64))
        } else if ID_PARAMS.contains(&p.name.as_str()) {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(ID_PATTERN))
                .examples(["7260000000000000001"])
        } else {
            // A reaction is at most 32 bytes (`messaging::actions::MAX_EMOJI_BYTES`), so at
            // most 32 characters; the other names (a provider, a tag, a word, a token) are
            // refused or not found past 64.
            let max = if p.name == "emoji" { 32 } else { 64 };
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(max))
        };
        p.schema = Some(RefOr::T(Schema::Object(schema.build())));
    }
}
