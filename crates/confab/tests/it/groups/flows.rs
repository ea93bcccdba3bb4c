//! Group flows end to end: create, search, join, chat, leave; private groups and invites;
//! approval and join requests; roles, kicks, bans, mutes, mute-all, `@all`, transfer,
//! recall by managers; history policies; dissolving; read receipts; events.

use std::time::Duration;

use chrono::Duration as Span;
use confab::infra::clock::Clock;
use confab_proto::groups::{
    BanIn, GroupPatch, HistoryPolicy, InviteIn, JoinOut, JoinPolicy, KickQuery, MemberPatch,
    MuteFor, Role, Visibility,
};
use confab_proto::messaging::Mention;

use super::*;

const WAIT: Duration = Duration::from_secs(10);

backend_tests! {
    async fn create_search_join_chat_and_leave(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let name = format!("Rust_100% {}", unique(""));
        let g = open_group(&alice, &name).await;
        assert_eq!((g.my_role, g.member_count, g.member_limit), (Some(Role::Owner), 1, 500));
        assert_eq!(g.owner_id, alice.id());
        assert_eq!(g.history_policy, HistoryPolicy::FromJoin);
        let _other = open_group(&alice, &format!("Rust_1000 {}", unique(""))).await;
        let _decoy = open_group(&alice, &format!("RustX100X {}", unique(""))).await;

        // `%` and `_` match literally; case does not matter.
        let found = bob.client.search_groups("rust_100%", None, None).await.unwrap();
        assert_eq!(found.items.iter().map(|x| x.id).collect::<Vec<_>>(), [g.id]);
        assert_eq!(found.items[0].my_role, None);
        let page1 = bob.client.search_groups("rust", None, Some(2)).await.unwrap();
        assert_eq!(page1.items.len(), 2);
        let page2 = bob.client.search_groups("rust", page1.next_cursor.as_deref(), Some(2)).await.unwrap();
        assert!(page2.items.iter().all(|x| !page1.items.iter().any(|y| y.id == x.id)));
        for bad in ["", &"x".repeat(65)] {
            assert_eq!(code(&bob.client.search_groups(bad, None, None).await.unwrap_err()).0, 422);
        }

        alice.client.send(g.conversation_id, &text("before bob")).await.unwrap();
        let joined = join(&bob, &g).await;
        assert_eq!((joined.my_role, joined.member_count), (Some(Role::Member), 2));
        assert_eq!(code(&bob.client.join_group(g.id, None).await.unwrap_err()), (409, "already_member"));
        let ack = bob.client.send(g.conversation_id, &text("hi all")).await.unwrap();

        // Bob sees from his join on (history from_join): his join record, then his message.
        let seen = all_messages(&bob, g.conversation_id).await;
        assert_eq!(seen.iter().map(|m| sys_event(m).unwrap_or("text")).collect::<Vec<_>>(), ["member_joined", "text"]);
        let everything = all_messages(&alice, g.conversation_id).await;
        assert_eq!(
            everything.iter().map(|m| sys_event(m).unwrap_or("text")).collect::<Vec<_>>(),
            ["group_created", "text", "member_joined", "text"]
        );
        assert_eq!(everything.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(everything[2].body["user_id"], bob.id().to_string());
        assert_eq!(ack.seq, 4);
        let members = alice.client.group_members(g.id, None, None).await.unwrap();
        assert_eq!(members.items.len(), 2);

        // Only the server makes system messages.
        let mut forged = text("x");
        forged.kind = "system".into();
        assert_eq!(code(&bob.client.send(g.conversation_id, &forged).await.unwrap_err()).0, 422);
        // Nobody recalls a system message (not even the one it names as sender).
        assert_eq!(code(&bob.client.recall_message(g.conversation_id, 3).await.unwrap_err()).0, 403);

        bob.client.leave_group(g.id).await.unwrap();
        alice.client.send(g.conversation_id, &text("after bob")).await.unwrap();
        let bob_view = all_messages(&bob, g.conversation_id).await;
        assert_eq!(bob_view.last().map(|m| sys_event(m)), Some(Some("member_left")));
        assert!(bob_view.iter().all(|m| m.seq <= 5));
        assert_eq!(code(&bob.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "not_member"));
        assert_eq!(code(&bob.client.group_members(g.id, None, None).await.unwrap_err()), (403, "not_group_member"));
        assert_eq!(alice.client.group(g.id).await.unwrap().member_count, 1);
        // The owner must transfer first.
        assert_eq!(code(&alice.client.leave_group(g.id).await.unwrap_err()), (409, "owner_must_transfer"));
        // Rejoining opens a fresh window.
        join(&bob, &g).await;
        let again = all_messages(&bob, g.conversation_id).await;
        assert_eq!(again.iter().map(|m| sys_event(m).unwrap_or("text")).collect::<Vec<_>>(), ["member_joined"]);
    }

    async fn friends_are_initial_members_and_can_be_added(app) {
        let owner = app.user("owner").await;
        let f1 = app.user("f1").await;
        let f2 = app.user("f2").await;
        let f3 = app.user("f3").await;
        let stranger = app.user("stranger").await;
        app.befriend(&owner, &f1).await;
        app.befriend(&owner, &f2).await;
        app.befriend(&f1, &f3).await;
        let mut input = group_in("friends", Visibility::Private, JoinPolicy::Open);
        input.member_ids = Some(vec![stranger.id()]);
        assert_eq!(code(&owner.client.create_group(&input).await.unwrap_err()), (403, "invitee_not_friend"));
        input.member_ids = Some(vec![f1.id(), f1.id(), owner.id()]);
        input.member_limit = Some(3);
        let g = owner.client.create_group(&input).await.unwrap();
        assert_eq!(g.member_count, 2, "duplicates and I count once");
        assert_eq!(f1.client.group(g.id).await.unwrap().my_role, Some(Role::Member));
        let first = all_messages(&f1, g.conversation_id).await;
        assert_eq!(first.iter().map(|m| sys_event(m)).collect::<Vec<_>>(), [Some("group_created")]);
        // Direct adds: the owner adds a friend; a member only when the group allows it.
        let added = owner.client.add_group_members(g.id, &[f2.id()]).await.unwrap();
        assert_eq!(added.iter().map(|m| m.user.id).collect::<Vec<_>>(), [f2.id()]);
        assert_eq!(code(&f1.client.add_group_members(g.id, &[f3.id()]).await.unwrap_err()), (403, "group_role_required"));
        owner.client.update_group(g.id, &GroupPatch { member_invite: Some(true), member_limit: Some(10), ..GroupPatch::default() }).await.unwrap();
        assert_eq!(code(&f1.client.add_group_members(g.id, &[stranger.id()]).await.unwrap_err()), (403, "invitee_not_friend"));
        f1.client.add_group_members(g.id, &[f3.id()]).await.unwrap();
        assert_eq!(code(&f1.client.add_group_members(g.id, &[f3.id()]).await.unwrap_err()), (409, "already_member"));
        assert_eq!(owner.client.group(g.id).await.unwrap().member_count, 4);
        // The limit holds for adds too.
        owner.client.update_group(g.id, &GroupPatch { member_limit: Some(4), ..GroupPatch::default() }).await.unwrap();
        let f4 = app.user("f4").await;
        app.befriend(&owner, &f4).await;
        assert_eq!(code(&owner.client.add_group_members(g.id, &[f4.id()]).await.unwrap_err()), (409, "group_full"));
    }

    async fn private_groups_join_only_by_invite(app) {
        let owner = app.user("owner").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        let g = owner.client.create_group(&group_in("secret club", Visibility::Private, JoinPolicy::Open)).await.unwrap();
        // Non-members learn nothing.
        assert_eq!(code(&carol.client.group(g.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&carol.client.join_group(g.id, None).await.unwrap_err()), (404, "not_found"));
        assert!(carol.client.search_groups("secret club", None, None).await.unwrap().items.is_empty());

        let one = owner.client.create_invite(g.id, &InviteIn { expires_in_secs: None, max_uses: Some(1) }).await.unwrap();
        assert!(one.token.len() >= 43, "256-bit tokens");
        assert_eq!(carol.client.accept_invite(&one.token).await.unwrap().my_role, Some(Role::Member));
        assert_eq!(code(&dave.client.accept_invite(&one.token).await.unwrap_err()), (404, "invite_invalid"));
        assert_eq!(code(&dave.client.accept_invite("not-a-token").await.unwrap_err()), (404, "invite_invalid"));

        let timed = owner.client.create_invite(g.id, &InviteIn { expires_in_secs: Some(3600), max_uses: None }).await.unwrap();
        app.clock.advance(Span::seconds(3601));
        let (owner, dave, carol) = (again(&app, &owner).await, again(&app, &dave).await, again(&app, &carol).await);
        assert_eq!(code(&dave.client.accept_invite(&timed.token).await.unwrap_err()), (404, "invite_invalid"));

        let open = owner.client.create_invite(g.id, &InviteIn::default()).await.unwrap();
        owner.client.revoke_invite(g.id, &open.token).await.unwrap();
        assert_eq!(code(&dave.client.accept_invite(&open.token).await.unwrap_err()), (404, "invite_invalid"));

        let list = owner.client.group_invites(g.id).await.unwrap();
        assert_eq!(list.len(), 3);
        let used = list.iter().find(|i| i.token == one.token).unwrap();
        assert_eq!((used.uses, used.creator_id, used.max_uses), (1, owner.id(), Some(1)));
        assert!(list.iter().find(|i| i.token == open.token).unwrap().revoked_at.is_some());
        // Members cannot manage invites; the carol-invited group is hers to read now.
        assert_eq!(code(&carol.client.group_invites(g.id).await.unwrap_err()), (403, "group_role_required"));
        assert_eq!(carol.client.group(g.id).await.unwrap().member_count, 2);
    }

    async fn approval_groups_take_join_requests(app) {
        let owner = app.user("owner").await;
        let erin = app.user("erin").await;
        let frank = app.user("frank").await;
        let g = owner.client.create_group(&group_in("by approval", Visibility::Public, JoinPolicy::Approval)).await.unwrap();
        let r = match erin.client.join_group(g.id, Some("let me in")).await.unwrap() {
            JoinOut::Requested(r) => r,
            other => panic!("expected a request, got {other:?}"),
        };
        assert_eq!((r.status.as_str(), r.message.as_deref()), ("pending", Some("let me in")));
        assert_eq!(code(&erin.client.join_group(g.id, None).await.unwrap_err()), (409, "join_request_pending"));
        let JoinOut::Requested(rf) = frank.client.join_group(g.id, None).await.unwrap() else { panic!() };
        assert_eq!(owner.client.join_requests(g.id).await.unwrap().len(), 2);
        // Raw status: 202 for a request.
        let resp = reqwest::Client::new()
            .post(app.url(&format!("/api/v1/groups/{}/join", g.id)))
            .bearer_auth(&app.user("gina").await.tokens.access_token)
            .send().await.unwrap();
        assert_eq!(resp.status(), 202);

        let ok = owner.client.decide_join_request(g.id, r.id, true).await.unwrap();
        assert_eq!(ok.status, "approved");
        assert_eq!(code(&owner.client.decide_join_request(g.id, r.id, false).await.unwrap_err()), (409, "conflict"));
        assert_eq!(owner.client.decide_join_request(g.id, rf.id, false).await.unwrap().status, "declined");
        assert_eq!(erin.client.group(g.id).await.unwrap().my_role, Some(Role::Member));
        assert_eq!(frank.client.group(g.id).await.unwrap().my_role, None);
        assert_eq!(code(&erin.client.join_requests(g.id).await.unwrap_err()), (403, "group_role_required"));
        assert_eq!(owner.client.join_requests(g.id).await.unwrap().len(), 1, "gina's is left");
    }

    async fn roles_kicks_bans_and_transfer(app) {
        let owner = app.user("owner").await;
        let adm = app.user("adm").await;
        let adm2 = app.user("adm2").await;
        let mem = app.user("mem").await;
        let g = open_group(&owner, "moderated").await;
        for u in [&adm, &adm2, &mem] { join(u, &g).await; }
        let role = |r| MemberPatch { role: Some(r), ..MemberPatch::default() };
        owner.client.update_group_member(g.id, adm.id(), &role(Role::Admin)).await.unwrap();
        owner.client.update_group_member(g.id, adm2.id(), &role(Role::Admin)).await.unwrap();
        // Only the owner sets roles; an admin never acts on the owner or another admin.
        assert_eq!(code(&adm.client.update_group_member(g.id, mem.id(), &role(Role::Admin)).await.unwrap_err()), (403, "group_role_required"));
        let no = KickQuery::default();
        assert_eq!(code(&adm.client.kick_group_member(g.id, adm2.id(), &no).await.unwrap_err()), (403, "group_role_required"));
        assert_eq!(code(&adm.client.kick_group_member(g.id, owner.id(), &no).await.unwrap_err()), (403, "group_role_required"));
        assert_eq!(code(&mem.client.kick_group_member(g.id, adm.id(), &no).await.unwrap_err()), (403, "group_role_required"));

        // Managers recall anyone of a lower role at any time; not upward.
        let m_ack = mem.client.send(g.conversation_id, &text("spam")).await.unwrap();
        let o_ack = owner.client.send(g.conversation_id, &text("owner says")).await.unwrap();
        app.clock.advance(Span::hours(1));
        let (owner, adm, mem) = (again(&app, &owner).await, again(&app, &adm).await, again(&app, &mem).await);
        adm.client.recall_message(g.conversation_id, m_ack.seq).await.unwrap();
        assert_eq!(code(&adm.client.recall_message(g.conversation_id, o_ack.seq).await.unwrap_err()).0, 403);
        assert_eq!(code(&mem.client.recall_message(g.conversation_id, o_ack.seq).await.unwrap_err()).0, 403);

        // Kick with a ban until a time: no path back in until it ends.
        let until = app.clock.now() + Span::hours(2);
        adm.client.kick_group_member(g.id, mem.id(), &KickQuery { ban: None, ban_until: Some(until) }).await.unwrap();
        assert_eq!(code(&mem.client.join_group(g.id, None).await.unwrap_err()), (403, "banned_from_group"));
        let inv = owner.client.create_invite(g.id, &InviteIn::default()).await.unwrap();
        assert_eq!(code(&mem.client.accept_invite(&inv.token).await.unwrap_err()), (403, "banned_from_group"));
        let bans = adm.client.group_bans(g.id).await.unwrap();
        assert_eq!(bans.len(), 1);
        assert_eq!((bans[0].user_id, bans[0].by), (mem.id(), adm.id()));
        app.clock.advance(Span::hours(2) + Span::seconds(1));
        let (owner, adm, mem) = (again(&app, &owner).await, again(&app, &adm).await, again(&app, &mem).await);
        assert!(adm.client.group_bans(g.id).await.unwrap().is_empty(), "ended bans are not listed");
        mem.client.accept_invite(&inv.token).await.unwrap();

        // A permanent ban through PUT kicks a member; DELETE lifts it.
        adm.client.ban_from_group(g.id, mem.id(), &BanIn { until: None, reason: Some("flooding".into()) }).await.unwrap();
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "not_member"));
        app.clock.advance(Span::days(3650));
        let (owner, adm, mem, adm2) = (again(&app, &owner).await, again(&app, &adm).await, again(&app, &mem).await, again(&app, &adm2).await);
        assert_eq!(code(&mem.client.join_group(g.id, None).await.unwrap_err()), (403, "banned_from_group"));
        adm.client.unban_from_group(g.id, mem.id()).await.unwrap();
        join(&mem, &g).await;

        // Transfer: exactly one owner; the old one becomes an admin and may leave.
        assert_eq!(code(&adm.client.transfer_group(g.id, adm2.id()).await.unwrap_err()), (403, "group_role_required"));
        let t = owner.client.transfer_group(g.id, adm.id()).await.unwrap();
        assert_eq!((t.owner_id, t.my_role), (adm.id(), Some(Role::Admin)));
        let roles: Vec<_> = adm.client.group_members(g.id, None, None).await.unwrap().items.into_iter().map(|m| (m.user.id, m.role)).collect();
        assert_eq!(roles.iter().filter(|(_, r)| *r == Role::Owner).count(), 1);
        assert!(roles.contains(&(adm.id(), Role::Owner)) && roles.contains(&(owner.id(), Role::Admin)));
        owner.client.leave_group(g.id).await.unwrap();
        // Nicknames are one's own.
        let nick = MemberPatch { nickname: Some(Some("Mem".into())), ..MemberPatch::default() };
        assert_eq!(mem.client.update_group_member(g.id, mem.id(), &nick).await.unwrap().nickname.as_deref(), Some("Mem"));
        assert_eq!(code(&adm.client.update_group_member(g.id, mem.id(), &nick).await.unwrap_err()), (403, "group_role_required"));
    }

    async fn mutes_mute_all_and_mention_all(app) {
        let owner = app.user("owner").await;
        let adm = app.user("adm").await;
        let mem = app.user("mem").await;
        let g = open_group(&owner, "quiet").await;
        join(&adm, &g).await;
        join(&mem, &g).await;
        owner.client.update_group_member(g.id, adm.id(), &MemberPatch { role: Some(Role::Admin), ..MemberPatch::default() }).await.unwrap();

        let m = adm.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::OneHour), ..MemberPatch::default() }).await.unwrap();
        assert!(m.muted_until.is_some());
        let mut ws = mem.client.ws().await.unwrap();
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "member_muted"));
        // The WebSocket send path refuses too.
        ws.send_frame("send", Some("s1"), serde_json::json!({"conversation_id": g.conversation_id, "client_msg_id": unique("w"), "kind": "text", "body": {"text": "x"}})).await.unwrap();
        let err = ws.expect_event("error", WAIT).await.unwrap();
        assert_eq!(err.error_code(), Some("member_muted"));
        // History stays readable.
        assert!(!all_messages(&mem, g.conversation_id).await.is_empty());
        app.clock.advance(Span::minutes(61));
        let (owner, adm, mem) = (again(&app, &owner).await, again(&app, &adm).await, again(&app, &mem).await);
        mem.client.send(g.conversation_id, &text("free again")).await.unwrap();

        // Custom end, then unmute.
        let until = app.clock.now() + Span::minutes(5);
        adm.client.update_group_member(g.id, mem.id(), &MemberPatch { mute_until: Some(until), ..MemberPatch::default() }).await.unwrap();
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "member_muted"));
        adm.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::Off), ..MemberPatch::default() }).await.unwrap();
        mem.client.send(g.conversation_id, &text("unmuted")).await.unwrap();
        // Permanent lasts.
        adm.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::Permanent), ..MemberPatch::default() }).await.unwrap();
        app.clock.advance(Span::days(3650));
        let (owner, adm, mem) = (again(&app, &owner).await, again(&app, &adm).await, again(&app, &mem).await);
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "member_muted"));
        // An admin cannot mute an admin or the owner.
        assert_eq!(code(&adm.client.update_group_member(g.id, owner.id(), &MemberPatch { mute: Some(MuteFor::OneDay), ..MemberPatch::default() }).await.unwrap_err()), (403, "group_role_required"));
        owner.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::Off), ..MemberPatch::default() }).await.unwrap();

        // Mute-all: owner and admins still speak.
        assert!(adm.client.mute_all(g.id, true).await.unwrap().all_muted);
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (403, "group_all_muted"));
        adm.client.send(g.conversation_id, &text("admins speak")).await.unwrap();
        owner.client.send(g.conversation_id, &text("owner speaks")).await.unwrap();
        assert_eq!(code(&mem.client.mute_all(g.id, false).await.unwrap_err()), (403, "group_role_required"));
        owner.client.mute_all(g.id, false).await.unwrap();
        mem.client.send(g.conversation_id, &text("back")).await.unwrap();

        // @all: owner/admin only.
        let mut all = text("@all hello");
        all.mentions = Some(vec![Mention::All]);
        assert_eq!(code(&mem.client.send(g.conversation_id, &all).await.unwrap_err()), (403, "mention_all_forbidden"));
        let mut all2 = all.clone();
        all2.client_msg_id = unique("a");
        let ack = adm.client.send(g.conversation_id, &all2).await.unwrap();
        let h = mem.client.history(g.conversation_id, None, Some(ack.seq - 1), Some(1)).await.unwrap();
        assert_eq!(h.messages[0].mentions, vec![Mention::All]);
        let mut user_mention = text("hey");
        user_mention.mentions = Some(vec![Mention::User(owner.id())]);
        mem.client.send(g.conversation_id, &user_mention).await.unwrap();
    }

    async fn history_all_and_group_read_receipts(app) {
        let owner = app.user("owner").await;
        let a = app.user("a").await;
        let b = app.user("b").await;
        let late = app.user("late").await;
        let mut input = group_in("everything", Visibility::Public, JoinPolicy::Open);
        input.history_policy = Some(HistoryPolicy::All);
        let g = owner.client.create_group(&input).await.unwrap();
        join(&a, &g).await;
        join(&b, &g).await;
        let ack = owner.client.send(g.conversation_id, &text("read me")).await.unwrap();
        a.client.mark_read(g.conversation_id, ack.seq).await.unwrap();
        let r = owner.client.readers(g.conversation_id, ack.seq).await.unwrap();
        assert_eq!((r.count, r.total, r.readers.clone()), (1, 2, vec![a.id()]));
        // The late joiner sees everything (history `all`), so the message is in their window
        // and their read counts.
        join(&late, &g).await;
        let seen = all_messages(&late, g.conversation_id).await;
        assert_eq!(seen.first().map(|m| m.seq), Some(1));
        late.client.mark_read(g.conversation_id, ack.seq + 10).await.unwrap();
        let r = owner.client.readers(g.conversation_id, ack.seq).await.unwrap();
        assert_eq!((r.count, r.total), (2, 3));
        late.client.leave_group(g.id).await.unwrap();
        // In a group only the sender and managers list readers.
        assert_eq!(code(&b.client.readers(g.conversation_id, ack.seq).await.unwrap_err()).0, 403);
        owner.client.update_group_member(g.id, b.id(), &MemberPatch { role: Some(Role::Admin), ..MemberPatch::default() }).await.unwrap();
        assert_eq!(b.client.readers(g.conversation_id, ack.seq).await.unwrap().count, 1);
        // A member who left no longer counts.
        a.client.leave_group(g.id).await.unwrap();
        let r = owner.client.readers(g.conversation_id, ack.seq).await.unwrap();
        assert_eq!((r.count, r.total), (0, 1));
        // Switching to from_join applies to later joiners.
        owner.client.update_group(g.id, &GroupPatch { history_policy: Some(HistoryPolicy::FromJoin), ..GroupPatch::default() }).await.unwrap();
        join(&a, &g).await;
        assert_eq!(all_messages(&a, g.conversation_id).await.len(), 1);
    }

    async fn edits_events_and_dissolve(app) {
        let owner = app.user("owner").await;
        let mem = app.user("mem").await;
        let out = app.user("out").await;
        let g = open_group(&owner, "to dissolve").await;
        let mut mws = mem.client.ws().await.unwrap();
        join(&mem, &g).await;
        let mut ows = owner.client.ws().await.unwrap();
        let p = owner.client.update_group(g.id, &GroupPatch {
            name: Some("renamed".into()),
            announcement: Some(Some("read the rules".into())),
            ..GroupPatch::default()
        }).await.unwrap();
        assert_eq!((p.name.as_str(), p.announcement.as_deref()), ("renamed", Some("read the rules")));
        let ev = mws.expect_event("group.updated", WAIT).await.unwrap();
        assert_eq!(ev.data["group"]["name"], "renamed");
        assert_eq!(code(&mem.client.update_group(g.id, &GroupPatch { name: Some("mine".into()), ..GroupPatch::default() }).await.unwrap_err()), (403, "group_role_required"));
        for bad in [GroupPatch { name: Some(String::new()), ..GroupPatch::default() }, GroupPatch { member_limit: Some(1), ..GroupPatch::default() }] {
            assert_eq!(code(&owner.client.update_group(g.id, &bad).await.unwrap_err()).0, 422);
        }

        // A joiner's arrival and a kick reach members; the kicked member hears of it too.
        join(&out, &g).await;
        let ev = ows.expect_event("group.member_joined", WAIT).await.unwrap();
        assert_eq!(ev.data["user_id"], out.id().to_string());
        let mut out_ws = out.client.ws().await.unwrap();
        owner.client.kick_group_member(g.id, out.id(), &KickQuery { ban: Some(true), ban_until: None }).await.unwrap();
        let ev = out_ws.expect_event("group.member_kicked", WAIT).await.unwrap();
        assert_eq!((ev.data["user_id"].as_str(), ev.data["banned"].as_bool()), (Some(out.id().to_string().as_str()), Some(true)));
        owner.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::OneHour), ..MemberPatch::default() }).await.unwrap();
        let ev = mws.expect_event("group.member_muted", WAIT).await.unwrap();
        assert!(ev.data["until"].is_string());
        owner.client.update_group_member(g.id, mem.id(), &MemberPatch { mute: Some(MuteFor::Off), ..MemberPatch::default() }).await.unwrap();

        assert_eq!(code(&mem.client.dissolve_group(g.id).await.unwrap_err()), (403, "group_role_required"));
        mem.client.send(g.conversation_id, &text("last words")).await.unwrap();
        owner.client.dissolve_group(g.id).await.unwrap();
        let ev = mws.expect_event("group.dissolved", WAIT).await.unwrap();
        assert_eq!(ev.data["by"], owner.id().to_string());
        assert_eq!(code(&mem.client.send(g.conversation_id, &text("x")).await.unwrap_err()), (409, "group_dissolved"));
        assert_eq!(code(&owner.client.mute_all(g.id, true).await.unwrap_err()), (409, "group_dissolved"));
        assert_eq!(code(&mem.client.leave_group(g.id).await.unwrap_err()), (409, "group_dissolved"));
        let h = all_messages(&mem, g.conversation_id).await;
        assert_eq!(h.last().and_then(|m| sys_event(m)), Some("group_dissolved"));
        assert!(h.iter().any(|m| m.body["text"] == "last words"), "history stays readable");
        assert!(owner.client.group(g.id).await.unwrap().dissolved);
        assert!(mem.client.search_groups("renamed", None, None).await.unwrap().items.iter().all(|x| x.id != g.id));
    }

    async fn dissolve_by_admin_and_sensitive_group_texts(app) {
        let owner = app.user("owner").await;
        let g = open_group(&owner, "reported").await;
        let admin = system_admin(&app).await;
        confab::groups::service::dissolve_by_admin(&app.state, g.id, admin.id()).await.unwrap();
        let g2 = owner.client.group(g.id).await.unwrap();
        assert!(g2.dissolved);
        let h = all_messages(&owner, g.conversation_id).await;
        assert_eq!(h.last().map(|m| (sys_event(m), m.sender_id)), Some((Some("group_dissolved"), admin.id())));
        let e = confab::groups::service::dissolve_by_admin(&app.state, g.id, admin.id()).await.unwrap_err();
        assert_eq!(e.code(), confab_proto::ErrorCode::GroupDissolved);
    }

    async fn member_limit_holds_under_concurrent_joins(app) {
        let owner = app.user("owner").await;
        let mut input = group_in("small", Visibility::Public, JoinPolicy::Open);
        input.member_limit = Some(5);
        let g = owner.client.create_group(&input).await.unwrap();
        let mut users = Vec::new();
        for i in 0..12 { users.push(app.user(&format!("j{i}")).await); }
        let tasks: Vec<_> = users.iter().map(|u| {
            let c = u.client.clone();
            let id = g.id;
            tokio::spawn(async move { c.join_group(id, None).await })
        }).collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(JoinOut::Joined(_)) => ok += 1,
                Ok(other) => panic!("{other:?}"),
                Err(e) => assert_eq!(code(&e), (409, "group_full")),
            }
        }
        assert_eq!(ok, 4);
        let after = owner.client.group(g.id).await.unwrap();
        assert_eq!(after.member_count, 5);
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let page = owner.client.group_members(g.id, cursor.as_deref(), Some(2)).await.unwrap();
            n += page.items.len();
            cursor = page.next_cursor;
            if cursor.is_none() { break; }
        }
        assert_eq!(n, 5);
    }
}

/// A filter words file, kept alive by the guard.
fn words(lines: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("words.txt");
    std::fs::write(&path, lines).unwrap();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_texts_go_through_the_word_filter() {
    let (_dir, path) = words("badword\n");
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.moderation.words_file = path.to_string_lossy().into_owned();
    })
    .await;
    let owner = app.user("owner").await;
    let g = open_group(&owner, "a badword club").await;
    assert_eq!(g.name, "a ******* club");
    let p = owner
        .client
        .update_group(
            g.id,
            &GroupPatch {
                description: Some("no BadWord here".into()),
                announcement: Some(Some("b a d w o r d".into())),
                ..GroupPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(!p.description.to_lowercase().contains("badword"));
    assert!(!p.announcement.unwrap().contains('d'));
    let nick = MemberPatch {
        nickname: Some(Some("badword".into())),
        ..MemberPatch::default()
    };
    let m = owner
        .client
        .update_group_member(g.id, owner.id(), &nick)
        .await
        .unwrap();
    assert_eq!(m.nickname.as_deref(), Some("*******"));
}
