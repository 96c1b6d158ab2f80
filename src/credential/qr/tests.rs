use super::*;
use serde_json::json;

const BASE: &str = "https://tanba.edu.kz";

fn diploma_payload() -> QrPayload {
    // Long names in Kazakh Cyrillic: a worst case for size.
    let claims = json!({
        "holder_name": "Нұрмұхамедова Әйгерім-Гүлжаһан Серікбайқызы",
        "holder_iin": "020711300047",
        "level": "bachelor",
        "specialty_code": "6B06101",
        "specialty_name": "Ақпараттық жүйелер",
        "qualification": "Ақпараттық жүйелер білім беру бағдарламасы бойынша ақпараттық-коммуникациялық технологиялар бакалавры",
        "series": "ЖБ-Б",
        "number": "1234567",
        "honours": true,
        "supplement": {"courses": [], "gpa": 3.75},
    });
    QrPayload {
        id: CredentialId::random(),
        v: 1,
        k: DocumentKind::Diploma,
        iss: "970940001239".into(),
        dt: "2024-06-28".into(),
        c: offline_claims(DocumentKind::Diploma, claims.as_object().unwrap()),
    }
}

/// Decodes a PNG with rqrr, an independent QR decoder.
fn scan(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code in the image");
    grids[0].decode().unwrap().1
}

#[test]
fn renders_within_version_15_m_and_verifies_after_an_independent_decode() {
    let key = IssuerSigningKey::generate();
    let payload = diploma_payload();
    let text = encode(&payload, &key, BASE).unwrap();
    assert!(text.starts_with("HTTPS://TANBA.EDU.KZ/V/"));
    assert!(
        text.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || " $%*+-./:".contains(c)),
        "the whole text is QR alphanumeric"
    );
    let (png, version) = render_png(&text, 4).unwrap();
    assert!(version <= MAX_VERSION, "version {version}");
    let scanned = scan(&png);
    assert_eq!(scanned, text);
    let back = verify(&scanned, &key.public()).unwrap();
    assert_eq!(back, payload);
    let shown = expand_claims(&back.c);
    assert_eq!(
        shown["holder_name"],
        "Нұрмұхамедова Әйгерім-Гүлжаһан Серікбайқызы"
    );
    assert_eq!(shown["specialty_code"], "6B06101");
    assert!(!shown.contains_key("holder_iin"), "no IIN on paper");
    assert!(!shown.contains_key("supplement"), "no grades on paper");
    eprintln!("diploma QR: {} characters, version {version}", text.len());
}

#[test]
fn tampering_truncation_and_foreign_keys_are_refused() {
    let key = IssuerSigningKey::generate();
    let payload = diploma_payload();
    let text = encode(&payload, &key, BASE).unwrap();

    // A forger signs the same content with his own key: the key id gives him away…
    let forger = IssuerSigningKey::generate();
    let forged = encode(&payload, &forger, BASE).unwrap();
    assert!(matches!(
        verify(&forged, &key.public()),
        Err(QrError::WrongKey { .. })
    ));

    // …and if he copies the real key id, the signature does not verify.
    let (_, _, mut sign1) = decode(&forged).unwrap();
    sign1.protected.header.key_id = hex::decode(key.public().key_id()).unwrap();
    sign1.protected.original_data = None;
    let mut altered = payload.clone();
    altered
        .c
        .insert("holder_name".into(), json!("Someone Else"));
    let mut cbor = Vec::new();
    ciborium::into_writer(&altered, &mut cbor).unwrap();
    sign1.payload = Some(cbor);
    let repacked = format!(
        "{BASE}{PATH}{}",
        data_encoding::BASE32_NOPAD.encode(&miniz_oxide::deflate::compress_to_vec_zlib(
            &sign1.to_tagged_vec().unwrap(),
            9
        ))
    );
    assert!(matches!(
        verify(&repacked, &key.public()),
        Err(QrError::BadSignature(_))
    ));

    // Truncated or corrupted text gets a clear error, never a panic.
    let cut = &text[..text.len() - 7];
    assert!(verify(cut, &key.public()).is_err());
    let mut corrupted = text.clone().into_bytes();
    let n = corrupted.len();
    corrupted[n - 20] = if corrupted[n - 20] == b'A' {
        b'B'
    } else {
        b'A'
    };
    assert!(verify(std::str::from_utf8(&corrupted).unwrap(), &key.public()).is_err());
    assert_eq!(
        decode("https://tanba.edu.kz/").unwrap_err(),
        QrError::NoPayload
    );
    assert_eq!(decode("HTTPS://X/V/11111").unwrap_err(), QrError::NotBase32);
    assert_eq!(
        decode("HTTPS://X/V/AAAAAAAA").unwrap_err(),
        QrError::NotCompressed
    );
}

