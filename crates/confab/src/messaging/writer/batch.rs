//! One batch's transaction: the steps of [`super`]'s list, one function each, with a fixed
//! number of statements whatever the batch's size. Each step's statement (and the order of
//! the statements) is the whole contract here: a change to either is a change to the
//! writer's locking and its cost.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use confab_proto::ids::MessageId;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, Set, Statement, TransactionTrait,
};

use super::sql::{allocate_sql, own_marks_sql, placeholders};
use super::{NewMessage, Outcome};
use crate::infra::ids::IdGen;
use crate::infra::store::{Store, from_ms, to_ms};
use crate::messaging::store::entities::{members, messages};
use crate::messaging::store::{Message, message_of};

/// Stores a batch in one transaction and says what happened to each message, in batch
/// order. Nothing is stored unless the whole transaction commits.
pub(super) async fn try_batch(
    store: &Store,
    ids: &IdGen,
    now: DateTime<Utc>,
    msgs: &[NewMessage],
) -> Result<Vec<Outcome>, DbErr> {
    let db = store.writer();
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    let last = lock_conversations(&txn, backend, msgs).await?;
    let existing = find_stored(&txn, msgs).await?;
    let active = find_active_senders(&txn, msgs).await?;
    let created = to_ms(now);
    let Plan {
        outcomes,
        next_seq,
        rows,
        own_newest,
    } = Plan::decide(ids, created, msgs, &last, &existing, &active);
    if !rows.is_empty() {
        allocate(&txn, backend, &next_seq, created).await?;
        // Step 5: store every new message in one statement.
        messages::Entity::insert_many(rows).exec(&txn).await?;
        insert_attachments(&txn, backend, msgs, &outcomes).await?;
        move_own_marks(&txn, backend, &own_newest, created).await?;
        unhide(&txn, &next_seq, created).await?;
    }
    txn.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::NotMember))
        .collect())
}

/// Step 1: locks the batch's conversations (ascending) and reads their newest seq: id →
/// `last_seq`, for those that exist.
async fn lock_conversations(
    txn: &DatabaseTransaction,
    backend: DatabaseBackend,
    msgs: &[NewMessage],
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut conv_ids: Vec<i64> = msgs.iter().map(|m| m.conversation_id.0).collect();
    conv_ids.sort_unstable();
    conv_ids.dedup();
    let lock = if backend == DatabaseBackend::MySql {
        " ORDER BY id FOR UPDATE"
    } else {
        " ORDER BY id"
    };
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, last_seq FROM conversations WHERE id IN {}{lock}",
                placeholders(conv_ids.len())
            ),
            conv_ids.iter().map(|v| (*v).into()),
        ))
        .await?;
    let mut last: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    for r in rows {
        last.insert(r.try_get("", "id")?, r.try_get("", "last_seq")?);
    }
    Ok(last)
}

/// Step 2, idempotency: what is already stored under the batch's (sender, client id) pairs.
async fn find_stored(
    txn: &DatabaseTransaction,
    msgs: &[NewMessage],
) -> Result<HashMap<(i64, String), Message>, DbErr> {
    let mut cond = sea_orm::Condition::any();
    for m in msgs {
        cond = cond.add(
            sea_orm::Condition::all()
                .add(messages::Column::SenderId.eq(m.sender_id.0))
                .add(messages::Column::ClientMsgId.eq(m.client_msg_id.as_str())),
        );
    }
    Ok(messages::Entity::find()
        .filter(cond)
        .all(txn)
        .await?
        .into_iter()
        .map(|m| ((m.sender_id, m.client_msg_id.clone()), message_of(m)))
        .collect())
}

