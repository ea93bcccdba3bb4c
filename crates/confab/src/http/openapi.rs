//! The OpenAPI 3.1 document, generated from the handlers' annotations, with the error-code
//! catalogue written into its description. Served at `/api/v1/openapi.json`, browsable at
//! `/docs` (Swagger UI, compiled into the binary), and committed as `docs/openapi.json`.

pub mod failures;

use confab_proto::{ErrorBody, ErrorCode, ErrorInfo};
use utoipa::OpenApi;

use crate::error::status_of;

/// The document's fixed parts; paths are added by the routers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Confab",
        description = "Self-hosted instant messaging.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorBody, ErrorInfo, ErrorCode)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign-up, sign-in, tokens"),
        (name = "me", description = "My account, devices and bindings"),
        (name = "users", description = "Profiles and user search"),
        (name = "social", description = "Friends, friend requests, blocks, follows"),
        (name = "gifts", description = "The gift catalog, sends, records and leaderboards (docs/gifts.md)"),
        (name = "wallet", description = "Coins, diamonds, the ledger, backpack, VIP and top-ups (docs/gifts.md)"),
        (name = "calls", description = "Voice and video calls: ringing, group calls, ICE servers (docs/calls.md)"),
        (name = "moments", description = "The friends' feed: posts, likes, comments, notifications, settings (docs/moments.md)"),
        (name = "ops", description = "Health, readiness and metrics"),
        (name = "realtime", description = "The WebSocket gateway (see docs/protocol.md)"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme the authenticated endpoints name.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The `access_token` from sign-in or refresh."))
                    .build(),
            ),
        );
    }
}

/// Adds what annotations cannot say: the failures every route shares (by what the route is,
/// see [`failures`]) and the error-code table.
pub fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    failures::declare(&mut doc);
    crate::media::api::declare_download_types(&mut doc);
    let mut text = String::from(
        "Self-hosted instant messaging: accounts, friends, groups, real-time chat.\n\n\
         Every error is answered with an HTTP status and the body \
         `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}`. Match on `code`; the message is \
         for people and may change.\n\n| code | status | meaning |\n|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            status_of(*code).as_u16(),
            code.meaning()
        ));
    }
    doc.info.description = Some(text);
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
