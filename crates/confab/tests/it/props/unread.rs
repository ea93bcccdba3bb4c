//! Unread never goes negative or up on edits: a seeded run of sends, edits, recalls,
//! reactions and read / received marks (at seqs below, inside and past the conversation,
//! negative and huge) by the members of a direct chat and a group. After every step, for
//! every member: `unread = last_seq − read_seq ≥ 0`, `read_seq ≤ recv_seq ≤ last_seq`, the
//! marks never move back, an edit, recall or reaction raises no one's unread, and each
//! user's sync total is the sum over their conversations.

use std::collections::HashMap;

use confab_proto::ids::{ConversationId, UserId};

use super::*;
use crate::groups::{join, open_group};
use crate::harness::*;

/// Steps per run.
const STEPS: usize = 70;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Send,
    Edit,
    Recall,
    React,
    MarkRead,
    MarkRecv,
}

/// (last, read, recv, unread) of every (conversation, member).
type View = HashMap<(ConversationId, UserId), (i64, i64, i64, i64)>;

async fn view(convs: &[(ConversationId, Vec<&TestUser>)], users: &[&TestUser]) -> View {
    let mut v = View::new();
    for (c, members) in convs {
        for m in members {
            let o = m.client.conversation(*c).await.unwrap();
            v.insert((*c, m.id()), (o.last_seq, o.read_seq, o.recv_seq, o.unread));
        }
    }
    for u in users {
        let total = u.client.sync(None).await.unwrap().total_unread;
        let sum: i64 = v
            .iter()
            .filter(|((_, who), _)| *who == u.id())
            .map(|(_, x)| x.3)
            .sum();
        assert_eq!(total, sum, "{}'s sync total", u.username);
    }
    v
}

fn check(before: &View, after: &View, op: Op, step: usize) {
    for (k, &(last, read, recv, unread)) in after {
        let at = format!("step {step} ({op:?}), {k:?}");
        assert!(unread >= 0, "{at}: unread {unread}");
        assert_eq!(unread, last - read, "{at}: unread is not last − read");
        assert!(
            read <= recv && recv <= last,
            "{at}: read {read}, recv {recv}, last {last}"
        );
        if let Some(&(b_last, b_read, b_recv, b_unread)) = before.get(k) {
            assert!(
                read >= b_read && recv >= b_recv && last >= b_last,
                "{at}: a mark moved back"
            );
            if matches!(op, Op::Edit | Op::Recall | Op::React) {
                assert!(
                    unread <= b_unread,
                    "{at}: unread up from {b_unread} to {unread}"
                );
            }
        }
    }
}

backend_tests! {
    async fn unread_never_goes_negative_or_up_on_edits(app) {
        let mut rng = Rng::from_env(SEED_VAR, "unread");
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        app.befriend(&alice, &bob).await;
        let direct = alice.client.open_direct(bob.id()).await.unwrap().id;
        let g = open_group(&alice, "unread").await;
        join(&bob, &g).await;
        join(&carol, &g).await;
        let users = [&alice, &bob, &carol];
        let convs = vec![(direct, vec![&alice, &bob]), (g.conversation_id, vec![&alice, &bob, &carol])];
        // Messages each member sent, per conversation (edits and recalls pick from them).
        let mut mine: HashMap<(ConversationId, UserId), Vec<i64>> = HashMap::new();
        let mut done: HashMap<String, usize> = HashMap::new();
        let mut before = view(&convs, &users).await;
        check(&View::new(), &before, Op::Send, 0);
        let ops = [Op::Send, Op::Send, Op::Send, Op::Edit, Op::Edit, Op::Recall, Op::React, Op::MarkRead, Op::MarkRead, Op::MarkRecv];
        for step in 1..=STEPS {
            let (c, members) = &convs[rng.below(convs.len())];
            let who = members[rng.below(members.len())];
            let op = ops[rng.below(ops.len())];
            let last = before[&(*c, who.id())].0;
            let any_seq = |rng: &mut Rng| match rng.below(6) {
                0 => -1,
                1 => 0,
                2 => i64::MAX,
                _ => 1 + rng.below(last as usize + 2) as i64,
            };
            let own = mine.get(&(*c, who.id())).cloned().unwrap_or_default();
            // An own message most of the time, any seq now and then.
            let target = |rng: &mut Rng| {
                if !own.is_empty() && rng.below(4) != 0 { own[rng.below(own.len())] } else { any_seq(rng) }
            };
            match op {
                Op::Send => {
                    let ack = who.client.send(*c, &text(&unique("u"), &format!("step {step}"))).await.unwrap();
                    mine.entry((*c, who.id())).or_default().push(ack.seq);
                    *done.entry("Send ok=true".into()).or_default() += 1;
                }
                Op::Edit => {
                    let seq = target(&mut rng);
                    let ok = who.client.edit_message(*c, seq, &format!("edited at {step}")).await.is_ok();
                    *done.entry(format!("{op:?} ok={ok}")).or_default() += 1;
                }
                Op::Recall => {
                    let seq = target(&mut rng);
                    let ok = who.client.recall_message(*c, seq).await.is_ok();
                    *done.entry(format!("{op:?} ok={ok}")).or_default() += 1;
                }
                Op::React => {
                    let seq = target(&mut rng);
                    let ok = who.client.react(*c, seq, "👍").await.is_ok();
                    *done.entry(format!("{op:?} ok={ok}")).or_default() += 1;
                }
                Op::MarkRead => {
                    let ok = who.client.mark_read(*c, any_seq(&mut rng)).await.is_ok();
                    *done.entry(format!("{op:?} ok={ok}")).or_default() += 1;
                }
                Op::MarkRecv => {
                    let ok = who.client.mark_recv(*c, any_seq(&mut rng)).await.is_ok();
                    *done.entry(format!("{op:?} ok={ok}")).or_default() += 1;
                }
            }
            let after = view(&convs, &users).await;
            check(&before, &after, op, step);
            before = after;
        }
        let mut done: Vec<_> = done.into_iter().collect();
        done.sort();
        println!("unread: {done:?}");
    }
}
