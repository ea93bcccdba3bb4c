//! The one migration set has the same effect on SQLite and on MariaDB.

use std::collections::BTreeSet;

use confab::config::{Config, Dsn};
use confab::infra::store::Store;
use sea_orm::{ConnectionTrait, Statement};

use crate::harness::*;

type Schema = (BTreeSet<(String, String, bool)>, BTreeSet<String>);

async fn schema_of(store: &Store) -> Schema {
    let db = store.reader();
    let backend = store.backend();
    let (cols_sql, idx_sql) = match store.kind() {
        "sqlite" => (
            "SELECT m.name AS t, p.name AS c, p.\"notnull\" AS nn FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            "SELECT name AS i FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        ),
        _ => (
            "SELECT table_name AS t, column_name AS c, CASE is_nullable WHEN 'NO' THEN 1 ELSE 0 END AS nn \
             FROM information_schema.columns WHERE table_schema = DATABASE()",
            "SELECT DISTINCT index_name AS i FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY'",
        ),
    };
    let mut cols = BTreeSet::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, cols_sql))
        .await
        .unwrap()
    {
        let nn: i64 = row.try_get("", "nn").unwrap();
        cols.insert((
            row.try_get("", "t").unwrap(),
            row.try_get("", "c").unwrap(),
            nn == 1,
        ));
    }
    let mut idx = BTreeSet::new();
    for row in db
        .query_all_raw(Statement::from_string(backend, idx_sql))
        .await
        .unwrap()
    {
        idx.insert(row.try_get("", "i").unwrap());
    }
    (cols, idx)
}

#[tokio::test]
async fn migrations_have_the_same_effect_on_sqlite_and_mariadb() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let sqlite = Store::connect(&config).await.unwrap();
    sqlite.migrate().await.unwrap();
    // Applying again is a no-op.
    sqlite.migrate().await.unwrap();
    let (sqlite_cols, sqlite_idx) = schema_of(&sqlite).await;
    assert!(
        sqlite_cols
            .iter()
            .any(|(t, c, _)| t == "users" && c == "username")
    );
    assert!(sqlite_idx.contains("ux_users_username"));

    let Some(admin) = mysql_url() else {
        eprintln!("note: CONFAB_TEST_MYSQL_URL unset: schema compared on SQLite only");
        return;
    };
    let db = TempDatabase::create(&admin).await;
    config.database.url = Dsn::new(db.url.clone());
    let mysql = Store::connect(&config).await.unwrap();
    mysql.migrate().await.unwrap();
    mysql.migrate().await.unwrap();
    let (mysql_cols, mysql_idx) = schema_of(&mysql).await;
    let only_sqlite: Vec<_> = sqlite_cols.difference(&mysql_cols).collect();
    let only_mysql: Vec<_> = mysql_cols.difference(&sqlite_cols).collect();
    assert!(
        only_sqlite.is_empty() && only_mysql.is_empty(),
        "columns differ (table, column, not-null):\n only on SQLite: {only_sqlite:?}\n only on MariaDB: {only_mysql:?}"
    );
    assert_eq!(sqlite_idx, mysql_idx, "indexes differ");
    mysql.close().await;
}

#[cfg_attr(not(confab_mysql), ignore = "set CONFAB_TEST_MYSQL_URL")]
#[tokio::test]
async fn mariadb_tables_are_utf8mb4() {
    let Some(admin) = mysql_url() else { return };
    let db = TempDatabase::create(&admin).await;
    let mut config = Config::default();
    config.database.url = Dsn::new(db.url.clone());
    let store = Store::connect(&config).await.unwrap();
    store.migrate().await.unwrap();
    let rows = store
        .reader()
        .query_all_raw(Statement::from_string(
            store.backend(),
            "SELECT table_name AS t, table_collation AS c FROM information_schema.tables WHERE table_schema = DATABASE()",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let t: String = row.try_get("", "t").unwrap();
        let c: String = row.try_get("", "c").unwrap();
        if t == "seaql_migrations" {
            continue;
        }
        assert!(c.starts_with("utf8mb4"), "{t} has collation {c}");
    }
    store.close().await;
}

/// SQLite's WAL is checkpointed by the store's own checkpointer connection, not inside the
/// writer's commits: the writer's automatic checkpoint is raised to a backstop, so a few
/// thousand pages of writes stay in the WAL until `checkpoint` copies them all back.
#[tokio::test]
async fn sqlite_wal_is_checkpointed_off_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    let store = Store::connect(&config).await.unwrap();
    let w = store.writer();
    w.execute_unprepared("CREATE TABLE wal_probe (id INTEGER PRIMARY KEY, pad BLOB)")
        .await
        .unwrap();
    // ~2,000 pages: past SQLite's default autocheckpoint (1,000), under the backstop.
    for i in 0..500 {
        w.execute_unprepared(&format!(
            "INSERT INTO wal_probe (id, pad) VALUES ({i}, randomblob(16000))"
        ))
        .await
        .unwrap();
    }
    let wal = dir.path().join("confab.db-wal");
    let before = std::fs::metadata(&wal).unwrap().len();
    assert!(
        before > 8 * 1024 * 1024,
        "the writer checkpointed by itself: WAL is only {before} bytes"
    );
    let (log, copied) = store.checkpoint().await.unwrap().expect("SQLite has a WAL");
    assert!(log >= 1_900, "WAL frames: {log}");
    assert_eq!(
        copied, log,
        "a passive checkpoint with no reader copies every frame"
    );
    // The next write starts the WAL again from its beginning (its size stays, reused).
    w.execute_unprepared("INSERT INTO wal_probe (id, pad) VALUES (10000, x'00')")
        .await
        .unwrap();
    let (log, _) = store.checkpoint().await.unwrap().unwrap();
    assert!(
        log < 10,
        "the WAL restarted after the checkpoint: {log} frames"
    );
}
