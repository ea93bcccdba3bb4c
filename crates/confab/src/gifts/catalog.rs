//! The catalog: system administrators add and change gifts (never delete one: sends refer to
//! it); everyone signed in reads the gifts on sale, with an `ETag` so clients cache them.
//! Gift icons and animations are readable by everyone signed in ([`IconAccess`]).

use async_trait::async_trait;
use confab_proto::gifts::{
    AdminCatalogOut, CatalogOut, CreateGiftIn, GiftKind, GiftOut, GiftPatch,
};
use confab_proto::ids::{FileId, GiftId, UserId};
use sha2::{Digest, Sha256};

use super::error::GiftsError;
use super::model::{self, Gift};
use super::store::catalog;
use crate::error::ApiError;
use crate::media::access::FileAccess;
use crate::state::AppState;

/// The gifts on sale now, by weight, and their `ETag` (a hash of the answer).
pub async fn on_sale(state: &AppState) -> Result<(CatalogOut, String), ApiError> {
    let now = state.clock.now();
    let gifts: Vec<GiftOut> = catalog::list(state.store.reader(), true)
        .await?
        .into_iter()
        .filter(|g| g.on_sale(now))
        .map(|g| g.out())
        .collect();
    let out = CatalogOut { gifts };
    let body = serde_json::to_vec(&out).map_err(ApiError::internal)?;
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    Ok((out, etag))
}

/// Every gift, listed or not (admins).
pub async fn all(state: &AppState) -> Result<AdminCatalogOut, ApiError> {
    let gifts = catalog::list(state.store.reader(), false)
        .await?
        .iter()
        .map(Gift::out)
        .collect();
    Ok(AdminCatalogOut { gifts })
}

/// Checks that the icon is the admin's own image and the animation their own upload.
async fn check_files(
    state: &AppState,
    admin: UserId,
    icon: Option<FileId>,
    animation: Option<FileId>,
) -> Result<(), ApiError> {
    if let Some(f) = icon {
        crate::media::service::require_own_image(state, admin, f, "icon").await?;
    }
    if let Some(f) = animation
        && crate::media::service::find_own(state, admin, f)
            .await?
            .is_none()
    {
        return Err(crate::media::error::MediaError::NotYours { field: "animation" }.into());
    }
    Ok(())
}

/// Adds a gift.
pub async fn create(
    state: &AppState,
    admin: UserId,
    input: CreateGiftIn,
) -> Result<GiftOut, ApiError> {
    let kind = input.kind.unwrap_or(GiftKind::Normal);
    model::window(kind, input.starts_at, input.ends_at)?;
    check_files(state, admin, input.icon, input.animation).await?;
    let gift = Gift {
        id: GiftId(state.ids.next_id()),
        name: model::name(&input.name)?,
        price: model::price(input.price)?,
        kind,
        hot: input.hot.unwrap_or(false),
        listed: input.listed.unwrap_or(true),
        weight: input.weight.unwrap_or(0),
        icon: input.icon,
        animation: input.animation,
        presets: model::presets(input.presets.as_deref().unwrap_or(&[1]))?,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
    };
    catalog::insert(state.store.writer(), &gift, state.clock.now()).await?;
    audit(state, admin, "gift.create", &gift).await?;
    Ok(gift.out())
}

/// Changes a gift. Past sends keep the price they paid (stored on each send); the name is
/// joined in when sends are read, so a rename shows everywhere.
pub async fn update(
    state: &AppState,
    admin: UserId,
    id: GiftId,
    p: GiftPatch,
) -> Result<GiftOut, ApiError> {
    let mut g = catalog::find(state.store.writer(), id)
        .await?
        .ok_or(GiftsError::NoGift)?;
    if let Some(n) = &p.name {
        g.name = model::name(n)?;
    }
    if let Some(v) = p.price {
        g.price = model::price(v)?;
    }
    if let Some(k) = p.kind {
        g.kind = k;
    }
    if let Some(h) = p.hot {
        g.hot = h;
    }
    if let Some(l) = p.listed {
        g.listed = l;
    }
    if let Some(w) = p.weight {
        g.weight = w;
    }
    if let Some(v) = &p.presets {
        g.presets = model::presets(v)?;
    }
    if let Some(v) = p.starts_at {
        g.starts_at = v;
    }
    if let Some(v) = p.ends_at {
        g.ends_at = v;
    }
    model::window(g.kind, g.starts_at, g.ends_at)?;
    check_files(state, admin, p.icon.flatten(), p.animation.flatten()).await?;
    if let Some(v) = p.icon {
        g.icon = v;
    }
    if let Some(v) = p.animation {
        g.animation = v;
    }
    catalog::update(state.store.writer(), &g, state.clock.now()).await?;
    audit(state, admin, "gift.update", &g).await?;
    Ok(g.out())
}

async fn audit(state: &AppState, admin: UserId, action: &str, g: &Gift) -> Result<(), ApiError> {
    let details = serde_json::json!({
        "name": g.name, "price": g.price, "listed": g.listed, "kind": model::kind_str(g.kind),
    });
    crate::moderation::audit::audit(state, admin, action, "gift", g.id.to_string(), details)
        .await?;
    Ok(())
}

/// Gifts' answer to media's "may this user read this file?": gift icons and animations are
/// everyone's.
pub struct IconAccess;

#[async_trait]
impl FileAccess for IconAccess {
    async fn may_read(
        &self,
        state: &AppState,
        _user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError> {
        Ok(catalog::uses_file(state.store.reader(), file).await?)
    }
}
