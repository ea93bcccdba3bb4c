//! The moderation feature's SQL: admin-managed sensitive words and reports.

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, ReportId, UserId};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
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
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Id.
    pub id: ReportId,
    /// What it is about.
    pub target: Target,
    /// Who filed it; `None` for the system (the sensitive-word filter).
    pub reporter: Option<UserId>,
    /// Why.
    pub reason: String,
    /// The reported content as it was, at most 500 characters.
    pub excerpt: Option<String>,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// A report to file.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// What it is about.
    pub target: Target,
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
    let target = match (m.kind.as_str(), m.conversation_id, m.seq, m.target_user_id) {
        ("message", Some(c), Some(s), _) => Target::Message(ConversationId(c), s),
        (_, _, _, Some(u)) => Target::User(UserId(u)),
        _ => Target::Message(ConversationId(m.conversation_id.unwrap_or_default()), 0),
    };
    Report {
        id: ReportId(m.id),
        target,
        reporter: m.reporter_id.map(UserId),
        reason: m.reason,
        excerpt: m.excerpt,
        status: m.status,
        created_at: from_ms(m.created_at),
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
    let (kind, conversation_id, seq, target_user_id) = match report.target {
        Target::Message(c, s) => ("message", Some(c.0), Some(s), None),
        Target::User(u) => ("user", None, None, Some(u.0)),
    };
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
    };
    Ok(report_of(row.insert(db).await?))
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
