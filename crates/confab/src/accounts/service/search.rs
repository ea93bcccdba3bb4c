//! User search: by id, by an exact username / email / phone (only where its owner allows
//! being found by it), or by part of a nickname.

use confab_proto::accounts::{Page, UserOut, UserSearchQuery};
use confab_proto::ids::UserId;

use crate::accounts::error::AccountsError;
use crate::accounts::hooks;
use crate::accounts::model::{self, User};
use crate::accounts::store::{self, Taken};
use crate::error::ApiError;
use crate::state::AppState;

/// A search query, checked: the text, the page size and where the page starts.
struct Query<'a> {
    text: &'a str,
    limit: u32,
    after: Option<UserId>,
}

impl<'a> Query<'a> {
    fn parse(q: &'a UserSearchQuery) -> Result<Self, AccountsError> {
        let text = q.q.trim();
        if text.is_empty() || text.chars().count() > 64 || text.chars().any(char::is_control) {
            return Err(AccountsError::SearchText);
        }
        let limit = q.limit.unwrap_or(20);
        if !(1..=50).contains(&limit) {
            return Err(AccountsError::SearchLimit);
        }
        let after = q
            .cursor
            .as_deref()
            .map(|c| c.parse::<UserId>().map_err(|_| AccountsError::SearchCursor))
            .transpose()?;
        Ok(Self { text, limit, after })
    }

    /// The exact fields the text could be.
    fn exact(&self) -> Vec<(Taken, String)> {
        let mut exact = Vec::new();
        if let Ok(u) = model::normalize_username(self.text) {
            exact.push((Taken::Username, u));
        }
        if let Ok(e) = model::normalize_email(self.text) {
            exact.push((Taken::Email, e));
        }
        if let Ok(p) = model::normalize_phone(self.text) {
            exact.push((Taken::Phone, p));
        }
        exact
    }
}

/// Searches users for `viewer`: an id, an exact username / email / phone (only where that
/// user allows being found by it), or part of a nickname. Users who block the viewer are
/// left out; each result carries the viewer's relation to it.
pub async fn search(
    state: &AppState,
    viewer: UserId,
    q: UserSearchQuery,
) -> Result<Page<UserOut>, ApiError> {
    let query = Query::parse(&q)?;
    let exact = query.exact();
    let exact_id = query.text.parse::<UserId>().ok();
    let (hits, fuzzy) = store::search_users(
        state.store.reader(),
        query.text,
        &exact,
        exact_id,
        query.after,
        u64::from(query.limit),
    )
    .await?;
    let next_cursor = (fuzzy.len() == query.limit as usize)
        .then(|| fuzzy.last().map(|u| u.id.to_string()))
        .flatten();
    let mut items: Vec<UserOut> = Vec::with_capacity(hits.len() + fuzzy.len());
    for u in hits {
        if findable(state, viewer, &u, &exact, exact_id).await? {
            items.push(u.public());
        }
    }
    for u in fuzzy {
        if !items.iter().any(|i| i.id == u.id) {
            items.push(u.public());
        }
    }
    let items = hooks::discovery(state)?
        .annotate(state, viewer, items)
        .await?;
    Ok(Page { items, next_cursor })
}

/// Whether an exact hit may be shown: by id always; by an exact field only if its owner
/// allows it (social's setting).
async fn findable(
    state: &AppState,
    viewer: UserId,
    u: &User,
    exact: &[(Taken, String)],
    exact_id: Option<UserId>,
) -> Result<bool, ApiError> {
    let p = hooks::discovery(state)?.findable(state, u.id).await?;
    let by = |field: Taken, value: Option<&str>| {
        exact
            .iter()
            .any(|(f, v)| *f == field && Some(v.as_str()) == value)
    };
    Ok(exact_id == Some(u.id)
        || u.id == viewer
        || (p.by_username && by(Taken::Username, Some(&u.username)))
        || (p.by_email && by(Taken::Email, u.email.as_deref()))
        || (p.by_phone && by(Taken::Phone, u.phone.as_deref())))
}
