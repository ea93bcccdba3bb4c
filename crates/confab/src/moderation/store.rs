//! The moderation feature's SQL: admin-managed sensitive words, reports and site-wide user
//! mutes.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, GroupId, MomentCommentId, MomentId, ReportId, UserId};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};

mod words {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sensitive_words")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub word: String,
        pub created_at: i64,
        pub created_by: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod reports {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub kind: String,
        pub conversation_id: Option<i64>,
        pub seq: Option<i64>,
        pub target_user_id: Option<i64>,
        pub reporter_id: Option<i64>,
        pub reason: String,
        pub excerpt: Option<String>,
        pub status: String,
        pub created_at: i64,
        pub reviewed_by: Option<i64>,
        pub reviewed_at: Option<i64>,
        pub target_group_id: Option<i64>,
        pub resolution: Option<String>,
        pub target_item_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod user_mutes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_mutes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub until: Option<i64>,
        pub created_by: i64,
        pub report_id: Option<i64>,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A message: its conversation and seq.
    Message(ConversationId, i64),
    /// A user.
    User(UserId),
    /// A group.
    Group(GroupId),
    /// A moment.
    Moment(MomentId),
    /// A comment on a moment.
    MomentComment(MomentCommentId),
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Id.
    pub id: ReportId,
    /// What it is about.
    pub target: Target,
    /// The user responsible: the message's sender, the user reported, the group's owner.
    pub target_user: Option<UserId>,
    /// Who filed it; `None` for the system (the sensitive-word filter).
    pub reporter: Option<UserId>,
    /// Why.
    pub reason: String,
    /// The reported content as it was, at most 500 characters.
    pub excerpt: Option<String>,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    /// What an uphold did.
    pub resolution: Option<String>,
    /// Who decided.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// A report to file.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// What it is about.
    pub target: Target,
    /// The user responsible for the target (a message's sender), when known.
    pub target_user: Option<UserId>,
    /// Who files it; `None` for the system.
    pub reporter: Option<UserId>,
    /// Why.
    pub reason: String,
    /// The content as it was (cut to 500 characters here).
    pub excerpt: Option<String>,
}

/// The longest excerpt kept with a report, in characters.
pub const MAX_EXCERPT_CHARS: usize = 500;

fn report_of(m: reports::Model) -> Report {
    let target = match (
        m.kind.as_str(),
        m.conversation_id,
        m.seq,
        m.target_user_id,
        m.target_group_id,
    ) {
        ("message", Some(c), Some(s), _, _) => Target::Message(ConversationId(c), s),
        ("group", _, _, _, Some(g)) => Target::Group(GroupId(g)),
        ("moment", ..) => Target::Moment(MomentId(m.target_item_id.unwrap_or_default())),
        ("moment_comment", ..) => {
            Target::MomentComment(MomentCommentId(m.target_item_id.unwrap_or_default()))
        }
        (_, _, _, Some(u), _) => Target::User(UserId(u)),
        _ => Target::Message(ConversationId(m.conversation_id.unwrap_or_default()), 0),
    };
    Report {
        id: ReportId(m.id),
        target,
        target_user: m.target_user_id.map(UserId),
        reporter: m.reporter_id.map(UserId),
        reason: m.reason,
        excerpt: m.excerpt,
        status: m.status,
        resolution: m.resolution,
        reviewed_by: m.reviewed_by.map(UserId),
        reviewed_at: m.reviewed_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// The columns that name a target: kind, conversation, seq, user, group.
type TargetColumns = (
    &'static str,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

fn target_columns(target: Target, target_user: Option<UserId>) -> TargetColumns {
    match target {
        Target::Message(c, s) => (
            "message",
            Some(c.0),
            Some(s),
            target_user.map(|u| u.0),
            None,
        ),
        Target::User(u) => ("user", None, None, Some(u.0), None),
        Target::Group(g) => ("group", None, None, target_user.map(|u| u.0), Some(g.0)),
        Target::Moment(_) => ("moment", None, None, target_user.map(|u| u.0), None),
        Target::MomentComment(_) => ("moment_comment", None, None, target_user.map(|u| u.0), None),
    }
}

/// The moment or comment a report names (the `target_item_id` column).
fn target_item(target: Target) -> Option<i64> {
    match target {
        Target::Moment(m) => Some(m.0),
        Target::MomentComment(c) => Some(c.0),
        _ => None,
    }
}

/// Adds a normalised word; `false` if it was already there.
pub async fn add_word(
    db: &impl ConnectionTrait,
    word: &str,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = words::ActiveModel {
        word: Set(word.to_owned()),
        created_at: Set(to_ms(now)),
        created_by: Set(by.map(|u| u.0)),
    };
    match words::Entity::insert(row).exec(db).await {
        Ok(_) => Ok(true),
        Err(e) if unique_violation(&e).is_some() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Every admin-managed word, in order (the whole list: the filter compiles all of them).
pub async fn list_words(db: &impl ConnectionTrait) -> Result<Vec<String>, StoreError> {
    Ok(words::Entity::find()
        .order_by_asc(words::Column::Word)
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.word)
        .collect())
}

/// Removes a normalised word; `false` if it was not there.
pub async fn remove_word(db: &impl ConnectionTrait, word: &str) -> Result<bool, StoreError> {
    let r = words::Entity::delete_by_id(word.to_owned())
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Files a report (status `open`).
pub async fn file_report(
    db: &impl ConnectionTrait,
    id: ReportId,
    report: NewReport,
    now: DateTime<Utc>,
) -> Result<Report, StoreError> {
    let (kind, conversation_id, seq, target_user_id, target_group_id) =
        target_columns(report.target, report.target_user);
    let row = reports::ActiveModel {
        id: Set(id.0),
        kind: Set(kind.into()),
        conversation_id: Set(conversation_id),
        seq: Set(seq),
        target_user_id: Set(target_user_id),
        reporter_id: Set(report.reporter.map(|u| u.0)),
        reason: Set(report.reason.chars().take(500).collect()),
        excerpt: Set(report
            .excerpt
            .map(|e| e.chars().take(MAX_EXCERPT_CHARS).collect())),
        status: Set("open".into()),
        created_at: Set(to_ms(now)),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        target_group_id: Set(target_group_id),
        resolution: Set(None),
        target_item_id: Set(target_item(report.target)),
    };
    Ok(report_of(row.insert(db).await?))
}

/// A report by id.
pub async fn find_report(
    db: &impl ConnectionTrait,
    id: ReportId,
) -> Result<Option<Report>, StoreError> {
    Ok(reports::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(report_of))
}

/// `reporter`'s open report on `target`, if any (a second report on it is the same one).
pub async fn find_open_report_by(
    db: &impl ConnectionTrait,
    reporter: UserId,
    target: Target,
) -> Result<Option<Report>, StoreError> {
    use sea_orm::ColumnTrait;
    let (kind, conversation_id, seq, user, group) = target_columns(target, None);
    let mut q = reports::Entity::find()
        .filter(reports::Column::ReporterId.eq(reporter.0))
        .filter(reports::Column::Status.eq("open"))
        .filter(reports::Column::Kind.eq(kind));
    q = match target {
        Target::Message(..) => q
            .filter(reports::Column::ConversationId.eq(conversation_id))
            .filter(reports::Column::Seq.eq(seq)),
        Target::User(_) => q.filter(reports::Column::TargetUserId.eq(user)),
        Target::Group(_) => q.filter(reports::Column::TargetGroupId.eq(group)),
        Target::Moment(_) | Target::MomentComment(_) => {
            q.filter(reports::Column::TargetItemId.eq(target_item(target)))
        }
    };
    Ok(q.one(db).await?.map(report_of))
}

/// Open reports, oldest first, after `after` (a report id cursor), at most `limit`.
pub async fn list_open_reports(
    db: &impl ConnectionTrait,
    after: Option<ReportId>,
    limit: u64,
) -> Result<Vec<Report>, StoreError> {
    use sea_orm::ColumnTrait;
    let mut q = reports::Entity::find().filter(reports::Column::Status.eq("open"));
    if let Some(a) = after {
        q = q.filter(reports::Column::Id.gt(a.0));
    }
    Ok(q.order_by_asc(reports::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(report_of)
        .collect())
}

/// Decides an open report (`upheld` or `dismissed`); `false` if it was no longer open (the
/// conditional update is the claim: of two reviewers racing, one wins).
pub async fn decide_report(
    db: &impl ConnectionTrait,
    id: ReportId,
    status: &str,
    resolution: Option<&str>,
    reviewer: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    use sea_orm::ColumnTrait;
    use sea_orm::sea_query::Expr;
    let r = reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value(status))
        .col_expr(
            reports::Column::Resolution,
            Expr::value(resolution.map(str::to_owned)),
        )
        .col_expr(reports::Column::ReviewedBy, Expr::value(reviewer.0))
        .col_expr(reports::Column::ReviewedAt, Expr::value(to_ms(now)))
        .filter(reports::Column::Id.eq(id.0))
        .filter(reports::Column::Status.eq("open"))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Puts a decided report back in the queue (its action could not be carried out).
pub async fn reopen_report(db: &impl ConnectionTrait, id: ReportId) -> Result<(), StoreError> {
    use sea_orm::ColumnTrait;
    use sea_orm::sea_query::Expr;
    reports::Entity::update_many()
        .col_expr(reports::Column::Status, Expr::value("open"))
        .col_expr(
            reports::Column::Resolution,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            reports::Column::ReviewedBy,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            reports::Column::ReviewedAt,
            Expr::value(Option::<i64>::None),
        )
        .filter(reports::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// A site-wide mute as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMute {
    /// Who.
    pub user_id: UserId,
    /// Until when; `None`: permanently.
    pub until: Option<DateTime<Utc>>,
    /// The administrator.
    pub by: UserId,
    /// The report it upheld, if any.
    pub report: Option<ReportId>,
}

impl UserMute {
    /// Whether it is in force at `now`.
    pub fn in_force(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| u > now)
    }
}

/// Sets (or replaces) a user's site-wide mute.
pub async fn set_user_mute(
    db: &DatabaseConnection,
    mute: &UserMute,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::TransactionTrait;
    // Delete + insert in one transaction: the same statements on both databases (no
    // dialect-specific upsert), and the primary key serialises two admins racing.
    let txn = db.begin().await?;
    user_mutes::Entity::delete_by_id(mute.user_id.0)
        .exec(&txn)
        .await?;
    user_mutes::ActiveModel {
        user_id: Set(mute.user_id.0),
        until: Set(mute.until.map(to_ms)),
        created_by: Set(mute.by.0),
        report_id: Set(mute.report.map(|r| r.0)),
        created_at: Set(to_ms(now)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A user's site-wide mute row (in force or expired).
pub async fn find_user_mute(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Option<UserMute>, StoreError> {
    Ok(user_mutes::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map(|m| UserMute {
            user_id: UserId(m.user_id),
            until: m.until.map(from_ms),
            by: UserId(m.created_by),
            report: m.report_id.map(ReportId),
        }))
}

/// Lifts a user's site-wide mute; `false` if there was none.
pub async fn delete_user_mute(db: &impl ConnectionTrait, user: UserId) -> Result<bool, StoreError> {
    let r = user_mutes::Entity::delete_by_id(user.0).exec(db).await?;
    Ok(r.rows_affected > 0)
}