#[test]
fn a_payload_too_large_for_paper_is_refused() {
    let key = IssuerSigningKey::generate();
    let mut p = diploma_payload();
    // Incompressible text: xorshift letters.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let noise: String = (0..700)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    p.c.insert("n".into(), json!(noise));
    let text = encode(&p, &key, BASE).unwrap();
    assert!(matches!(render_png(&text, 4), Err(QrError::TooLarge(v)) if v > 15));
}

#[test]
fn packing_is_byte_stable() {
    // Printed codes must keep verifying for decades, and `decode` accepts only the exact bytes
    // `encode` writes: a fixed payload and key must always pack to the same text. If this
    // fails after a dependency upgrade (coset, ciborium, miniz_oxide), pin the old version.
    let key = IssuerSigningKey::from_bytes(&[7; 32]);
    let mut c = serde_json::Map::new();
    c.insert("n".into(), "Әсел Нұрланқызы".into());
    c.insert("l".into(), "general_secondary".into());
    let payload = QrPayload {
        id: CredentialId::from_bytes([0x11; 16]),
        v: 1,
        k: DocumentKind::Attestat,
        iss: "970940001239".into(),
        dt: "2026-06-20".into(),
        c,
    };
    let text = encode(&payload, &key, BASE).unwrap();
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    assert_eq!(
        digest, "932ffa420e0c44ac5468a1ae024079e9c0253028bb4d52be1a099077e2d1ee1c",
        "{text}"
    );
    assert_eq!(verify(&text, &key.public()).unwrap(), payload);
}

#[test]
fn a_code_whose_ignored_bits_were_changed_is_refused() {
    let key = IssuerSigningKey::generate();
    let text = encode(&diploma_payload(), &key, BASE).unwrap();
    let at = text.rfind(PATH).unwrap() + PATH.len();
    let mut packed = data_encoding::BASE32_NOPAD
        .decode(&text.as_bytes()[at..])
        .unwrap();
    // Zlib header, then the first deflate byte; for a stored block its upper five bits are
    // padding that decoders skip. Flip them all: the content is unchanged, the code is not ours.
    if packed[2] & 0b110 == 0 {
        packed[2] ^= 0xF8;
    } else {
        // A compressed block: alter the zlib header's FLEVEL bits instead, keeping FCHECK valid.
        let cmf = packed[0] as u16;
        let mut flg = (packed[1] & 0x20) ^ 0x40;
        flg |= (31 - ((cmf * 256 + flg as u16) % 31) as u8) % 31;
        packed[1] = flg;
    }
    let altered = format!(
        "{}{}",
        &text[..at],
        data_encoding::BASE32_NOPAD.encode(&packed)
    );
    assert_ne!(altered, text);
    assert_eq!(verify(&altered, &key.public()), Err(QrError::NotCanonical));
}

#[test]
fn the_reused_compressor_packs_exactly_as_a_fresh_one() {
    // Inputs of different sizes and contents, packed one after another on one thread: a reset
    // that left state behind would change the bytes of the second and later ones.
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"a".to_vec(),
        "Әсел Нұрланқызы, 2026-06-20, 970940001239"
            .repeat(7)
            .into_bytes(),
        (0..5000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect(),
        b"abcabcabc".repeat(2000),
    ];
    for round in 0..2 {
        for input in &inputs {
            assert_eq!(
                super::pack(input),
                miniz_oxide::deflate::compress_to_vec_zlib(input, 9),
                "round {round}, {} bytes",
                input.len()
            );
        }
    }
}