/// Step 3, membership seen after the lock: which of the batch's (conversation, sender) pairs
/// are active members. Exactly those pairs, one primary-key probe each (`conversation IN …
/// AND user IN …` would probe every combination: 40,000 for a batch over 200 direct
/// chats).
async fn find_active_senders(
    txn: &DatabaseTransaction,
    msgs: &[NewMessage],
) -> Result<HashSet<(i64, i64)>, DbErr> {
    let mut pairs: Vec<(i64, i64)> = msgs
        .iter()
        .map(|m| (m.conversation_id.0, m.sender_id.0))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut any_pair = sea_orm::Condition::any();
    for (c, u) in pairs {
        any_pair = any_pair.add(
            sea_orm::Condition::all()
                .add(members::Column::ConversationId.eq(c))
                .add(members::Column::UserId.eq(u)),
        );
    }
    Ok(members::Entity::find()
        .filter(any_pair)
        .filter(members::Column::LeftSeq.is_null())
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id, m.user_id))
        .collect())
}

/// What a batch does, decided from what its transaction read.
struct Plan {
    /// Each message's outcome, in batch order (`None` only until it is decided).
    outcomes: Vec<Option<Outcome>>,
    /// Each touched conversation's new newest seq.
    next_seq: BTreeMap<i64, i64>,
    /// The new messages' rows, in batch order.
    rows: Vec<messages::ActiveModel>,
    /// (conversation, sender) → the sender's newest new message there.
    own_newest: BTreeMap<(i64, i64), i64>,
}

impl Plan {
    /// Decides each message: new (with its seq), duplicate, conflict, or refused. A client
    /// id sent twice within the batch is stored once; the later copy is settled against the
    /// first ([`Plan::settle_repeats`]).
    fn decide(
        ids: &IdGen,
        created: i64,
        msgs: &[NewMessage],
        last: &HashMap<i64, i64>,
        existing: &HashMap<(i64, String), Message>,
        active: &HashSet<(i64, i64)>,
    ) -> Self {
        let mut plan = Plan {
            outcomes: vec![None; msgs.len()],
            next_seq: BTreeMap::new(),
            rows: Vec::new(),
            own_newest: BTreeMap::new(),
        };
        let mut first_in_batch: HashMap<(i64, &str), usize> = HashMap::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let key = (m.sender_id.0, m.client_msg_id.clone());
            if let Some(orig) = existing.get(&key) {
                plan.outcomes[i] = Some(if same_content(orig, m) {
                    Outcome::Duplicate(orig.clone())
                } else {
                    Outcome::Conflict
                });
                continue;
            }
            if let Some(&j) = first_in_batch.get(&(m.sender_id.0, m.client_msg_id.as_str())) {
                repeats.push((i, j));
                continue;
            }
            let Some(&base) = last.get(&m.conversation_id.0) else {
                plan.outcomes[i] = Some(Outcome::NotMember);
                continue;
            };
            if !active.contains(&(m.conversation_id.0, m.sender_id.0)) {
                plan.outcomes[i] = Some(Outcome::NotMember);
                continue;
            }
            first_in_batch.insert((m.sender_id.0, m.client_msg_id.as_str()), i);
            let seq = plan.next_seq.entry(m.conversation_id.0).or_insert(base);
            *seq += 1;
            let seq = *seq;
            plan.own_newest
                .insert((m.conversation_id.0, m.sender_id.0), seq);
            let (stored, row) = new_message(m, seq, MessageId(ids.next_id()), created);
            plan.rows.push(row);
            plan.outcomes[i] = Some(Outcome::Stored(stored));
        }
        plan.settle_repeats(msgs, repeats);
        plan
    }

    /// A client id repeated within the batch (`(i, j)`: message `i` repeats message `j`)
    /// gets what the first copy got: its original when the content is the same.
    fn settle_repeats(&mut self, msgs: &[NewMessage], repeats: Vec<(usize, usize)>) {
        for (i, j) in repeats {
            self.outcomes[i] = Some(match &self.outcomes[j] {
                Some(Outcome::Stored(orig)) if same_content(orig, &msgs[i]) => {
                    Outcome::Duplicate(orig.clone())
                }
                Some(Outcome::Stored(_)) => Outcome::Conflict,
                other => other.clone().unwrap_or(Outcome::NotMember),
            });
        }
    }
}

