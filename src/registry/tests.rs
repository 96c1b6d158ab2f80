use super::*;
use time::macros::date;

const SCHOOL: &str = "970940001239";

struct Fixture {
    root: IssuerSigningKey,
    reg: Registry,
    key: IssuerSigningKey,
}

fn names() -> Names {
    Names {
        kk: "№ 25 мектеп-гимназиясы".into(),
        ru: "Школа-гимназия № 25".into(),
        en: "School-Gymnasium No. 25".into(),
    }
}

fn fixture() -> Fixture {
    let root = IssuerSigningKey::generate();
    let mut reg = Registry::new(root.public());
    let key = IssuerSigningKey::generate();
    let register = reg
        .sign(
            &root,
            Change::RegisterIssuer {
                seq: 1,
                bin: SCHOOL.into(),
                names: names(),
                kinds: vec![DocumentKind::Attestat],
            },
        )
        .unwrap();
    reg.apply(&register).unwrap();
    let add = reg
        .sign(
            &root,
            Change::AddKey {
                seq: 2,
                bin: SCHOOL.into(),
                key_id: key.public().key_id(),
                public_key: key.public().to_base64url(),
                not_before: "2025-01-01".into(),
                not_after: "2027-12-31".into(),
            },
        )
        .unwrap();
    reg.apply(&add).unwrap();
    Fixture { root, reg, key }
}

#[test]
fn a_registered_key_is_authorised_within_its_validity_and_kinds() {
    let f = fixture();
    let id = f.key.public().key_id();
    let k = f
        .reg
        .authorise(SCHOOL, &id, DocumentKind::Attestat, date!(2026 - 06 - 20))
        .unwrap();
    assert_eq!(k.public_key, f.key.public());

    let e = f
        .reg
        .authorise(SCHOOL, &id, DocumentKind::Diploma, date!(2026 - 06 - 20))
        .unwrap_err();
    assert!(matches!(e, RegistryError::KindNotPermitted { .. }), "{e}");
    let e = f
        .reg
        .authorise(SCHOOL, &id, DocumentKind::Attestat, date!(2028 - 01 - 01))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("valid from 2025-01-01 to 2027-12-31, not on 2028-01-01"),
        "{e}"
    );
    let e = f
        .reg
        .authorise(
            SCHOOL,
            "0011223344556677",
            DocumentKind::Attestat,
            date!(2026 - 06 - 20),
        )
        .unwrap_err();
    assert!(matches!(e, RegistryError::UnknownKey { .. }));
    let e = f
        .reg
        .authorise(
            "000000000000",
            &id,
            DocumentKind::Attestat,
            date!(2026 - 06 - 20),
        )
        .unwrap_err();
    assert!(matches!(e, RegistryError::UnknownIssuer(_)));
}

#[test]
fn revocation_stops_signing_from_its_date_but_not_before() {
    let mut f = fixture();
    let id = f.key.public().key_id();
    let revoke = f
        .reg
        .sign(
            &f.root,
            Change::RevokeKey {
                seq: 3,
                bin: SCHOOL.into(),
                key_id: id.clone(),
                revoked_on: "2026-09-01".into(),
                reason: "key compromised".into(),
            },
        )
        .unwrap();
    f.reg.apply(&revoke).unwrap();
    assert!(
        f.reg
            .authorise(SCHOOL, &id, DocumentKind::Attestat, date!(2026 - 06 - 20))
            .is_ok()
    );
    let e = f
        .reg
        .authorise(SCHOOL, &id, DocumentKind::Attestat, date!(2026 - 09 - 01))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("revoked on 2026-09-01 (key compromised)"),
        "{e}"
    );
}

