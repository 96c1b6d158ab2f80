use super::*;
use crate::credential::ids::tests::with_check;
use time::macros::date;

fn attestat_csv(sep: char, names: [&str; 2]) -> String {
    let h = [
        "full_name",
        "iin",
        "level",
        "school",
        "study_start",
        "study_end",
        "issued_on",
        "series",
        "number",
        "honours",
        "subjects",
    ];
    let rows = [
        [
            names[0],
            &with_check("08031560012"),
            "general_secondary",
            "Школа № 25",
            "2014-09-01",
            "2026-05-25",
            "2026-06-20",
            "ЖОБ",
            "0012345",
            "altyn_belgi",
            "Алгебра:5; Физика:5",
        ],
        [
            names[1],
            &with_check("08041550023"),
            "general_secondary",
            "Школа № 25",
            "2014-09-01",
            "2026-05-25",
            "2026-06-20",
            "ЖОБ",
            "0012346",
            "",
            "Алгебра:4; Физика:5",
        ],
    ];
    let line = |v: &[&str]| {
        v.iter()
            .map(|c| {
                if c.contains(sep) {
                    format!("\"{c}\"")
                } else {
                    c.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(&sep.to_string())
    };
    format!("{}\n{}\n{}\n", line(&h), line(&rows[0]), line(&rows[1]))
}

#[test]
fn utf8_with_commas_gives_valid_documents() {
    let csv = attestat_csv(',', ["Жұмабаева Әсел Нұрланқызы", "Иванов Пётр Сергеевич"]);
    let (docs, enc, errors) = parse_csv(csv.as_bytes(), DocumentKind::Attestat).unwrap();
    assert_eq!(enc, Encoding::Utf8);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(docs.len(), 2);
    for d in &docs {
        d.validate(date!(2026 - 11 - 22)).unwrap();
    }
    let Document::Attestat(a) = &docs[0] else {
        panic!()
    };
    assert_eq!(a.holder.full_name, "Жұмабаева Әсел Нұрланқызы");
    assert_eq!(a.subjects[1].name, "Физика");
    // With a BOM, as Excel writes "CSV UTF-8".
    let bom = [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat();
    assert_eq!(parse_csv(&bom, DocumentKind::Attestat).unwrap().0, docs);
}

#[test]
fn windows_1251_with_semicolons_reads_the_same_names() {
    let csv = attestat_csv(';', ["Петрова Анна Ивановна", "Иванов Пётр Сергеевич"]);
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&csv);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the test input really is not UTF-8"
    );
    let (docs, enc, errors) = parse_csv(&bytes, DocumentKind::Attestat).unwrap();
    assert_eq!(enc, Encoding::Windows1251);
    assert!(errors.is_empty(), "{errors:?}");
    let Document::Attestat(a) = &docs[1] else {
        panic!()
    };
    assert_eq!(a.holder.full_name, "Иванов Пётр Сергеевич");
    assert_eq!(a.school, "Школа № 25");
}

#[test]
fn header_problems_are_refused_with_the_columns_named() {
    let csv = "full_name,iin\nA,1\n";
    let Err(BulkError::MissingColumns(missing, _)) =
        parse_csv(csv.as_bytes(), DocumentKind::Attestat)
    else {
        panic!()
    };
    assert!(missing.contains(&"subjects".to_string()));
    let csv = attestat_csv(',', ["A B", "C D"]).replacen("honours", "honors", 1);
    let Err(BulkError::UnknownColumns(unknown, _)) =
        parse_csv(csv.as_bytes(), DocumentKind::Attestat)
    else {
        panic!()
    };
    assert_eq!(unknown, vec!["honors".to_string()]);
    assert_eq!(
        parse_csv(b"", DocumentKind::Attestat),
        Err(BulkError::Empty)
    );
    let big = vec![b'a'; MAX_CSV_BYTES + 1];
    assert_eq!(
        parse_csv(&big, DocumentKind::Attestat),
        Err(BulkError::TooLarge(MAX_CSV_BYTES + 1))
    );
    let ragged = "full_name,iin\nA,1,extra\n";
    assert!(matches!(
        parse_csv(ragged.as_bytes(), DocumentKind::Attestat),
        Err(BulkError::Malformed { .. }) | Err(BulkError::MissingColumns(..))
    ));
}

#[test]
fn row_problems_name_the_row_and_column() {
    let csv = attestat_csv(',', ["A B", "C D"])
        .replace(
            "general_secondary,Школа № 25,2014-09-01,2026-05-25,2026-06-20,ЖОБ,0012346",
            "college,Школа № 25,2014-09-01,2026-05-25,2026-06-20,ЖОБ,0012346",
        )
        .replace("Алгебра:4; Физика:5", "Алгебра=4");
    let (docs, _, errors) = parse_csv(csv.as_bytes(), DocumentKind::Attestat).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].row, 2);
    let fields: Vec<&str> = errors[0].errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["level", "subjects"]);
}

