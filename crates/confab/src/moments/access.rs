//! Who may see a moment, decided at read time on every path (feed, a user's page, one
//! moment, likes, comments, media downloads, notifications), from the relation *now*: an
//! unfriend, a block, a new hide or a retagged friend changes what is seen at once.
//!
//! The rule, for viewer V and a moment by author A:
//! - a moment hidden by a moderator: A only;
//! - V = A: everything;
//! - V and A block each other (either way): nothing;
//! - V is A's friend: nothing when A hides their moments from V; else `public` and
//!   `friends` moments, `only` moments whose list names V or a tag A gave V, `except`
//!   moments whose list names neither; never `private`;
//! - anyone else (strangers, ex-friends): `public` moments within A's stranger range.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use confab_proto::ids::UserId;
use confab_proto::moments::Visibility;

use super::model::{Post, range_start};
use super::store::settings;
use crate::error::ApiError;
use crate::state::AppState;

/// How the viewer stands to an author.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The viewer is the author.
    Me,
    /// Friends, no block, not hidden from.
    Friend,
    /// A friend the author hides their moments from.
    HiddenFrom,
    /// Not friends, no block.
    Stranger,
    /// A block either way.
    Blocked,
}

/// What the viewer knows of one author, loaded once per author per request.
#[derive(Debug, Clone)]
struct AuthorView {
    relation: Relation,
    /// The author's tags for the viewer (friends only; loaded when a list needs them).
    tags: Option<Vec<String>>,
    /// The oldest moment a stranger may see (strangers only; loaded once).
    range_start: Option<Option<DateTime<Utc>>>,
}

/// One viewer's visibility decisions within a request (a cache per author).
pub struct Lens<'a> {
    state: &'a AppState,
    /// The viewer.
    pub viewer: UserId,
    authors: HashMap<UserId, AuthorView>,
}

impl<'a> Lens<'a> {
    /// A lens for `viewer`.
    pub fn new(state: &'a AppState, viewer: UserId) -> Self {
        Self {
            state,
            viewer,
            authors: HashMap::new(),
        }
    }

    /// Records an author's relation already known to the caller (the feed knows its
    /// friends and who hides from the viewer).
    pub fn know(&mut self, author: UserId, relation: Relation) {
        self.authors.insert(
            author,
            AuthorView {
                relation,
                tags: None,
                range_start: None,
            },
        );
    }

    /// How the viewer stands to `author` now.
    pub async fn relation(&mut self, author: UserId) -> Result<Relation, ApiError> {
        if let Some(v) = self.authors.get(&author) {
            return Ok(v.relation);
        }
        let r = relation_now(self.state, self.viewer, author).await?;
        self.know(author, r);
        Ok(r)
    }

    /// The author's tags for the viewer.
    async fn tags(&mut self, author: UserId) -> Result<Vec<String>, ApiError> {
        if let Some(AuthorView { tags: Some(t), .. }) = self.authors.get(&author) {
            return Ok(t.clone());
        }
        let t = crate::social::service::friend_tags(self.state, author, self.viewer)
            .await?
            .unwrap_or_default();
        if let Some(v) = self.authors.get_mut(&author) {
            v.tags = Some(t.clone());
        }
        Ok(t)
    }

    /// Whether the viewer may see `post` now.
    pub async fn may_see(&mut self, post: &Post) -> Result<bool, ApiError> {
        let relation = self.relation(post.author).await?;
        if post.hidden && relation != Relation::Me {
            return Ok(false);
        }
        Ok(match relation {
            Relation::Me => true,
            Relation::Blocked | Relation::HiddenFrom => false,
            Relation::Friend => match post.visibility {
                Visibility::Public | Visibility::Friends => true,
                Visibility::Private => false,
                Visibility::Only => self.listed(post).await?,
                Visibility::Except => !self.listed(post).await?,
            },
            Relation::Stranger => {
                post.visibility == Visibility::Public && self.in_range(post).await?
            }
        })
    }

    /// Whether the moment's list names the viewer, by id or by a tag the author gave them.
    async fn listed(&mut self, post: &Post) -> Result<bool, ApiError> {
        if post.audience_users.contains(&self.viewer) {
            return Ok(true);
        }
        if post.audience_tags.is_empty() {
            return Ok(false);
        }
        let tags = self.tags(post.author).await?;
        Ok(post.audience_tags.iter().any(|t| tags.contains(t)))
    }

    /// Whether a stranger may still see the moment under its author's range.
    async fn in_range(&mut self, post: &Post) -> Result<bool, ApiError> {
        let cached = self.authors.get(&post.author).and_then(|v| v.range_start);
        let start = match cached {
            Some(start) => start,
            None => {
                let s = settings::find(self.state.store.reader(), post.author).await?;
                let start = range_start(s.stranger_range, self.state.clock.now());
                if let Some(v) = self.authors.get_mut(&post.author) {
                    v.range_start = Some(start);
                }
                start
            }
        };
        Ok(start.is_none_or(|start| post.created_at >= start))
    }
}

/// How `viewer` stands to `author` now (social's relation plus the author's hide list).
pub async fn relation_now(
    state: &AppState,
    viewer: UserId,
    author: UserId,
) -> Result<Relation, ApiError> {
    if viewer == author {
        return Ok(Relation::Me);
    }
    if crate::social::service::is_blocked_either_way(state, viewer, author).await? {
        return Ok(Relation::Blocked);
    }
    if !crate::social::service::are_friends(state, viewer, author).await? {
        return Ok(Relation::Stranger);
    }
    let hidden = settings::hiding_from(state.store.reader(), viewer, &[author])
        .await?
        .contains(&author);
    Ok(if hidden {
        Relation::HiddenFrom
    } else {
        Relation::Friend
    })
}

/// Whose likes and comments on `post` the viewer sees: `None` for its author (everyone's),
/// else the viewer and the viewer's friends.
pub async fn visible_people(
    state: &AppState,
    viewer: UserId,
    post: &Post,
) -> Result<Option<Vec<UserId>>, ApiError> {
    if viewer == post.author {
        return Ok(None);
    }
    let mut people = crate::social::service::active_friend_ids(state, viewer).await?;
    people.push(viewer);
    Ok(Some(people))
}
