//! Rebuilds the crate when a file under `web/` is added, changed or removed (the web client
//! is compiled into the binary, `src/web.rs`), and tells the integration tests which
//! optional backends (and tools) this build may reach, so a variant that cannot run is reported as
//! *ignored* rather than as a pass that did nothing (docs/testing.md). `CI=true` turns them all on: there, a missing URL fails the run.

fn main() {
    // Set by crates/confab-web-embed, which includes src/web/files.rs.
    println!("cargo::rustc-check-cfg=cfg(confab_embed_check)");
    for cfg in [
        "confab_mysql",
        "confab_redis",
        "confab_s3",
        "confab_schemathesis",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    for var in [
        "CI",
        "CONFAB_TEST_MYSQL_URL",
        "CONFAB_TEST_REDIS_URL",
        "CONFAB_TEST_S3_URL",
        "CONFAB_TEST_SCHEMATHESIS",
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=web");
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    for (cfg, var) in [
        ("confab_mysql", "CONFAB_TEST_MYSQL_URL"),
        ("confab_redis", "CONFAB_TEST_REDIS_URL"),
        ("confab_s3", "CONFAB_TEST_S3_URL"),
        ("confab_schemathesis", "CONFAB_TEST_SCHEMATHESIS"),
    ] {
        if ci || set(var) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
