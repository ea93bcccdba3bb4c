//! The fault suite of issue 19 (R1–R7 of the reliability catalogue; docs/reliability.md maps
//! each to its test with the figures). Every test ends with the one shared [`checker`], which
//! reads the store directly and each client's received log ([`device`]).
//!
//! Sizes: the default run is scaled to stay reasonable on a loaded 2-core machine;
//! `CONFAB_TEST_HEAVY=1` runs the catalogue's full sizes (R1 over 20 seeds of 10,000 sends,
//! R3 with 20 senders × 500 to 50 members, …), see docs/testing.md and decision 0028.

pub mod checker;
pub mod device;

mod crash;
mod database;
mod order;
mod redis;
mod retries;
mod selftest;
mod slow;
mod storm;

/// Whether `CONFAB_TEST_HEAVY=1` asked for the catalogue's full sizes.
pub fn heavy() -> bool {
    std::env::var("CONFAB_TEST_HEAVY").is_ok_and(|v| v == "1" || v == "true")
}

/// `light` in the default run, `full` under `CONFAB_TEST_HEAVY=1`.
pub fn scale(light: usize, full: usize) -> usize {
    if heavy() { full } else { light }
}

/// Lifts the per-address limits for a test that signs up and connects many users from one
/// loopback address (those limits have their own tests: slow_clients, accounts).
pub fn many_users(c: &mut confab::config::Config) {
    c.auth.attempts_per_ip_per_minute = 10_000;
    c.http.max_connections_per_ip = 0;
}

/// `n` users named `{prefix}{i}` and an open group `name` that the first created and all the
/// others joined.
pub async fn users_in_group(
    app: &crate::harness::TestApp,
    prefix: &str,
    n: usize,
    name: &str,
) -> (
    Vec<crate::harness::TestUser>,
    confab_proto::groups::GroupOut,
) {
    let mut users = Vec::new();
    for i in 0..n {
        users.push(app.user(&format!("{prefix}{i}")).await);
    }
    let g = crate::groups::open_group(&users[0], name).await;
    for u in &users[1..] {
        u.client.join_group(g.id, None).await.unwrap();
    }
    (users, g)
}

/// A device for each user, started and caught up with `conv` as it is now: `conv`'s last
/// seq then, and the devices.
pub async fn devices_caught_up(
    users: &[crate::harness::TestUser],
    conv: confab_proto::ids::ConversationId,
) -> (i64, Vec<device::Device>) {
    let base = users[0].client.conversation(conv).await.unwrap().last_seq;
    let devices: Vec<device::Device> = users
        .iter()
        .map(|u| device::Device::start(u.id(), u.client.clone()))
        .collect();
    for d in &devices {
        d.wait_for(conv, base, std::time::Duration::from_secs(60))
            .await;
    }
    (base, devices)
}
