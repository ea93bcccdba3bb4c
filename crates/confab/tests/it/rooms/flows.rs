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
        let found = a.client.list_rooms(false, &[("q", "night JAZZ")]).await.unwrap();
        assert!(found.rooms.iter().any(|x| x.id == r.id));
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
