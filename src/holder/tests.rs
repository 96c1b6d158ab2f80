use super::*;
use crate::store::RedbStore;

const IIN: &str = "080101601000";

fn shares() -> (tempfile::TempDir, Shares, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(&dir.path().join("s.redb")).unwrap());
    (dir, Shares::new(store.clone()), store)
}

#[test]
fn a_code_works_once_and_only_for_its_challenge() {
    let codes = OneTimeCodes::default();
    let (challenge, code) = codes.start(IIN).unwrap();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let (other, _) = codes.start(IIN).unwrap();
    assert_ne!(challenge, other);
    // Another challenge's id does not take this code (unless the codes happen to agree).
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert!(matches!(
        codes.finish(&challenge, wrong),
        Err(HolderError::BadCode)
    ));
    assert_eq!(codes.finish(&challenge, &code).unwrap(), IIN);
    // Used up.
    assert!(matches!(
        codes.finish(&challenge, &code),
        Err(HolderError::BadCode)
    ));
    assert!(matches!(
        codes.finish("nonsense", &code),
        Err(HolderError::BadCode)
    ));
}

#[test]
fn wrong_codes_use_up_the_attempts_and_codes_per_iin_are_bounded() {
    let codes = OneTimeCodes::default();
    let (challenge, code) = codes.start(IIN).unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..CODE_ATTEMPTS {
        assert!(matches!(
            codes.finish(&challenge, wrong),
            Err(HolderError::BadCode)
        ));
    }
    // Even the right code is refused now.
    assert!(matches!(
        codes.finish(&challenge, &code),
        Err(HolderError::BadCode)
    ));
    // The void challenge no longer counts; three more may be pending, not four.
    for _ in 0..CODES_PER_IIN {
        codes.start(IIN).unwrap();
    }
    assert!(matches!(codes.start(IIN), Err(HolderError::TooManyCodes)));
    // Another person is not affected.
    codes.start("900101300013").unwrap();
}

#[test]
fn share_links_open_count_expire_and_revoke() {
    let (_d, shares, store) = shares();
    let id = CredentialId::from_bytes([7; 16]);
    let (share, token) = shares
        .create("holder-a", &id, 2, vec!["holder_name".into()], 7)
        .unwrap();
    assert_eq!(share.expires - share.created, 7 * 86_400);
    // Only a hash of the secret is stored.
    let secret = token.split_once('_').unwrap().1;
    let stored = store.get_record(Collection::Shares, &share.id).unwrap();
    assert!(!String::from_utf8(stored.unwrap()).unwrap().contains(secret));

    let opened = shares.open(&token).unwrap();
    assert_eq!(
        (opened.credential.as_str(), opened.version),
        (&*id.to_string(), 2)
    );
    assert_eq!(shares.open(&token).unwrap().used, 2);
    assert_eq!(shares.list("holder-a").unwrap()[0].uses.len(), 2);
    // A wrong secret, a cut token, another holder's listing: nothing.
    let forged = format!("{}_{}", share.id, "A".repeat(43));
    assert!(matches!(shares.open(&forged), Err(HolderError::NoShare(_))));
    assert!(matches!(
        shares.open(&token[..20]),
        Err(HolderError::NoShare(_))
    ));
    assert!(shares.list("holder-b").unwrap().is_empty());
    assert!(matches!(
        shares.revoke("holder-b", &share.id),
        Err(HolderError::NoShare(_))
    ));

    // Expired: says when, and the count does not move.
    let mut s = shares.get(&share.id).unwrap().unwrap();
    s.expires = now() - 10;
    shares.put(&s, false).unwrap();
    assert_eq!(
        shares.open(&token).unwrap_err().to_string(),
        format!("share link expired on {}", iso_date(now() - 10))
    );
    assert_eq!(shares.get(&share.id).unwrap().unwrap().used, 2);

    // Revoked by its owner.
    let (_, token2) = shares
        .create("holder-a", &id, 2, vec!["level".into()], 1)
        .unwrap();
    let share2 = shares.open(&token2).unwrap();
    shares.revoke("holder-a", &share2.id).unwrap();
    assert!(matches!(shares.open(&token2), Err(HolderError::Revoked(d)) if d == iso_date(now())));
    assert_eq!(shares.list("holder-a").unwrap().len(), 2);
}

#[test]
fn share_links_refuse_bad_terms() {
    let (_d, shares, _) = shares();
    let id = CredentialId::from_bytes([1; 16]);
    for days in [0, -1, MAX_SHARE_DAYS + 1] {
        let e = shares
            .create("h", &id, 1, vec!["level".into()], days)
            .unwrap_err();
        assert!(e.to_string().starts_with("days:"), "{e}");
    }
    let e = shares.create("h", &id, 1, vec![], 3).unwrap_err();
    assert!(e.to_string().starts_with("claims:"), "{e}");
}