#[test]
fn changes_must_be_in_sequence_and_signed_by_the_root() {
    let mut f = fixture();
    let set = Change::SetKinds {
        seq: 4,
        bin: SCHOOL.into(),
        kinds: vec![DocumentKind::Attestat, DocumentKind::Diploma],
    };
    let skipped = f.reg.sign(&f.root, set.clone()).unwrap();
    assert_eq!(
        f.reg.apply(&skipped),
        Err(RegistryError::OutOfOrder { want: 3, got: 4 })
    );
    let set = Change::SetKinds {
        seq: 3,
        bin: SCHOOL.into(),
        kinds: vec![DocumentKind::Attestat, DocumentKind::Diploma],
    };
    let impostor = IssuerSigningKey::generate();
    let forged = f.reg.sign(&impostor, set.clone()).unwrap();
    assert_eq!(f.reg.apply(&forged), Err(RegistryError::NotRoot { seq: 3 }));
    let mut tampered = f.reg.sign(&f.root, set.clone()).unwrap();
    if let Change::SetKinds { kinds, .. } = &mut tampered.body {
        kinds.push(DocumentKind::Guardianship);
    }
    assert_eq!(
        f.reg.apply(&tampered),
        Err(RegistryError::NotRoot { seq: 3 })
    );
    // Refused changes left no trace: the genuine one still applies as event 3.
    f.reg.apply(&f.reg.sign(&f.root, set).unwrap()).unwrap();
    assert_eq!(f.reg.issuer(SCHOOL).unwrap().kinds.len(), 2);
}

#[test]
fn malformed_changes_are_refused_with_the_field_named() {
    let mut f = fixture();
    let mut try_apply = |body: Change| {
        let c = f.reg.sign(&f.root, body).unwrap();
        f.reg.apply(&c).unwrap_err()
    };
    let e = try_apply(Change::RegisterIssuer {
        seq: 3,
        bin: "970940001230".into(),
        names: names(),
        kinds: vec![DocumentKind::Diploma],
    });
    assert!(
        matches!(e, RegistryError::Invalid { field: "bin", .. }),
        "{e}"
    );
    let e = try_apply(Change::RegisterIssuer {
        seq: 3,
        bin: SCHOOL.into(),
        names: names(),
        kinds: vec![DocumentKind::Diploma],
    });
    assert_eq!(e, RegistryError::DuplicateIssuer(SCHOOL.into()));
    let other = IssuerSigningKey::generate();
    let e = try_apply(Change::AddKey {
        seq: 3,
        bin: SCHOOL.into(),
        key_id: "0000000000000000".into(),
        public_key: other.public().to_base64url(),
        not_before: "2025-01-01".into(),
        not_after: "2026-01-01".into(),
    });
    assert!(
        matches!(
            e,
            RegistryError::Invalid {
                field: "key_id",
                ..
            }
        ),
        "{e}"
    );
    let e = try_apply(Change::AddKey {
        seq: 3,
        bin: SCHOOL.into(),
        key_id: other.public().key_id(),
        public_key: other.public().to_base64url(),
        not_before: "2025-01-01".into(),
        not_after: "2024-01-01".into(),
    });
    assert!(
        matches!(
            e,
            RegistryError::Invalid {
                field: "not_after",
                ..
            }
        ),
        "{e}"
    );
    let e = try_apply(Change::AddKey {
        seq: 3,
        bin: SCHOOL.into(),
        key_id: other.public().key_id(),
        public_key: other.public().to_base64url(),
        not_before: "2025-13-01".into(),
        not_after: "2026-01-01".into(),
    });
    assert!(
        matches!(
            e,
            RegistryError::Invalid {
                field: "not_before",
                ..
            }
        ),
        "{e}"
    );
    let e = try_apply(Change::SetKinds {
        seq: 3,
        bin: SCHOOL.into(),
        kinds: vec![],
    });
    assert!(
        matches!(e, RegistryError::Invalid { field: "kinds", .. }),
        "{e}"
    );
}

#[test]
fn trust_list_is_root_signed_and_lists_keys() {
    let f = fixture();
    let list = f.reg.trust_list(&f.root, date!(2026 - 11 - 22)).unwrap();
    list.verify(&f.root.public()).unwrap();
    assert_eq!(list.body["registry_seq"], 2);
    assert_eq!(list.body["issuers"][0]["bin"], SCHOOL);
    assert_eq!(
        list.body["issuers"][0]["keys"][0]["public_key"],
        f.key.public().to_base64url()
    );
    let mut tampered = list.clone();
    tampered.body["issuers"][0]["kinds"] = serde_json::json!(["attestat", "diploma"]);
    assert_eq!(
        tampered.verify(&f.root.public()),
        Err(RegistryError::BadTrustList)
    );
}
