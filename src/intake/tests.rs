use super::raster::{self, Format, RasterError};
use super::*;
use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use std::io::Cursor;

fn encoded(img: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    DynamicImage::ImageLuma8(img.clone())
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn page() -> GrayImage {
    GrayImage::from_fn(300, 400, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]))
}

/// A PDF of one page drawing one Flate-compressed grey image whose dictionary claims
/// `width` × `height` and whose stream is `data` (compressed here).
fn pdf_with_flate_image(width: i64, height: i64, data: &[u8]) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let image_id = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => width, "Height" => height,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "FlateDecode",
        },
        miniz_oxide::deflate::compress_to_vec_zlib(data, 6),
    ));
    let content = doc.add_object(Stream::new(dictionary! {}, b"/Im0 Do".to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn jpeg_png_tiff_and_pdf_are_told_by_content_and_read_as_pages() {
    let img = page();
    for (format, expected) in [
        (ImageFormat::Png, Format::Png),
        (ImageFormat::Jpeg, Format::Jpeg),
        (ImageFormat::Tiff, Format::Tiff),
    ] {
        let bytes = encoded(&img, format);
        assert_eq!(Format::sniff(&bytes), Some(expected));
        let pages = raster::pages(&bytes).unwrap();
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].image.dimensions(), (300, 400));
        if format != ImageFormat::Jpeg {
            assert_eq!(pages[0].image, img, "{format:?} is lossless");
        }
    }
    let pdf = pdf_with_flate_image(300, 400, img.as_raw());
    assert_eq!(Format::sniff(&pdf), Some(Format::Pdf));
    let pages = raster::pages(&pdf).unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].image, img);
    assert!(matches!(
        raster::pages(b"GIF89a not ours"),
        Err(RasterError::UnknownFormat(_))
    ));
}

#[test]
fn oversized_and_bomb_images_are_refused_before_their_pixels_are_allocated() {
    // A PDF image that claims 20,000 × 20,000: refused from its dictionary.
    let huge = pdf_with_flate_image(20_000, 20_000, &[0; 16]);
    assert_eq!(
        raster::pages(&huge).err(),
        Some(RasterError::TooLarge {
            what: "the image on page 1".into(),
            width: 20_000,
            height: 20_000
        })
    );
    // A Flate bomb: 100 × 100 claimed, 50 MB of zeros inside (compressing to ~50 KB). The
    // inflation stops at the 10,000 bytes the dimensions need.
    let bomb = pdf_with_flate_image(100, 100, &vec![0; 50_000_000]);
    assert!(bomb.len() < 200_000);
    match raster::pages(&bomb) {
        Err(RasterError::Corrupt { reason, .. }) => {
            assert!(reason.contains("does not inflate"), "{reason}")
        }
        other => panic!("{:?}", other.map(|p| p.len())),
    }
    // A TIFF whose header claims more pixels than allowed.
    let mut tiff = encoded(&GrayImage::new(2, 2), ImageFormat::Tiff);
    // Little-endian TIFF: find the ImageWidth (256) and ImageLength (257) entries of IFD 0.
    let ifd = u32::from_le_bytes(tiff[4..8].try_into().unwrap()) as usize;
    let entries = u16::from_le_bytes(tiff[ifd..ifd + 2].try_into().unwrap()) as usize;
    for e in 0..entries {
        let at = ifd + 2 + e * 12;
        let tag = u16::from_le_bytes(tiff[at..at + 2].try_into().unwrap());
        if tag == 256 || tag == 257 {
            let kind = u16::from_le_bytes(tiff[at + 2..at + 4].try_into().unwrap());
            if kind == 3 {
                tiff[at + 8..at + 10].copy_from_slice(&20_000u16.to_le_bytes());
            } else {
                tiff[at + 8..at + 12].copy_from_slice(&20_000u32.to_le_bytes());
            }
        }
    }
    assert!(
        matches!(
            raster::pages(&tiff),
            Err(RasterError::TooLarge {
                width: 20_000,
                height: 20_000,
                ..
            })
        ),
        "{:?}",
        raster::pages(&tiff).map(|p| p.len()).err()
    );
}

#[test]
fn an_application_names_every_broken_field() {
    let ok = Application::from_json(
        r#"{"holder_name": "Иванов Иван", "birth_date": "2008-01-01", "iin": "080101500422",
            "country": "RU", "kind": "diploma", "route": "apostilled", "purpose": "recognition"}"#
            .as_bytes(),
    );
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(Application::from_json(b"{}"), Ok(Application::default()));
    let errors = Application::from_json(
        br#"{"holder_name": " ", "birth_date": "01.01.2008", "iin": "080101500423",
            "country": "Russia"}"#,
    )
    .unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["holder_name", "birth_date", "iin", "country"],
        "{errors:?}"
    );
    // The IIN must agree with the birth date when both are given.
    let errors = Application::from_json(br#"{"birth_date": "2008-01-02", "iin": "080101500422"}"#)
        .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].reason.contains("birth date"), "{errors:?}");
    let errors = Application::from_json(br#"{"kind": "passport"}"#).unwrap_err();
    assert!(errors[0].reason.contains("passport"), "{errors:?}");
}

