//! The sea-orm entities of the rooms tables; private to `store`.

macro_rules! entity {
    ($module:ident, $table:literal, { $($(#[$m:meta])* $field:ident: $ty:ty,)* }) => {
        pub(crate) mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($(#[$m])* pub $field: $ty,)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(rooms, "rooms", {
    #[sea_orm(primary_key, auto_increment = false)]
    id: i64,
    owner_id: i64,
    conversation_id: i64,
    name: String,
    name_key: String,
    cover: Option<i64>,
    tag: Option<String>,
    announcement: String,
    private: bool,
    password_hash: Option<String>,
    seat_count: i32,
    seat_mode: String,
    mute_all: bool,
    seat_version: i64,
    audience: i32,
    last_active_at: i64,
    closed_at: Option<i64>,
    gift_count: i64,
    gift_value: i64,
    gift_senders: i64,
    created_at: i64,
    updated_at: i64,
});

entity!(seats, "room_seats", {
    #[sea_orm(primary_key, auto_increment = false)]
    room_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    position: i32,
    user_id: Option<i64>,
    locked: bool,
    muted: bool,
    mic_on: bool,
});

entity!(presence, "room_presence", {
    #[sea_orm(primary_key, auto_increment = false)]
    user_id: i64,
    room_id: i64,
    joined_at: i64,
    away_since: Option<i64>,
});

entity!(admins, "room_admins", {
    #[sea_orm(primary_key, auto_increment = false)]
    room_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    user_id: i64,
    created_at: i64,
});

entity!(kicks, "room_kicks", {
    #[sea_orm(primary_key, auto_increment = false)]
    room_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    user_id: i64,
    until: i64,
    reason: Option<String>,
    created_by: i64,
    created_at: i64,
});

entity!(mutes, "room_mutes", {
    #[sea_orm(primary_key, auto_increment = false)]
    room_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    user_id: i64,
    until: Option<i64>,
    created_by: i64,
    created_at: i64,
});

entity!(requests, "room_requests", {
    #[sea_orm(primary_key, auto_increment = false)]
    id: i64,
    room_id: i64,
    user_id: i64,
    kind: String,
    position: Option<i32>,
    created_by: i64,
    created_at: i64,
    expires_at: i64,
    voided: Option<String>,
});

entity!(tags, "room_tags", {
    #[sea_orm(primary_key, auto_increment = false)]
    name: String,
    weight: i32,
    created_at: i64,
});
