//! Moderation rules: loading and changing the word list (the admin API and the CLI call
//! these), and moderation's runtime state.

use confab_proto::ids::UserId;

use super::filter::{self, Handle, normalise_word};
use super::store::{self, UserMute};
use crate::config::Config;
use crate::error::ApiError;
use crate::infra::store::Store;
use crate::push::Control;
use crate::rulecache::RuleCache;
use crate::state::AppState;

/// Moderation's runtime state on this node.
pub struct Runtime {
    /// The sensitive-word filter in force (swapped whole on a change).
    pub(super) filter: Handle,
    /// Users' site-wide mute rows, for the send path (`rulecache`).
    pub(super) site_mutes: RuleCache<UserId, Option<UserMute>>,
}

/// Moderation's runtime state.
pub(super) fn runtime(state: &AppState) -> &Runtime {
    state.slot::<Runtime>()
}

/// Reloads the word list when it changed anywhere (or may have: a bus gap, start-up).
pub struct WordsHandler;

#[async_trait::async_trait]
impl crate::push::ControlHandler for WordsHandler {
    async fn apply(&self, state: &AppState, msg: &Control) {
        // Applied before `publish` returns on this node, so the change holds here at once.
        if *msg == Control::SensitiveWordsChanged {
            reload(state).await;
        }
    }

    async fn gap(&self, state: &AppState) {
        reload(state).await;
    }
}

/// Builds the node's filter at start-up from the words file and the table. A file that
/// cannot be read stops start-up, naming the key.
pub async fn load(config: &Config, db: &Store) -> anyhow::Result<Runtime> {
    let path = &config.moderation.words_file;
    let file_words = if path.is_empty() {
        Vec::new()
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::anyhow!("config error: `moderation.words_file` cannot be read ({path}): {e}")
        })?;
        filter::parse_words_file(&text)
    };
    let table_words = store::list_words(db.writer()).await?;
    let handle = Handle::new(file_words, &table_words)?;
    tracing::info!(words = handle.get().len(), "sensitive-word filter loaded");
    Ok(Runtime {
        filter: handle,
        site_mutes: RuleCache::default(),
    })
}

/// Re-reads the table and swaps in a new filter (on a control message, or a bus gap).
pub async fn reload(state: &AppState) {
    let words = match store::list_words(state.store.writer()).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "sensitive words not reloaded; the previous list stays");
            return;
        }
    };
    if let Err(e) = runtime(state).filter.rebuild(&words) {
        tracing::error!(error = %e, "sensitive-word filter not rebuilt; the previous one stays");
    }
}

fn bad_word() -> ApiError {
    ApiError::invalid(
        "word",
        format!(
            "word: 1 to {} letters once case, width and separators are set aside",
            filter::MAX_WORD_CHARS
        ),
    )
}

/// Adds a word (normalised) and rebuilds the filter on every node; `false` if it was there.
pub async fn add_word(state: &AppState, word: &str, by: Option<UserId>) -> Result<bool, ApiError> {
    let word = normalise_word(word).ok_or_else(bad_word)?;
    let added = store::add_word(state.store.writer(), &word, by, state.clock.now()).await?;
    if added {
        crate::push::control::publish(state, Control::SensitiveWordsChanged).await;
    }
    Ok(added)
}

/// Every admin-managed word, normalised (the words file's are not included).
pub async fn list_words(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(store::list_words(state.store.reader()).await?)
}

/// Removes a word (given in any spelling) everywhere; `false` if it was not there.
pub async fn remove_word(state: &AppState, word: &str) -> Result<bool, ApiError> {
    let word = normalise_word(word).ok_or_else(bad_word)?;
    let removed = store::remove_word(state.store.writer(), &word).await?;
    if removed {
        crate::push::control::publish(state, Control::SensitiveWordsChanged).await;
    }
    Ok(removed)
}
