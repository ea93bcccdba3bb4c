//! The writer's statements whose SQL is built for the batch (and, where the dialects
//! differ, for the backend): placeholders, seq allocation, the senders' own marks.

use std::collections::BTreeMap;

use sea_orm::DatabaseBackend;

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

/// Step 4's statement: every touched conversation's `last_seq` set to its new newest seq.
/// On SQLite, a join with a `VALUES` list (one probe per conversation); on MySQL, one
/// `CASE` (MySQL's multi-table UPDATE syntax differs, and its statement costs are dominated
/// by the round trip anyway).
pub(super) fn allocate_sql(
    backend: DatabaseBackend,
    next_seq: &BTreeMap<i64, i64>,
    created: i64,
) -> (String, Vec<sea_orm::Value>) {
    let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(next_seq.len() * 3 + 1);
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
) -> (String, Vec<sea_orm::Value>) {
    let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(own_newest.len() * 7 + 1);
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
