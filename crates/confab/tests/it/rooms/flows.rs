//! A room from creation to close, as a newcomer would use it: applications, invitations,
//! moderation, chat, discovery.

use confab_proto::rooms::{
    RoomKickIn, RoomMuteIn, RoomMuteLength, SeatAction, SeatActionIn, SeatMode,
};

use super::*;

backend_tests! {
    async fn a_room_from_creation_to_close(app) {
        let owner = app.user("owner").await;
        let a = app.user("alice").await;
        let b = app.user("bob").await;
        let r = room(&owner, "Late night jazz", 4, SeatMode::Apply).await;
        assert_eq!(r.seat_count, 4);
        let mut ows = enter(&owner, &r).await;
        let mut aws = enter(&a, &r).await;
        let _bws = enter(&b, &r).await;

        // The owner takes a seat directly, even in apply mode; a member may not.
        let s = owner.client.seat_action(r.id, 1, SeatAction::Take, &SeatActionIn::default()).await.unwrap();
        assert_eq!(s.seats[0].user_id, Some(owner.id()));
        let e = a.client.seat_action(r.id, 2, SeatAction::Take, &SeatActionIn::default()).await.unwrap_err();
        assert_eq!(code(&e), (409, "seat_apply_required"));

        // Application: listed for the owner, approved onto the chosen seat.
        let app_req = a.client.apply_for_seat(r.id, Some(2)).await.unwrap();
        assert_eq!(app_req.position, Some(2));
        let e = a.client.apply_for_seat(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (409, "application_pending"));
        let ev = ows.expect_event("room.application", WAIT).await.unwrap();
        assert_eq!(ev.data["state"], "pending");
        let list = owner.client.seat_applications(r.id).await.unwrap();
        assert_eq!(list.requests.len(), 1);
        let v0 = owner.client.seats(r.id).await.unwrap().version;
        let s = owner.client.decide_application(r.id, a.id(), true).await.unwrap().unwrap();
        assert_eq!(s.seats[1].user_id, Some(a.id()));
        assert_eq!(s.version, v0 + 1);
        let seen = next_seats(&mut aws).await;
        assert_invariants(&seen);

        // Invitation: accepted once; a second accept is refused.
        owner.client.invite_to_seat(r.id, b.id(), Some(3)).await.unwrap();
        let s = b.client.accept_seat_invitation(r.id).await.unwrap();
        assert_eq!(s.seats[2].user_id, Some(b.id()));
        let e = b.client.accept_seat_invitation(r.id).await.unwrap_err();
        assert_eq!(code(&e).0, 404);

        // Lock empties the seat; mute forces the mic off.
        let s = owner.client.seat_action(r.id, 3, SeatAction::Lock, &SeatActionIn::default()).await.unwrap();
        assert!(s.seats[2].locked && s.seats[2].user_id.is_none());
        owner.client.seat_action(r.id, 2, SeatAction::Mute, &SeatActionIn::default()).await.unwrap();
        let e = a.client.set_mic(r.id, true).await.unwrap_err();
        assert_eq!(code(&e), (409, "seat_muted"));
        assert_invariants(&owner.client.seats(r.id).await.unwrap());

        // Room chat: members talk; a chat mute silences one of them.
        a.client.send_text(r.conversation_id, "hello room").await.unwrap();
        owner.client.mute_in_room(r.id, &RoomMuteIn { user_id: a.id(), length: RoomMuteLength::OneHour }).await.unwrap();
        let e = a.client.send_text(r.conversation_id, "still here?").await.unwrap_err();
        assert_eq!(code(&e), (403, "room_muted"));
        let st = b.client.room_member_status(r.id, a.id()).await.unwrap();
        assert!(st.muted && st.muted_until.is_some() && !st.kicked);

        // Kick: out of the room, barred from re-entry, seen in the status check.
        owner.client.kick_from_room(r.id, &RoomKickIn { user_id: b.id(), reason: Some("spam".into()), ban_secs: None }).await.unwrap();
        let e = b.client.join_room(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (403, "kicked_from_room"));
        let st = a.client.room_member_status(r.id, b.id()).await.unwrap();
        assert!(st.kicked && !st.present);
        let e = b.client.send_text(r.conversation_id, "let me back").await.unwrap_err();
        assert_eq!(code(&e).0, 403);

        // Discovery: found by name and recommended.
        let found = a.client.list_rooms(false, &[("q", "JAZZ night")]).await.unwrap();
        assert!(found.rooms.iter().any(|x| x.id == r.id));
        let none = a.client.list_rooms(false, &[("q", "jazz_")]).await.unwrap();
        assert!(none.rooms.iter().all(|x| x.id != r.id), "`_` matches itself only");
        let rec = a.client.list_rooms(true, &[]).await.unwrap();
        assert!(rec.rooms.iter().any(|x| x.id == r.id && x.audience == 2));

        // Close: everyone is told; it is never listed again.
        owner.client.close_room(r.id).await.unwrap();
        aws.expect_event("room.closed", WAIT).await.unwrap();
        let found = a.client.list_rooms(false, &[("q", "night jazz")]).await.unwrap();
        assert!(found.rooms.iter().all(|x| x.id != r.id));
        let e = a.client.join_room(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (409, "room_closed"));
    }
}

