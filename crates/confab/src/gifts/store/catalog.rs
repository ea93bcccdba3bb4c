//! The catalog's rows.

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, GiftId};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::{all, exec, one};
use crate::gifts::model::{Gift, kind_of, kind_str};
use crate::infra::store::{StoreError, from_ms, to_ms};

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    name: String,
    price: i64,
    kind: String,
    hot: bool,
    listed: bool,
    weight: i32,
    icon: Option<i64>,
    animation: Option<i64>,
    presets: String,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
}

const COLUMNS: &str =
    "id, name, price, kind, hot, listed, weight, icon, animation, presets, starts_at, ends_at";

fn gift_of(r: Row) -> Gift {
    Gift {
        id: GiftId(r.id),
        name: r.name,
        price: r.price,
        kind: kind_of(&r.kind),
        hot: r.hot,
        listed: r.listed,
        weight: r.weight,
        icon: r.icon.map(FileId),
        animation: r.animation.map(FileId),
        presets: serde_json::from_str(&r.presets).unwrap_or_default(),
        starts_at: r.starts_at.map(from_ms),
        ends_at: r.ends_at.map(from_ms),
    }
}

fn presets_json(g: &Gift) -> String {
    serde_json::to_string(&g.presets).unwrap_or_else(|_| "[1]".to_owned())
}

/// Adds a gift.
pub async fn insert(
    db: &impl ConnectionTrait,
    g: &Gift,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = to_ms(now);
    exec(
        db,
        format!(
            "INSERT INTO gifts ({COLUMNS}, created_at, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        [
            g.id.0.into(),
            g.name.clone().into(),
            g.price.into(),
            kind_str(g.kind).into(),
            g.hot.into(),
            g.listed.into(),
            g.weight.into(),
            g.icon.map(|f| f.0).into(),
            g.animation.map(|f| f.0).into(),
            presets_json(g).into(),
            g.starts_at.map(to_ms).into(),
            g.ends_at.map(to_ms).into(),
            at.into(),
            at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Writes back a gift's fields.
pub async fn update(
    db: &impl ConnectionTrait,
    g: &Gift,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        db,
        "UPDATE gifts SET name = ?, price = ?, kind = ?, hot = ?, listed = ?, weight = ?, \
         icon = ?, animation = ?, presets = ?, starts_at = ?, ends_at = ?, updated_at = ? \
         WHERE id = ?",
        [
            g.name.clone().into(),
            g.price.into(),
            kind_str(g.kind).into(),
            g.hot.into(),
            g.listed.into(),
            g.weight.into(),
            g.icon.map(|f| f.0).into(),
            g.animation.map(|f| f.0).into(),
            presets_json(g).into(),
            g.starts_at.map(to_ms).into(),
            g.ends_at.map(to_ms).into(),
            to_ms(now).into(),
            g.id.0.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The gift `id`.
pub async fn find(db: &impl ConnectionTrait, id: GiftId) -> Result<Option<Gift>, StoreError> {
    Ok(one::<Row>(
        db,
        format!("SELECT {COLUMNS} FROM gifts WHERE id = ?"),
        [id.0.into()],
    )
    .await?
    .map(gift_of))
}

/// Every gift (or only the listed ones), by weight then age.
pub async fn list(db: &impl ConnectionTrait, listed_only: bool) -> Result<Vec<Gift>, StoreError> {
    let filter = if listed_only { " WHERE listed = ?" } else { "" };
    let values: Vec<sea_orm::Value> = if listed_only {
        vec![true.into()]
    } else {
        vec![]
    };
    Ok(all::<Row>(
        db,
        format!("SELECT {COLUMNS} FROM gifts{filter} ORDER BY weight DESC, id ASC LIMIT 1000"),
        values,
    )
    .await?
    .into_iter()
    .map(gift_of)
    .collect())
}

/// Whether `file` is any gift's icon or animation.
pub async fn uses_file(db: &impl ConnectionTrait, file: FileId) -> Result<bool, StoreError> {
    #[derive(FromQueryResult)]
    struct Hit {
        #[allow(dead_code)]
        id: i64,
    }
    Ok(one::<Hit>(
        db,
        "SELECT id FROM gifts WHERE icon = ? OR animation = ? LIMIT 1",
        [file.0.into(), file.0.into()],
    )
    .await?
    .is_some())
}