#[test]
fn diplomas_and_guardianship_acts_parse() {
    let csv = format!(
        "full_name;iin;level;institution;specialty_code;specialty_name;qualification;study_start;study_end;issued_on;series;number;registration_number;honours;courses;gpa\n\
         Серікбаев Данияр;{};bachelor;ҚазҰУ;6B06101;Ақпараттық жүйелер;Бакалавр;2020-09-01;2024-06-15;2024-06-28;ЖБ-Б;1234567;R-1;да;\"Алгоритмы|5|A|4,0; Сети|2|B+|3.33\";3,81\n",
        with_check("02071130004")
    );
    let (docs, _, errors) = parse_csv(csv.as_bytes(), DocumentKind::Diploma).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let Document::Diploma(d) = &docs[0] else {
        panic!()
    };
    assert!(d.honours);
    assert_eq!(d.supplement.courses.len(), 2);
    assert_eq!(d.supplement.courses[1].points, 3.33);
    assert_eq!(d.supplement.gpa, 3.81); // (4.0·5 + 3.33·2) / 7
    d.validate(date!(2026 - 11 - 22)).unwrap();

    let csv = format!(
        "guardian_name,guardian_iin,guardian2_name,guardian2_iin,child_name,child_iin,form,decision_number,decision_date,start_date\n\
         Ахметова Гүлнар,{},Ахметов Ержан,{},Ахметов Нұрсұлтан,{},opeka,№ 142-қ,2026-02-01,2026-02-03\n",
        with_check("85072040045"),
        with_check("83010130012"),
        with_check("16051050077")
    );
    let (docs, _, errors) = parse_csv(csv.as_bytes(), DocumentKind::Guardianship).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let Document::Guardianship(g) = &docs[0] else {
        panic!()
    };
    assert_eq!(g.guardians.len(), 2);
    g.validate(date!(2026 - 11 - 22)).unwrap();
}

#[test]
fn xlsx_with_date_cells_and_numeric_iins_reads_like_the_csv() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/issuance");
    let xlsx = std::fs::read(dir.join("university-cohort.xlsx")).unwrap();
    let csv = std::fs::read(dir.join("university-cohort.csv")).unwrap();
    let parsed = parse_file(&xlsx, DocumentKind::Diploma).unwrap();
    let (from_xlsx, errors) = (parsed.docs, parsed.errors);
    assert_eq!(parsed.encoding, None, "told apart from CSV by its bytes");
    assert!(errors.is_empty(), "{errors:?}");
    let (from_csv, _, _) = parse_csv(&csv, DocumentKind::Diploma).unwrap();
    assert_eq!(from_xlsx.len(), 16);
    // Dates came from date cells, IINs typed as numbers got their leading zero back: the
    // workbook yields exactly the documents of the CSV.
    assert_eq!(from_xlsx, from_csv);
    let Document::Diploma(d) = &from_xlsx[0] else {
        panic!()
    };
    assert!(
        d.holder.iin.starts_with('0') && d.holder.iin.len() == 12,
        "{}",
        d.holder.iin
    );
    assert_eq!(d.study_start, "2020-09-01");
    assert!(matches!(
        parse_xlsx(b"PK\x03\x04 not really a zip", DocumentKind::Diploma),
        Err(BulkError::Malformed { .. })
    ));
}
