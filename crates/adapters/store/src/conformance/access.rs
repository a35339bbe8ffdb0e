//! Conformance checks for [`crate::AccessStore`].

use crate::{
    ApiKeyRecord, AuditQuery, AuditRecord, SessionRecord, Store, UserAccessChange, UserAccessUpdate, UserRecord,
};

pub async fn run(store: &dyn Store) {
    api_keys(store).await;
    sessions(store).await;
    login_failures_lock_and_reset(store).await;
    user_access_keeps_one_enabled_admin(store).await;
    audit_log_pages_newest_first(store).await;
}

fn key(id: &str, created_at_ms: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        name: format!("key {id}"),
        scopes: vec!["read".into(), "write".into()],
        secret_hash: format!("hash-{id}"),
        created_by: "admin".into(),
        created_at_ms,
        expires_at_ms: Some(9_000),
        last_used_at_ms: None,
        revoked_at_ms: None,
    }
}

async fn api_keys(store: &dyn Store) {
    let first = key("k1", 1_000);
    let second = ApiKeyRecord { expires_at_ms: None, scopes: vec!["admin".into()], ..key("k2", 2_000) };
    store.create_api_key(&first).await.unwrap();
    store.create_api_key(&second).await.unwrap();
    assert!(
        store.create_api_key(&ApiKeyRecord { id: "k3".into(), ..first.clone() }).await.is_err(),
        "two keys never share a secret hash"
    );
    assert_eq!(store.find_api_key("hash-k1").await.unwrap(), Some(first.clone()), "a key is found by its hash");
    assert_eq!(store.find_api_key("hash-k2").await.unwrap(), Some(second.clone()), "a key without expiry round trips");
    assert_eq!(store.find_api_key("k1").await.unwrap(), None, "a key is found by its hash only, not by its id");
    let ids: Vec<String> = store.list_api_keys().await.unwrap().into_iter().map(|k| k.id).collect();
    assert_eq!(ids, ["k2", "k1"], "keys are listed newest first");

    store.touch_api_key("k1", 5_000).await.unwrap();
    store.touch_api_key("k1", 4_000).await.unwrap();
    let used = store.find_api_key("hash-k1").await.unwrap().unwrap();
    assert_eq!(used.last_used_at_ms, Some(5_000), "last use is recorded and never moves backwards");

    assert!(store.revoke_api_key("k1", 6_000).await.unwrap(), "revoking a known key reports it");
    assert!(store.revoke_api_key("k1", 7_000).await.unwrap(), "revoking twice is not an error");
    let revoked = store.find_api_key("hash-k1").await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at_ms, Some(6_000), "the first revocation time is kept");
    assert!(!store.revoke_api_key("nope", 6_000).await.unwrap(), "revoking an unknown key reports absence");
    let still = store.find_api_key("hash-k2").await.unwrap().unwrap();
    assert_eq!(still.revoked_at_ms, None, "revoking one key leaves the others alone");
}

fn session(hash: &str, username: &str, expires_at_ms: i64) -> SessionRecord {
    SessionRecord {
        token_hash: hash.into(),
        username: username.into(),
        csrf_token: format!("csrf-{hash}"),
        created_at_ms: 1_000,
        expires_at_ms,
        last_seen_at_ms: 1_000,
    }
}