#[test]
fn an_unknown_country_is_refused_by_name() {
    for c in ["ZZ", "XK", "SU"] {
        let json = format!(r#"{{"country": "{c}"}}"#);
        let errors = Application::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{c}: {errors:?}");
        assert_eq!(errors[0].field, "country");
        assert!(
            errors[0].reason.contains(c) && errors[0].reason.contains("not an assigned"),
            "{errors:?}"
        );
    }
    // A real country the reference library does not cover is still an application.
    assert!(Application::from_json(br#"{"country": "FR"}"#).is_ok());
}

#[test]
fn an_application_that_contradicts_itself_names_each_contradiction() {
    let fields = |json: &str| -> Vec<String> {
        Application::from_json(json.as_bytes())
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    };
    assert_eq!(
        fields(r#"{"country": "KZ", "purpose": "recognition"}"#),
        ["purpose"]
    );
    assert_eq!(
        fields(
            r#"{"country": "RU", "purpose": "apostille", "route": "apostilled", "kind": "apostille"}"#
        ),
        ["purpose", "route", "kind"]
    );
    assert!(
        fields(
            r#"{"country": "KZ", "purpose": "apostille", "route": "neither", "kind": "diploma"}"#
        )
        .is_empty()
    );
    assert!(
        fields(r#"{"country": "RU", "purpose": "recognition", "route": "apostilled"}"#).is_empty()
    );
}

#[test]
fn a_case_keeps_its_files_byte_for_byte_or_nothing_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = Cases::new(tmp.path());
    let png = encoded(&page(), ImageFormat::Png);
    let jpeg = encoded(&page(), ImageFormat::Jpeg);
    let app = Application {
        holder_name: Some("Иванов Иван".into()),
        ..Application::default()
    };
    // One bad file among good ones: nothing is kept, and the bad one is named.
    let err = cases
        .open_case(
            &app,
            vec![
                ("diploma.png".into(), png.clone()),
                ("supplement.jpg".into(), b"not an image".to_vec()),
            ],
        )
        .unwrap_err();
    assert!(err.to_string().contains("supplement.jpg"), "{err}");
    assert!(
        !tmp.path().join("cases").exists()
            || std::fs::read_dir(tmp.path().join("cases")).unwrap().count() == 0
    );
    let id = cases
        .open_case(
            &app,
            vec![
                ("diploma.png".into(), png.clone()),
                ("apostille.jpg".into(), jpeg.clone()),
            ],
        )
        .unwrap();
    let (read_app, files) = cases.read(&id).unwrap();
    assert_eq!(read_app, app);
    assert_eq!(files.len(), 2);
    assert_eq!(
        (files[0].name.as_str(), &files[0].bytes),
        ("diploma.png", &png)
    );
    assert_eq!(files[1].bytes, jpeg);
    assert_eq!(files[1].format, Format::Jpeg);
    // A stored file changed on disk is caught by its hash.
    let stored = tmp
        .path()
        .join("cases")
        .join(&id)
        .join("files")
        .join(format!("{}.png", files[0].sha256));
    let mut bytes = std::fs::read(&stored).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&stored, bytes).unwrap();
    assert!(matches!(cases.read(&id), Err(CaseError::Altered(n)) if n == "diploma.png"));
    assert!(matches!(cases.read("../etc"), Err(CaseError::Unknown(_))));
}

#[test]
fn a_file_over_the_size_limit_is_refused_by_name_before_it_is_read() {
    // A 1 GB TIFF is refused the same way: by its length, before any header is parsed.
    let mut big = encoded(&page(), ImageFormat::Tiff);
    big.resize(MAX_FILE_BYTES + 1, 0);
    let e = Received::check("scan.tif", big).err().expect("refused");
    assert_eq!(e.field, "file \"scan.tif\"");
    assert!(
        e.reason.contains(&format!("at most {MAX_FILE_BYTES}")),
        "{e}"
    );
}

#[test]
fn cases_are_listed_oldest_first_and_only_unread_ones_wait_for_a_reading() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = Cases::new(tmp.path());
    assert!(cases.ids().unwrap().is_empty());
    let png = encoded(&page(), ImageFormat::Png);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            cases
                .open_case(&Application::default(), vec![("p.png".into(), png.clone())])
                .unwrap(),
        );
        // Opening times must differ for the order to be observable.
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A case a crash left half-written is not a case.
    std::fs::create_dir_all(tmp.path().join("cases/.new-abc/files")).unwrap();
    assert_eq!(cases.ids().unwrap(), ids);
    assert_eq!(cases.unread().unwrap(), ids);
    assert_eq!(cases.reading(&ids[1]).unwrap(), None);
    let reading = serde_json::json!({"files": [{"status": "read"}]});
    cases.store_reading(&ids[1], &reading).unwrap();
    assert_eq!(cases.reading(&ids[1]).unwrap(), Some(reading));
    assert_eq!(
        cases.unread().unwrap(),
        vec![ids[0].clone(), ids[2].clone()]
    );
    let (app, files) = cases.listing(&ids[0]).unwrap();
    assert_eq!(app, Application::default());
    assert_eq!(files[0].format, Format::Png);
    assert!(matches!(cases.reading("nope"), Err(CaseError::Unknown(_))));
}

#[test]
fn a_scan_of_two_thousand_pages_is_refused_by_its_page_count_before_any_page_is_decoded() {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let image_id = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        vec![200; 64],
    ));
    let content = doc.add_object(Stream::new(dictionary! {}, b"/Im0 Do".to_vec()));
    let kids: Vec<Object> = (0..2000)
        .map(|_| {
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
            })
            .into()
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => 2000 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).unwrap();
    let received = Received::check("case.pdf", pdf).unwrap();
    let e = received.pages().err().unwrap().to_string();
    assert!(e.contains("case.pdf") && e.contains("2000 pages"), "{e}");
}
