//! The writer's statements, built for the batch (and, where the dialects differ, for the
//! backend): one function per statement of [`super::batch`], each answering its SQL and its
//! values in placeholder order.

use std::collections::BTreeMap;

use sea_orm::{DatabaseBackend, Value};

use crate::infra::store::to_ms;
use crate::messaging::store::Message;

/// A statement: its SQL and its values in placeholder order.
pub(super) type Sql = (String, Vec<Value>);

/// `(?, ?, …)` with `n` placeholders.
pub(super) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3 + 2);
    s.push('(');
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s.push(')');
    s
}

/// Step 1's statement: the conversations' newest seqs, locked (`FOR UPDATE`, ascending, so
/// two MySQL nodes' batches cannot deadlock each other; SQLite's transaction is the lock).
pub(super) fn lock_sql(backend: DatabaseBackend, conv_ids: &[i64]) -> Sql {
    let lock = if backend == DatabaseBackend::MySql {
        " ORDER BY id FOR UPDATE"
    } else {
        " ORDER BY id"
    };
    let sql = format!(
        "SELECT id, last_seq FROM conversations WHERE id IN {}{lock}",
        placeholders(conv_ids.len())
    );
    (sql, conv_ids.iter().map(|v| (*v).into()).collect())
}

/// The columns of a stored message, in the order [`insert_sql`] writes them and step 2 reads
/// them.
const MESSAGE_COLUMNS: &str = "conversation_id, seq, id, sender_id, client_msg_id, kind, body, \
     reply_to, mentions, edited_at, recalled_at, created_at";

/// Step 2's statement: the messages stored under any of the (sender, client id) pairs.
pub(super) fn stored_sql<'a>(pairs: impl Iterator<Item = (i64, &'a str)>) -> Sql {
    let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE ");
    let mut vals = Vec::new();
    for (k, (sender, client_id)) in pairs.enumerate() {
        if k > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str("(sender_id = ? AND client_msg_id = ?)");
        vals.extend([sender.into(), client_id.into()]);
    }
    (sql, vals)
}

/// Step 3's statement: which of the (conversation, user) pairs are active members.
pub(super) fn active_senders_sql(pairs: &[(i64, i64)]) -> Sql {
    let mut sql = String::from("SELECT conversation_id, user_id FROM conversation_members WHERE (");
    let mut vals = Vec::with_capacity(pairs.len() * 2);
    for (k, (c, u)) in pairs.iter().enumerate() {
        if k > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str("(conversation_id = ? AND user_id = ?)");
        vals.extend([(*c).into(), (*u).into()]);
    }
    sql.push_str(") AND left_seq IS NULL");
    (sql, vals)
}

/// Step 5's statement: every new message in one multi-row `INSERT`.
pub(super) fn insert_sql(rows: &[Message]) -> Sql {
    let mut sql = format!("INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES ");
    let mut vals: Vec<Value> = Vec::with_capacity(rows.len() * 12);
    for (k, m) in rows.iter().enumerate() {
        sql.push_str(if k > 0 { ", " } else { "" });
        sql.push_str("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        vals.extend([
            m.conversation_id.0.into(),
            m.seq.into(),
            m.id.0.into(),
            m.sender_id.0.into(),
            m.client_msg_id.clone().into(),
            m.kind.clone().into(),
            m.body.clone().into(),
            m.reply_to.into(),
            m.mentions.clone().into(),
            m.edited_at.map(to_ms).into(),
            m.recalled_at.map(to_ms).into(),
            to_ms(m.created_at).into(),
        ]);
    }
    (sql, vals)
}

/// The attachments' statement: (file, conversation, seq) rows of `message_files`.
pub(super) fn attachments_sql(refs: &[(i64, i64, i64)]) -> Sql {
    let mut sql = String::from("INSERT INTO message_files (file_id, conversation_id, seq) VALUES ");
    let mut vals: Vec<Value> = Vec::with_capacity(refs.len() * 3);
    for (k, (f, c, s)) in refs.iter().enumerate() {
        sql.push_str(if k > 0 { ", (?, ?, ?)" } else { "(?, ?, ?)" });
        vals.extend([(*f).into(), (*c).into(), (*s).into()]);
    }
    (sql, vals)
}