/// A new message as stored with `seq`: the answer for its sender and the row to insert.
fn new_message(
    m: &NewMessage,
    seq: i64,
    id: MessageId,
    created: i64,
) -> (Message, messages::ActiveModel) {
    let stored = Message {
        conversation_id: m.conversation_id,
        seq,
        id,
        sender_id: m.sender_id,
        client_msg_id: m.client_msg_id.clone(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        reply_to: m.reply_to,
        mentions: m.mentions.clone(),
        edited_at: None,
        recalled_at: None,
        created_at: from_ms(created),
    };
    let row = messages::ActiveModel {
        conversation_id: Set(stored.conversation_id.0),
        seq: Set(stored.seq),
        id: Set(stored.id.0),
        sender_id: Set(stored.sender_id.0),
        client_msg_id: Set(stored.client_msg_id.clone()),
        kind: Set(stored.kind.clone()),
        body: Set(stored.body.clone()),
        reply_to: Set(stored.reply_to),
        mentions: Set(stored.mentions.clone()),
        edited_at: Set(None),
        recalled_at: Set(None),
        created_at: Set(created),
    };
    (stored, row)
}

/// Step 4, allocation: one UPDATE for every touched conversation ([`allocate_sql`]).
async fn allocate(
    txn: &DatabaseTransaction,
    backend: DatabaseBackend,
    next_seq: &BTreeMap<i64, i64>,
    created: i64,
) -> Result<(), DbErr> {
    let (sql, vals) = allocate_sql(backend, next_seq, created);
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
        .await?;
    Ok(())
}

/// Attachments: which conversation's members may download which file (one multi-row
/// `INSERT`, none when no new message carries a file).
async fn insert_attachments(
    txn: &DatabaseTransaction,
    backend: DatabaseBackend,
    msgs: &[NewMessage],
    outcomes: &[Option<Outcome>],
) -> Result<(), DbErr> {
    let mut refs = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        if let (Some(file), Some(Outcome::Stored(stored))) = (m.file, &outcomes[i]) {
            refs.push((file.0, stored.conversation_id.0, stored.seq));
        }
    }
    if refs.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO message_files (file_id, conversation_id, seq) VALUES ");
    let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(refs.len() * 3);
    for (k, (f, c, s)) in refs.iter().enumerate() {
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?)");
        vals.extend([(*f).into(), (*c).into(), (*s).into()]);
    }
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
        .await?;
    Ok(())
}

/// Step 6: a sender has read (and received) its own message ([`own_marks_sql`]).
async fn move_own_marks(
    txn: &DatabaseTransaction,
    backend: DatabaseBackend,
    own_newest: &BTreeMap<(i64, i64), i64>,
    created: i64,
) -> Result<(), DbErr> {
    let (sql, vals) = own_marks_sql(backend, own_newest, created);
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
        .await?;
    Ok(())
}

/// A hidden chat reappears for its members when a message arrives.
async fn unhide(
    txn: &DatabaseTransaction,
    next_seq: &BTreeMap<i64, i64>,
    created: i64,
) -> Result<(), DbErr> {
    members::Entity::update_many()
        .col_expr(
            members::Column::Hidden,
            sea_orm::sea_query::Expr::value(false),
        )
        .col_expr(
            members::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(created),
        )
        .filter(members::Column::ConversationId.is_in(next_seq.keys().copied().collect::<Vec<_>>()))
        .filter(members::Column::Hidden.eq(true))
        .exec(txn)
        .await?;
    Ok(())
}

/// Whether a stored message has the content a message sent with its client id carries:
/// same conversation, kind, body and reply.
fn same_content(orig: &Message, m: &NewMessage) -> bool {
    orig.conversation_id == m.conversation_id
        && orig.kind == m.kind
        && orig.body == m.body
        && orig.reply_to == m.reply_to
}
