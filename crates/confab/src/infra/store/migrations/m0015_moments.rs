//! Moments, the friends' feed (docs/moments.md): posts, their media, their `only`/`except`
//! lists, mentions, likes (one per user: the primary key), comments, the notification
//! inbox, per-user settings (stranger range, cover, read marks) and hide lists. Reports
//! on moments and comments name their item in a new `reports.target_item_id`.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_moments"
    }
}

#[derive(DeriveIden)]
enum Moments {
    Table,
    Id,
    AuthorId,
    Text,
    Visibility,
    Location,
    LikeCount,
    CommentCount,
    HiddenAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MomentMedia {
    Table,
    MomentId,
    Position,
    FileId,
}

#[derive(DeriveIden)]
enum MomentAudience {
    Table,
    MomentId,
    Kind,
    Value,
}

#[derive(DeriveIden)]
enum MomentMentions {
    Table,
    MomentId,
    UserId,
}

#[derive(DeriveIden)]
enum MomentLikes {
    Table,
    MomentId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MomentComments {
    Table,
    Id,
    MomentId,
    AuthorId,
    ReplyTo,
    ReplyToUser,
    Text,
    HiddenAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MomentNotifications {
    Table,
    Id,
    UserId,
    ActorId,
    Kind,
    MomentId,
    CommentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MomentSettings {
    Table,
    UserId,
    StrangerRange,
    CoverFileId,
    NotificationsReadId,
    FeedSeenId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MomentHides {
    Table,
    UserId,
    Kind,
    OtherId,
}

#[derive(DeriveIden)]
enum Reports {
    Table,
    TargetItemId,
}

fn big(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().not_null().to_owned()
}

fn big_null(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).big_integer().null().to_owned()
}

fn text(c: impl IntoIden, len: u32) -> ColumnDef {
    ColumnDef::new(c).string_len(len).not_null().to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    manager.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A post. The feed reads it by (author_id, id): ids are time-ordered snowflakes, so
        // that index is the per-author timeline (fan-out on read, decision 0019).
        super::create_table(
            manager,
            Table::create()
                .table(Moments::Table)
                .col(big(Moments::Id).primary_key())
                .col(big(Moments::AuthorId))
                .col(ColumnDef::new(Moments::Text).text().not_null())
                .col(text(Moments::Visibility, 8))
                .col(ColumnDef::new(Moments::Location).string_len(400).null())
                .col(big(Moments::LikeCount))
                .col(big(Moments::CommentCount))
                .col(big_null(Moments::HiddenAt))
                .col(big(Moments::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_moments_author",
            Moments::Table,
            vec![Moments::AuthorId.into_iden(), Moments::Id.into_iden()],
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(MomentMedia::Table)
                .col(big(MomentMedia::MomentId))
                .col(ColumnDef::new(MomentMedia::Position).integer().not_null())
                .col(big(MomentMedia::FileId))
                .primary_key(
                    Index::create()
                        .col(MomentMedia::MomentId)
                        .col(MomentMedia::Position),
                )
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_moment_media_file",
            MomentMedia::Table,
            vec![MomentMedia::FileId.into_iden()],
        )
        .await?;

        // An `only`/`except` list entry: kind `user` (value: the id) or `tag`.
        super::create_table(
            manager,
            Table::create()
                .table(MomentAudience::Table)
                .col(big(MomentAudience::MomentId))
                .col(text(MomentAudience::Kind, 8))
                .col(text(MomentAudience::Value, 100))
                .primary_key(
                    Index::create()
                        .col(MomentAudience::MomentId)
                        .col(MomentAudience::Kind)
                        .col(MomentAudience::Value),
                )
                .to_owned(),
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(MomentMentions::Table)
                .col(big(MomentMentions::MomentId))
                .col(big(MomentMentions::UserId))
                .primary_key(
                    Index::create()
                        .col(MomentMentions::MomentId)
                        .col(MomentMentions::UserId),
                )
                .to_owned(),
        )
        .await?;

        // One like per user and moment: the primary key makes a second like a no-op, and
        // the counter moves only with a row inserted or deleted (same transaction).
        super::create_table(
            manager,
            Table::create()
                .table(MomentLikes::Table)
                .col(big(MomentLikes::MomentId))
                .col(big(MomentLikes::UserId))
                .col(big(MomentLikes::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(MomentLikes::MomentId)
                        .col(MomentLikes::UserId),
                )
                .to_owned(),
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(MomentComments::Table)
                .col(big(MomentComments::Id).primary_key())
                .col(big(MomentComments::MomentId))
                .col(big(MomentComments::AuthorId))
                .col(big_null(MomentComments::ReplyTo))
                .col(big_null(MomentComments::ReplyToUser))
                .col(text(MomentComments::Text, 500))
                .col(big_null(MomentComments::HiddenAt))
                .col(big(MomentComments::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_moment_comments_moment",
            MomentComments::Table,
            vec![
                MomentComments::MomentId.into_iden(),
                MomentComments::Id.into_iden(),
            ],
        )
        .await?;

        // The inbox: kind `like`, `comment`, `reply` or `mention`; read by (user_id, id).
        super::create_table(
            manager,
            Table::create()
                .table(MomentNotifications::Table)
                .col(big(MomentNotifications::Id).primary_key())
                .col(big(MomentNotifications::UserId))
                .col(big(MomentNotifications::ActorId))
                .col(text(MomentNotifications::Kind, 8))
                .col(big(MomentNotifications::MomentId))
                .col(big_null(MomentNotifications::CommentId))
                .col(big(MomentNotifications::CreatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_moment_notifications_user",
            MomentNotifications::Table,
            vec![
                MomentNotifications::UserId.into_iden(),
                MomentNotifications::Id.into_iden(),
            ],
        )
        .await?;
        index(
            manager,
            "ix_moment_notifications_moment",
            MomentNotifications::Table,
            vec![MomentNotifications::MomentId.into_iden()],
        )
        .await?;

        super::create_table(
            manager,
            Table::create()
                .table(MomentSettings::Table)
                .col(big(MomentSettings::UserId).primary_key())
                .col(text(MomentSettings::StrangerRange, 12))
                .col(big_null(MomentSettings::CoverFileId))
                .col(big(MomentSettings::NotificationsReadId))
                .col(big(MomentSettings::FeedSeenId))
                .col(big(MomentSettings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_moment_settings_cover",
            MomentSettings::Table,
            vec![MomentSettings::CoverFileId.into_iden()],
        )
        .await?;

        // Kind `from`: the user's moments are hidden from `other_id`; `mute`: `other_id`'s
        // moments are left out of the user's feed.
        super::create_table(
            manager,
            Table::create()
                .table(MomentHides::Table)
                .col(big(MomentHides::UserId))
                .col(text(MomentHides::Kind, 8))
                .col(big(MomentHides::OtherId))
                .primary_key(
                    Index::create()
                        .col(MomentHides::UserId)
                        .col(MomentHides::Kind)
                        .col(MomentHides::OtherId),
                )
                .to_owned(),
        )
        .await?;

        let mut col = big_null(Reports::TargetItemId);
        manager
            .alter_table(
                Table::alter()
                    .table(Reports::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await
    }
}