/// The un-hiding statement: the conversations' hidden rows shown again.
pub(super) fn unhide_sql<'a>(
    conv_ids: impl ExactSizeIterator<Item = &'a i64>,
    created: i64,
) -> Sql {
    let mut vals: Vec<Value> = vec![false.into(), created.into()];
    let sql = format!(
        "UPDATE conversation_members SET hidden = ?, updated_at = ? \
         WHERE conversation_id IN {} AND hidden = ?",
        placeholders(conv_ids.len())
    );
    vals.extend(conv_ids.map(|c| (*c).into()));
    vals.push(true.into());
    (sql, vals)
}

/// Step 4's statement: every touched conversation's `last_seq` set to its new newest seq.
/// On SQLite, a join with a `VALUES` list (one probe per conversation); on MySQL, one
/// `CASE` (MySQL's multi-table UPDATE syntax differs, and its statement costs are dominated
/// by the round trip anyway).
pub(super) fn allocate_sql(
    backend: DatabaseBackend,
    next_seq: &BTreeMap<i64, i64>,
    created: i64,
) -> Sql {
    let mut vals: Vec<Value> = Vec::with_capacity(next_seq.len() * 3 + 1);
    if backend == DatabaseBackend::Sqlite {
        let mut sql = String::from(
            "UPDATE conversations SET last_seq = v.column2, last_message_at = ? FROM (VALUES ",
        );
        vals.push(created.into());
        for (k, (c, s)) in next_seq.iter().enumerate() {
            sql.push_str(if k > 0 { ", (?, ?)" } else { "(?, ?)" });
            vals.extend([(*c).into(), (*s).into()]);
        }
        sql.push_str(") AS v WHERE conversations.id = v.column1");
        return (sql, vals);
    }
    let mut sql = String::from("UPDATE conversations SET last_seq = CASE id");
    for (c, s) in next_seq {
        sql.push_str(" WHEN ? THEN ?");
        vals.push((*c).into());
        vals.push((*s).into());
    }
    sql.push_str(" ELSE last_seq END, last_message_at = ? WHERE id IN ");
    vals.push(created.into());
    sql.push_str(&placeholders(next_seq.len()));
    vals.extend(next_seq.keys().map(|c| (*c).into()));
    (sql, vals)
}

/// Step 6's statement: each sender's read mark set to (and recv mark raised to) its own
/// newest message. Exactly the senders' rows are touched, one primary-key probe each: on
/// SQLite by a join with a `VALUES` list, on MySQL by `OR`ed pairs and a `CASE` per mark.
pub(super) fn own_marks_sql(
    backend: DatabaseBackend,
    own_newest: &BTreeMap<(i64, i64), i64>,
    created: i64,
) -> Sql {
    let mut vals: Vec<Value> = Vec::with_capacity(own_newest.len() * 7 + 1);
    if backend == DatabaseBackend::Sqlite {
        let mut sql = String::from(
            "UPDATE conversation_members SET read_seq = v.column3, \
             recv_seq = MAX(recv_seq, v.column3), updated_at = ? FROM (VALUES ",
        );
        vals.push(created.into());
        for (k, ((c, u), s)) in own_newest.iter().enumerate() {
            sql.push_str(if k > 0 { ", (?, ?, ?)" } else { "(?, ?, ?)" });
            vals.extend([(*c).into(), (*u).into(), (*s).into()]);
        }
        sql.push_str(
            ") AS v WHERE conversation_members.conversation_id = v.column1 \
             AND conversation_members.user_id = v.column2",
        );
        return (sql, vals);
    }
    let mut sql = String::from("UPDATE conversation_members SET read_seq = CASE");
    for ((c, u), s) in own_newest {
        sql.push_str(" WHEN conversation_id = ? AND user_id = ? THEN ?");
        vals.extend([(*c).into(), (*u).into(), (*s).into()]);
    }
    sql.push_str(" ELSE read_seq END, recv_seq = CASE");
    for ((c, u), s) in own_newest {
        sql.push_str(" WHEN conversation_id = ? AND user_id = ? AND recv_seq < ? THEN ?");
        vals.extend([(*c).into(), (*u).into(), (*s).into(), (*s).into()]);
    }
    sql.push_str(" ELSE recv_seq END, updated_at = ? WHERE ");
    vals.push(created.into());
    for (k, (c, u)) in own_newest.keys().enumerate() {
        if k > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str("(conversation_id = ? AND user_id = ?)");
        vals.extend([(*c).into(), (*u).into()]);
    }
    (sql, vals)
}