async fn sessions(store: &dyn Store) {
    let s1 = session("t1", "carol", 10_000);
    store.create_session(&s1, None).await.unwrap();
    assert_eq!(store.get_session("t1").await.unwrap(), Some(s1.clone()), "a session round trips");
    assert_eq!(store.get_session("t0").await.unwrap(), None, "an unknown token has no session");

    store.extend_session("t1", 4_000, 14_000).await.unwrap();
    let extended = store.get_session("t1").await.unwrap().unwrap();
    assert_eq!((extended.last_seen_at_ms, extended.expires_at_ms), (4_000, 14_000), "extending slides the expiry");

    let s2 = session("t2", "carol", 20_000);
    store.create_session(&s2, Some("t1")).await.unwrap();
    assert_eq!(store.get_session("t1").await.unwrap(), None, "a session created as a replacement ends the old one");
    assert!(store.get_session("t2").await.unwrap().is_some());
    store.create_session(&session("t3", "carol", 3_000), Some("never-issued")).await.unwrap();
    store.create_session(&session("t4", "dave", 30_000), None).await.unwrap();

    assert_eq!(store.purge_expired_sessions(3_000).await.unwrap(), 1, "a session expiring now is purged");
    assert_eq!(store.get_session("t3").await.unwrap(), None);
    assert!(store.get_session("t2").await.unwrap().is_some(), "purging keeps live sessions");

    assert!(store.delete_session("t2").await.unwrap(), "deleting a session reports it");
    assert!(!store.delete_session("t2").await.unwrap(), "deleting twice reports absence");
    store.create_session(&session("t5", "dave", 30_000), None).await.unwrap();
    assert_eq!(store.delete_user_sessions("dave").await.unwrap(), 2, "every session of the user goes");
    assert_eq!(store.get_session("t4").await.unwrap(), None);
    assert_eq!(store.delete_user_sessions("dave").await.unwrap(), 0);
}

fn user(username: &str, role: &str, disabled: bool) -> UserRecord {
    UserRecord {
        username: username.into(),
        display_name: username.into(),
        role: role.into(),
        password_hash: "$argon2id$x".into(),
        disabled,
        created_at_ms: 1,
        failed_logins: 0,
        locked_until_ms: None,
        last_login_at_ms: None,
    }
}

async fn login_failures_lock_and_reset(store: &dyn Store) {
    store.put_user(&user("erin", "planner", false)).await.unwrap();
    for n in 1..=2 {
        let u = store.record_login_failure("erin", 3, 50_000).await.unwrap().expect("known user");
        assert_eq!((u.failed_logins, u.locked_until_ms), (n, None), "failures below the limit are counted");
    }
    let u = store.record_login_failure("erin", 3, 50_000).await.unwrap().unwrap();
    assert_eq!(u.locked_until_ms, Some(50_000), "the limit-th consecutive failure locks the account");
    assert_eq!(u.failed_logins, 0, "locking starts the count afresh");
    assert_eq!(store.get_user("erin").await.unwrap().unwrap(), u, "the returned user is what was stored");

    store.put_user(&user("erin", "analyst", false)).await.unwrap();
    let u = store.get_user("erin").await.unwrap().unwrap();
    assert_eq!(u.locked_until_ms, Some(50_000), "put_user on an existing user leaves the lockout state alone");

    store.record_login_failure("erin", 3, 60_000).await.unwrap();
    store.record_login_success("erin", 70_000).await.unwrap();
    let u = store.get_user("erin").await.unwrap().unwrap();
    assert_eq!(
        (u.failed_logins, u.locked_until_ms, u.last_login_at_ms),
        (0, None, Some(70_000)),
        "a successful login clears failures and lock and records the time"
    );

    store.record_login_failure("erin", 1, 80_000).await.unwrap();
    assert!(store.unlock_user("erin").await.unwrap());
    let u = store.get_user("erin").await.unwrap().unwrap();
    assert_eq!((u.failed_logins, u.locked_until_ms), (0, None), "unlocking clears the lock");
    assert_eq!(u.last_login_at_ms, Some(70_000), "unlocking is not a login");

    assert_eq!(store.record_login_failure("ghost", 3, 1).await.unwrap(), None, "unknown users are not created");
    assert!(!store.unlock_user("ghost").await.unwrap(), "unlocking an unknown user reports absence");
}