backend_tests! {
    async fn a_private_room_is_listed_but_entered_only_with_its_password(app) {
        let owner = app.user("owner").await;
        let guest = app.user("guest").await;
        let guesser = app.user("guesser").await;
        let mut input = room_in("Secret garden");
        input.visibility = Some(confab_proto::rooms::RoomVisibility::Private);
        let e = owner.client.create_room(&input).await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        input.password = Some("open sesame".into());
        let r = owner.client.create_room(&input).await.unwrap();
        let found = guest.client.list_rooms(false, &[("q", "secret")]).await.unwrap();
        assert!(found.rooms.iter().any(|x| x.id == r.id), "private rooms are listed");
        // The owner needs no password; others do, and a private room's seats are theirs.
        owner.client.join_room(r.id, None).await.unwrap();
        let e = guest.client.join_room(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (403, "room_password_invalid"));
        let e = guest.client.seats(r.id).await.unwrap_err();
        assert_eq!(code(&e), (403, "not_in_room"));
        let _ws = guest.client.ws().await.unwrap();
        guest.client.join_room(r.id, Some("open sesame")).await.unwrap();
        assert_eq!(guest.client.seats(r.id).await.unwrap().seats.len(), 8);
        // Guessing is bounded: after 10 wrong passwords even the right one waits.
        for _ in 0..10 {
            let e = guesser.client.join_room(r.id, Some("wrong guess")).await.unwrap_err();
            assert_eq!(code(&e), (403, "room_password_invalid"));
        }
        let e = guesser.client.join_room(r.id, Some("open sesame")).await.unwrap_err();
        assert_eq!(code(&e), (429, "rate_limited"));
        // The stored password is a hash, never the text.
        use sea_orm::{ConnectionTrait, Statement};
        let rows = app
            .state
            .store
            .reader()
            .query_all_raw(Statement::from_string(
                app.state.store.backend(),
                "SELECT password_hash FROM rooms WHERE password_hash IS NOT NULL",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let hash: String = rows[0].try_get("", "password_hash").unwrap();
        assert!(hash.starts_with("$argon2id$") && !hash.contains("open sesame"));
    }
}

backend_tests! {
    async fn covers_and_group_avatars_are_readable_by_those_who_see_them(app) {
        use confab_proto::groups::{GroupPatch, JoinPolicy, Visibility};
        let owner = app.user("owner").await;
        let stranger = app.user("stranger").await;
        // A room cover: anyone signed in may read it while the room is open.
        let cover = owner.client.upload(crate::media::png(64, 64), "cover.png", "image/png").await.unwrap();
        let mut input = room_in("With a cover");
        input.cover = Some(cover.id);
        let r = owner.client.create_room(&input).await.unwrap();
        assert_eq!(r.cover, Some(cover.id));
        stranger.client.download(cover.id, false).await.unwrap();
        // An upload that is nobody's cover stays private to its owner.
        let other = owner.client.upload(crate::media::png(32, 32), "mine.png", "image/png").await.unwrap();
        assert_eq!(code(&stranger.client.download(other.id, false).await.unwrap_err()).0, 404);
        owner.client.close_room(r.id).await.unwrap();
        assert_eq!(code(&stranger.client.download(cover.id, false).await.unwrap_err()).0, 404);
        // Group avatars: public groups' to anyone, private groups' to members only.
        for (vis, readable) in [(Visibility::Public, true), (Visibility::Private, false)] {
            let avatar = owner.client.upload(crate::media::png(48, 48), "g.png", "image/png").await.unwrap();
            let g = owner.client.create_group(&crate::groups::group_in("Avatars", vis, JoinPolicy::Open)).await.unwrap();
            let patch = GroupPatch { avatar: Some(Some(avatar.id)), ..Default::default() };
            owner.client.update_group(g.id, &patch).await.unwrap();
            let got = stranger.client.download(avatar.id, false).await;
            assert_eq!(got.is_ok(), readable, "{vis:?} group avatar read by a stranger: {got:?}");
        }
    }
}
