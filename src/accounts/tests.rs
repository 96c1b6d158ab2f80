use super::journal::{Journal, JournalLine, Outcome, Query};
use super::*;
use crate::store::RedbStore;

const BIN_A: &str = "970940001239";
const BIN_B: &str = "050140003254";
const IIN: &str = "080101601000";

fn accounts() -> (tempfile::TempDir, Accounts, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("s.redb")).unwrap());
    (dir, Accounts::new(store.clone()), store)
}

fn new(username: &str, role: Role, org: Option<&str>, iin: Option<&str>) -> NewAccount {
    NewAccount {
        username: username.into(),
        role,
        org: org.map(Into::into),
        iin: iin.map(Into::into),
        password: Some("correct horse battery".into()),
    }
}

#[test]
fn sign_in_tokens_and_their_revocation() {
    let (_d, acc, store) = accounts();
    acc.create(new("op.a", Role::IssuerOperator, Some(BIN_A), None))
        .unwrap();
    // The password is stored as an Argon2id PHC string, never in clear.
    let raw = store
        .get_record(Collection::Accounts, "op.a")
        .unwrap()
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    assert!(raw.contains("$argon2id$"), "{raw}");
    assert!(!raw.contains("correct horse"));

    let session = acc.login("op.a", "correct horse battery").unwrap();
    let p = acc.authenticate(&session).unwrap();
    assert_eq!(p.username, "op.a");
    assert_eq!(p.org.as_deref(), Some(BIN_A));
    // Only the hash of the secret is stored.
    let (id, secret) = Accounts::split(&session).unwrap();
    let rec =
        String::from_utf8(store.get_record(Collection::Tokens, id).unwrap().unwrap()).unwrap();
    assert!(!rec.contains(secret));
    assert!(rec.contains(&sha256_hex(secret.as_bytes())));

    // Wrong password, unknown user, tampered token: all refused the same way.
    assert!(matches!(
        acc.login("op.a", "wrong password!!"),
        Err(AccountError::BadLogin)
    ));
    assert!(matches!(
        acc.login("nobody", "correct horse battery"),
        Err(AccountError::BadLogin)
    ));
    let mut tampered = session.clone();
    tampered.pop();
    tampered.push(if session.ends_with('A') { 'B' } else { 'A' });
    assert!(matches!(
        acc.authenticate(&tampered),
        Err(AccountError::BadToken)
    ));
    assert!(matches!(
        acc.authenticate("Bearer nonsense"),
        Err(AccountError::BadToken)
    ));

    let api = acc.create_token("op.a", "school MIS").unwrap();
    assert_eq!(acc.authenticate(&api).unwrap().username, "op.a");
    acc.revoke_token(&api).unwrap();
    assert!(acc.authenticate(&api).is_err());
    // The session is unaffected by revoking the API token.
    acc.authenticate(&session).unwrap();

    // Disabling the account stops every token.
    acc.set_disabled("op.a", true).unwrap();
    assert!(acc.authenticate(&session).is_err());
    assert!(acc.login("op.a", "correct horse battery").is_err());
}

#[test]
fn account_shapes_are_checked() {
    let (_d, acc, _) = accounts();
    let e = acc
        .create(new("Op A", Role::IssuerOperator, Some(BIN_A), None))
        .unwrap_err();
    assert!(matches!(e, AccountError::BadUsername(_)), "{e}");
    let e = acc
        .create(new("op.a", Role::IssuerOperator, None, None))
        .unwrap_err();
    assert!(e.to_string().starts_with("org:"), "{e}");
    let e = acc
        .create(new(
            "op.a",
            Role::IssuerOperator,
            Some("970940001238"),
            None,
        ))
        .unwrap_err();
    assert!(e.to_string().contains("org"), "{e}");
    let e = acc.create(new("h", Role::Holder, None, None)).unwrap_err();
    assert!(matches!(e, AccountError::BadUsername(_)), "{e}");
    let e = acc
        .create(new("holder1", Role::Holder, None, None))
        .unwrap_err();
    assert!(e.to_string().starts_with("iin:"), "{e}");
    let e = acc
        .create(new("holder1", Role::Admin, None, Some(IIN)))
        .unwrap_err();
    assert!(e.to_string().starts_with("iin:"), "{e}");
    let mut weak = new("admin", Role::Admin, None, None);
    weak.password = Some("short".into());
    assert!(matches!(
        acc.create(weak).unwrap_err(),
        AccountError::WeakPassword
    ));
    acc.create(new("admin", Role::Admin, None, None)).unwrap();
    assert!(matches!(
        acc.create(new("admin", Role::Admin, None, None))
            .unwrap_err(),
        AccountError::Exists(_)
    ));
    assert!(acc.list().unwrap().iter().all(|a| a.password.is_none()));
}