async fn user_access_keeps_one_enabled_admin(store: &dyn Store) {
    store.put_user(&user("boss", "admin", false)).await.unwrap();
    store.put_user(&user("deputy", "admin", true)).await.unwrap();
    store.create_session(&session("boss-1", "boss", i64::MAX), None).await.unwrap();
    let demote = UserAccessUpdate { role: Some("analyst".into()), disabled: None };
    let disable = UserAccessUpdate { role: None, disabled: Some(true) };

    assert_eq!(
        store.update_user_access("boss", &demote, "admin").await.unwrap(),
        UserAccessChange::LastOfRole,
        "the last enabled admin cannot be demoted (a disabled admin does not count)"
    );
    assert_eq!(store.update_user_access("boss", &disable, "admin").await.unwrap(), UserAccessChange::LastOfRole);
    let boss = store.get_user("boss").await.unwrap().unwrap();
    assert_eq!((boss.role.as_str(), boss.disabled), ("admin", false), "a refused change changes nothing");
    assert!(store.get_session("boss-1").await.unwrap().is_some(), "a refused disable keeps the sessions");

    let enable = UserAccessUpdate { role: None, disabled: Some(false) };
    assert_eq!(store.update_user_access("deputy", &enable, "admin").await.unwrap(), UserAccessChange::Changed);
    assert_eq!(
        store.update_user_access("boss", &disable, "admin").await.unwrap(),
        UserAccessChange::Changed,
        "with another enabled admin, an admin can be disabled"
    );
    let boss = store.get_user("boss").await.unwrap().unwrap();
    assert_eq!((boss.role.as_str(), boss.disabled), ("admin", true), "disabling keeps the role");
    assert_eq!(store.get_session("boss-1").await.unwrap(), None, "disabling a user ends their sessions");

    assert_eq!(
        store.update_user_access("boss", &demote, "admin").await.unwrap(),
        UserAccessChange::Changed,
        "a disabled admin can be demoted freely"
    );
    assert_eq!(store.get_user("boss").await.unwrap().unwrap().role, "analyst");
    assert_eq!(
        store
            .update_user_access("erin", &UserAccessUpdate { role: Some("admin".into()), disabled: None }, "admin")
            .await
            .unwrap(),
        UserAccessChange::Changed,
        "promoting needs no check"
    );
    assert_eq!(store.update_user_access("ghost", &demote, "admin").await.unwrap(), UserAccessChange::UnknownUser);
}

fn audit(actor: &str, action: &str, at_ms: i64) -> AuditRecord {
    AuditRecord {
        at_ms,
        actor: actor.into(),
        action: action.into(),
        target: "products/P01".into(),
        detail: "{\"fields\":[\"price\"]}".into(),
        status: 200,
        ip: (actor == "alice").then(|| "10.0.0.1".into()),
        request_id: Some(format!("req-{at_ms}")),
    }
}

async fn audit_log_pages_newest_first(store: &dyn Store) {
    let mut seqs = Vec::new();
    for (i, actor) in ["alice", "bob", "alice", "bob", "alice"].into_iter().enumerate() {
        let record = AuditRecord { status: if i == 3 { 403 } else { 200 }, ..audit(actor, "update", i as i64) };
        seqs.push(store.append_audit(&record).await.unwrap());
    }
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequence numbers grow with each entry: {seqs:?}");

    let page = store.list_audit(&AuditQuery { limit: 2, ..AuditQuery::default() }).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [seqs[4], seqs[3]], "newest first, limited");
    assert_eq!(page[1].record, AuditRecord { status: 403, ..audit("bob", "update", 3) }, "every field round trips");
    assert_eq!(page[0].record.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(page[1].record.ip, None, "a missing address stays missing");

    let next = store.list_audit(&AuditQuery { before_seq: Some(seqs[3]), limit: 10, actor: None }).await.unwrap();
    assert_eq!(
        next.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [seqs[2], seqs[1], seqs[0]],
        "before_seq continues where the previous page stopped"
    );

    let alice = AuditQuery { actor: Some("alice".into()), before_seq: Some(seqs[4]), limit: 10 };
    let entries = store.list_audit(&alice).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [seqs[2], seqs[0]],
        "the actor filter combines with paging"
    );
    assert!(
        store
            .list_audit(&AuditQuery { actor: Some("nobody".into()), ..AuditQuery::default() })
            .await
            .unwrap()
            .is_empty(),
        "an actor without entries gets an empty page"
    );
}
