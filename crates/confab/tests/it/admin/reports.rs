//! Reports: what a user may report (only what they can see), the snapshot kept for the
//! reviewer, the bounds on filing, and each decision — uphold with recall, mute or disable,
//! and dismiss — with its audit entry.

use confab::config::{Config, FilterAction};
use confab_proto::admin::{DismissIn, ReportIn, ReportTarget, UpholdAction, UpholdIn};
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::RecallOut;

use super::*;

fn on_message(conversation_id: ConversationId, seq: i64) -> ReportIn {
    ReportIn {
        target: ReportTarget::Message {
            conversation_id,
            seq,
        },
        reason: "abuse".into(),
    }
}

fn on_user(user_id: UserId) -> ReportIn {
    ReportIn {
        target: ReportTarget::User { user_id },
        reason: "impersonation".into(),
    }
}

fn uphold(action: UpholdAction) -> UpholdIn {
    UpholdIn {
        action,
        until: None,
        note: Some("checked".into()),
    }
}

backend_tests! {
    async fn groups_are_reported_as_seen_and_dissolved_on_uphold(app) {
        use crate::groups::group_in;
        use confab_proto::groups::{JoinPolicy, Visibility};
        let admin = app.admin("root").await;
        let owner = app.user("owner").await;
        let alice = app.user("alice").await;
        let mut public = group_in("Free Coins", Visibility::Public, JoinPolicy::Open);
        public.description = Some("send 1 coin, get 2".into());
        let g = owner.client.create_group(&public).await.unwrap();
        let hidden = owner.client.create_group(&group_in("Secret", Visibility::Private, JoinPolicy::Open)).await.unwrap();
        // A private group I am not in does not exist for me.
        let on_group = |group_id| ReportIn { target: ReportTarget::Group { group_id }, reason: "scam".into() };
        assert_eq!(code(&alice.client.report(&on_group(hidden.id)).await.unwrap_err()), (404, "not_found"));
        let r = alice.client.report(&on_group(g.id)).await.unwrap();
        // The reviewer sees the group as it was, even after a rename.
        let patch = confab_proto::groups::GroupPatch { name: Some("Totally Legit".into()), ..Default::default() };
        owner.client.update_group(g.id, &patch).await.unwrap();
        let item = admin.client.admin_reports(None, None).await.unwrap().items.remove(0);
        assert_eq!((item.excerpt.as_deref(), item.target_user_id), (Some("Free Coins — send 1 coin, get 2"), Some(owner.id())));
        // Group reports are upheld by dissolving, not by acting on a user.
        assert_eq!(code(&admin.client.uphold_report(r.id, &uphold(UpholdAction::Mute)).await.unwrap_err()), (422, "action_not_applicable"));
        let out = admin.client.uphold_report(r.id, &uphold(UpholdAction::Dissolve)).await.unwrap();
        assert_eq!(out.resolution.as_deref(), Some("dissolve"));
        assert!(owner.client.group(g.id).await.unwrap().dissolved);
        // A dissolved group cannot be reported any more.
        assert_eq!(code(&owner.client.report(&on_group(g.id)).await.unwrap_err()), (404, "not_found"));
        assert_eq!(audit_actions(&admin).await, ["report.uphold"]);
    }

    async fn users_report_only_what_they_can_see(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        bob.client.send_text(c.id, "give me your password").await.unwrap();

        let r = alice.client.report(&on_message(c.id, 1)).await.unwrap();
        assert_eq!((r.status.as_str(), r.target.clone()), ("open", ReportTarget::Message { conversation_id: c.id, seq: 1 }));
        // Again while open: the same report, nothing new.
        let again = alice.client.report(&on_message(c.id, 1)).await.unwrap();
        assert_eq!(again.id, r.id);
        // Eve is not in the chat; seq 2 does not exist; nobody reports their own message.
        assert_eq!(code(&eve.client.report(&on_message(c.id, 1)).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&alice.client.report(&on_message(c.id, 2)).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&bob.client.report(&on_message(c.id, 1)).await.unwrap_err()), (422, "cannot_target_self"));
        assert_eq!(code(&alice.client.report(&on_message(c.id, 0)).await.unwrap_err()), (422, "validation_failed"));
        // Users: anyone who exists, not myself. A group nobody can see is not found.
        eve.client.report(&on_user(bob.id())).await.unwrap();
        assert_eq!(code(&eve.client.report(&on_user(eve.id())).await.unwrap_err()), (422, "cannot_target_self"));
        assert_eq!(code(&eve.client.report(&on_user(UserId(42))).await.unwrap_err()), (404, "not_found"));
        let group = ReportIn { target: ReportTarget::Group { group_id: confab_proto::ids::GroupId(42) }, reason: "x".into() };
        // (Groups that exist: groups_are_reported_as_seen_and_dissolved_on_uphold.)
        assert_eq!(code(&eve.client.report(&group).await.unwrap_err()), (404, "not_found"));
        // Reasons are bounded.
        for reason in ["", "   ", &"x".repeat(501)] {
            let bad = ReportIn { reason: reason.into(), ..on_user(bob.id()) };
            assert_eq!(code(&alice.client.report(&bad).await.unwrap_err()), (422, "validation_failed"));
        }
        // A recalled message has nothing left to report.
        alice.client.send_text(c.id, "oops").await.unwrap();
        alice.client.recall_message(c.id, 2).await.unwrap();
        assert_eq!(code(&bob.client.report(&on_message(c.id, 2)).await.unwrap_err()), (409, "message_recalled"));
        // Anonymous callers cannot report.
        assert_eq!(code(&app.client.report(&on_user(bob.id())).await.unwrap_err()), (401, "unauthorized"));
        let open = confab::moderation::reports::list_open(&app.state, None, 100).await.unwrap();
        assert_eq!(open.len(), 2);
    }

    async fn reviewers_see_the_content_as_it_was_and_recall_it(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        bob.client.send_text(c.id, "first version").await.unwrap();
        let r = alice.client.report(&on_message(c.id, 1)).await.unwrap();
        bob.client.edit_message(c.id, 1, "innocent now").await.unwrap();

        let page = admin.client.admin_reports(None, None).await.unwrap();
        assert_eq!(page.items.len(), 1);
        let item = &page.items[0];
        assert_eq!((item.id, item.excerpt.as_deref(), item.reporter_id, item.target_user_id), (r.id, Some("first version"), Some(alice.id()), Some(bob.id())));

        let mut a_ws = alice.client.ws().await.unwrap();
        let out = admin.client.uphold_report(r.id, &uphold(UpholdAction::Recall)).await.unwrap();
        assert_eq!((out.status.as_str(), out.resolution.as_deref(), out.reviewed_by), ("upheld", Some("recall"), Some(admin.id())));
        let ev: RecallOut = expect(&mut a_ws, "message.recalled").await.decode().unwrap();
        assert_eq!((ev.conversation_id, ev.seq, ev.by), (c.id, 1, admin.id()));
        let h = alice.client.history(c.id, None, None, None).await.unwrap();
        assert!(h.messages[0].recalled_at.is_some());
        assert_eq!(h.messages[0].body, serde_json::json!({}));
        // Decided once: a second decision is refused; the queue is empty.
        assert_eq!(code(&admin.client.uphold_report(r.id, &uphold(UpholdAction::Recall)).await.unwrap_err()), (409, "report_closed"));
        assert_eq!(code(&admin.client.dismiss_report(r.id, &DismissIn::default()).await.unwrap_err()), (409, "report_closed"));
        assert!(admin.client.admin_reports(None, None).await.unwrap().items.is_empty());
        let entry = &admin.client.admin_audit(None, Some(1)).await.unwrap().items[0];
        assert_eq!((entry.action.as_str(), entry.target_id.clone()), ("report.uphold", r.id.to_string()));
        assert_eq!((entry.details["action"].as_str(), entry.details["note"].as_str()), (Some("recall"), Some("checked")));
    }

    async fn upholding_with_disable_closes_the_users_sessions(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let peer = peer_of(&app).await;
        let r = alice.client.report(&on_user(bob.id())).await.unwrap();
        let mut here = bob.client.ws().await.unwrap();
        let mut there = match &peer { Some(p) => Some(on(p, &bob).ws().await.unwrap()), None => None };
        // Actions that do not fit the target are refused, and the report stays open.
        assert_eq!(code(&admin.client.uphold_report(r.id, &uphold(UpholdAction::Recall)).await.unwrap_err()), (422, "action_not_applicable"));
        assert_eq!(code(&admin.client.uphold_report(r.id, &uphold(UpholdAction::Dissolve)).await.unwrap_err()), (422, "action_not_applicable"));
        let out = admin.client.uphold_report(r.id, &uphold(UpholdAction::Disable)).await.unwrap();
        assert_eq!(out.resolution.as_deref(), Some("disable"));
        for ws in std::iter::once(&mut here).chain(there.as_mut()) {
            expect(ws, "session.revoked").await;
            assert_eq!(ws.closed(T).await.unwrap().0, 4001);
        }
        // The old token's session is gone; signing in again is refused.
        assert_eq!(code(&bob.client.me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.login(&bob.username, PASSWORD).await.unwrap_err()), (403, "account_disabled"));
        let actions = audit_actions(&admin).await;
        assert_eq!(actions, ["report.uphold"]);
    }

    async fn upholding_with_mute_silences_the_sender_until_then(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        bob.client.send_text(c.id, "spam spam").await.unwrap();
        let r = alice.client.report(&on_message(c.id, 1)).await.unwrap();
        let until = ms(app.clock.now() + chrono::Duration::minutes(5));
        let bad = UpholdIn { until: Some(until), ..uphold(UpholdAction::Recall) };
        assert_eq!(code(&admin.client.uphold_report(r.id, &bad).await.unwrap_err()), (422, "validation_failed"));
        let mute = UpholdIn { until: Some(until), ..uphold(UpholdAction::Mute) };
        admin.client.uphold_report(r.id, &mute).await.unwrap();
        assert_eq!(code(&bob.client.send_text(c.id, "more").await.unwrap_err()), (403, "user_muted"));
        let m = confab::moderation::mutes::find_mute(&app.state, bob.id()).await.unwrap().unwrap();
        assert_eq!((m.until, m.report), (Some(until), Some(r.id)));
        app.clock.advance(chrono::Duration::minutes(6));
        let bob_client = app.client.signed_in(&app.client.login(&bob.username, PASSWORD).await.unwrap());
        bob_client.send_text(c.id, "I behave").await.unwrap();
    }

    async fn dismissing_leaves_everything_as_it_was(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let r = alice.client.report(&on_user(bob.id())).await.unwrap();
        let out = admin.client.dismiss_report(r.id, &DismissIn { note: Some("not abuse".into()) }).await.unwrap();
        assert_eq!((out.status.as_str(), out.resolution), ("dismissed", None));
        bob.client.me().await.unwrap();
        // Alice may report again: the earlier one is closed.
        let again = alice.client.report(&on_user(bob.id())).await.unwrap();
        assert_ne!(again.id, r.id);
        assert_eq!(code(&admin.client.dismiss_report(confab_proto::ids::ReportId(42), &DismissIn::default()).await.unwrap_err()), (404, "not_found"));
        let entry = &admin.client.admin_audit(None, Some(1)).await.unwrap().items[0];
        assert_eq!((entry.action.as_str(), entry.details["note"].as_str()), ("report.dismiss", Some("not abuse")));
    }

    async fn the_review_queue_pages_oldest_first_with_filter_reports(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let mut users = Vec::new();
        for i in 0..3 {
            let u = app.user(&format!("u{i}")).await;
            alice.client.report(&on_user(u.id())).await.unwrap();
            users.push(u);
        }
        let p1 = admin.client.admin_reports(None, Some(2)).await.unwrap();
        let targets: Vec<_> = p1.items.iter().map(|r| r.target_user_id).collect();
        assert_eq!(targets, [Some(users[0].id()), Some(users[1].id())]);
        let p2 = admin.client.admin_reports(p1.next_cursor.as_deref(), Some(2)).await.unwrap();
        assert_eq!(p2.items.len(), 1);
        assert!(p2.next_cursor.is_none());
        assert_eq!(code(&admin.client.admin_reports(None, Some(101)).await.unwrap_err()), (422, "validation_failed"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filing_is_bounded_per_day() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c: &mut Config| {
        c.moderation.reports_per_day = 2
    })
    .await;
    let alice = app.user("alice").await;
    let mut targets = Vec::new();
    for i in 0..3 {
        targets.push(app.user(&format!("t{i}")).await);
    }
    alice
        .client
        .report(&on_user(targets[0].id()))
        .await
        .unwrap();
    alice
        .client
        .report(&on_user(targets[1].id()))
        .await
        .unwrap();
    // Filing the same open report again does not count.
    alice
        .client
        .report(&on_user(targets[1].id()))
        .await
        .unwrap();
    let e = alice
        .client
        .report(&on_user(targets[2].id()))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (429, "rate_limited"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_reports_reach_the_queue_with_the_original_text() {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("words.txt");
    std::fs::write(&words, "badword\n").unwrap();
    let app = TestApp::spawn_with(Backend::Sqlite, |c: &mut Config| {
        c.moderation.words_file = words.to_string_lossy().into_owned();
        c.moderation.action = FilterAction::Review;
    })
    .await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    alice.client.send_text(c.id, "you badword").await.unwrap();
    alice
        .client
        .update_me(&confab_proto::accounts::MePatch {
            nickname: Some("BadWord Fan".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let page = admin.client.admin_reports(None, None).await.unwrap();
    let got: Vec<_> = page
        .items
        .iter()
        .map(|r| (r.reporter_id, r.target_user_id, r.excerpt.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (None, Some(alice.id()), Some("you badword".to_owned())),
            (None, Some(alice.id()), Some("BadWord Fan".to_owned())),
        ]
    );
    // Upholding the message's report recalls it.
    admin
        .client
        .uphold_report(page.items[0].id, &uphold(UpholdAction::Recall))
        .await
        .unwrap();
    let h = bob.client.history(c.id, None, None, None).await.unwrap();
    assert!(h.messages[0].recalled_at.is_some());
}