#[test]
fn operators_act_only_for_their_own_organisation() {
    let op = |org: &str| Principal {
        username: format!("op.{org}"),
        role: Role::IssuerOperator,
        org: Some(org.into()),
        iin: None,
        token_id: String::new(),
    };
    let a = op(BIN_A);
    a.authorise(&Action::Issue { bin: BIN_A }).unwrap();
    a.authorise(&Action::Change { issuer: BIN_A }).unwrap();
    let e = a.authorise(&Action::Issue { bin: BIN_B }).unwrap_err();
    assert!(e.contains(BIN_B), "{e}");
    a.authorise(&Action::Change { issuer: BIN_B }).unwrap_err();
    a.authorise(&Action::Read {
        issuer: BIN_B,
        holders: &[IIN],
    })
    .unwrap_err();
    a.authorise(&Action::ManageAccounts).unwrap_err();

    let holder = Principal {
        username: "holder1".into(),
        role: Role::Holder,
        org: None,
        iin: Some(IIN.into()),
        token_id: String::new(),
    };
    holder
        .authorise(&Action::Read {
            issuer: BIN_A,
            holders: &[IIN],
        })
        .unwrap();
    holder
        .authorise(&Action::Read {
            issuer: BIN_A,
            holders: &["080101601001"],
        })
        .unwrap_err();
    holder.authorise(&Action::Issue { bin: BIN_A }).unwrap_err();

    let admin = Principal {
        username: "admin".into(),
        role: Role::Admin,
        org: None,
        iin: None,
        token_id: String::new(),
    };
    admin.authorise(&Action::ManageAccounts).unwrap();
    admin.authorise(&Action::ReadJournal).unwrap();
    // The authority manages; it does not issue in an organisation's name.
    admin.authorise(&Action::Issue { bin: BIN_A }).unwrap_err();
}

#[test]
fn journal_lines_are_numbered_and_filtered_by_user_and_period() {
    let (_d, _, store) = accounts();
    let j = Journal::new(store);
    let line = |who: &str, at: &str, outcome| JournalLine {
        n: 0,
        at: at.into(),
        who: who.into(),
        role: None,
        org: None,
        action: "credential.issue".into(),
        target: BIN_A.into(),
        source: "127.0.0.1".into(),
        outcome,
        detail: String::new(),
    };
    assert_eq!(
        j.record(line("op.a", "2026-11-20T10:00:00Z", Outcome::Ok))
            .unwrap(),
        1
    );
    j.record(line("op.b", "2026-11-21T10:00:00Z", Outcome::Refused))
        .unwrap();
    j.record(line("op.a", "2026-11-22T10:00:00Z", Outcome::Ok))
        .unwrap();
    let all = j.query(&Query::default()).unwrap();
    assert_eq!(all.iter().map(|l| l.n).collect::<Vec<_>>(), [1, 2, 3]);
    let a = j
        .query(&Query {
            user: Some("op.a".into()),
            ..Query::default()
        })
        .unwrap();
    assert_eq!(a.iter().map(|l| l.n).collect::<Vec<_>>(), [1, 3]);
    let day = j
        .query(&Query {
            since: Some("2026-11-21".into()),
            until: Some("2026-11-21".into()),
            ..Query::default()
        })
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].outcome, Outcome::Refused);
    let e = j
        .query(&Query {
            since: Some("yesterday".into()),
            ..Query::default()
        })
        .unwrap_err();
    assert!(e.contains("yesterday"), "{e}");
}
