//! Personal names compared across scripts and spellings: «Жумабеков Нурлан» on an
//! application, "ZHUMABEKOV NURLAN" or "Jumabekov Nurlan" on an Uzbek diploma, «Жумабеков
//! Hурлан» (a Latin H among Cyrillic letters) as the engine read it.
//!
//! Each name is reduced to a *key* per word: Cyrillic (Russian and Kazakh letters) is
//! transliterated to Latin; Turkish and Uzbek Latin letters lose their marks; the digits the
//! engine reads for letters (`0` for `O`, `1` for `I`) become letters; and the spellings that
//! transliteration standards disagree on are made one (`zh`/`j`/`dzh`, `kh`/`h`/`x`, `y`/`i`,
//! `ts`/`c`, doubled letters). Words are then paired across the two names in whichever order
//! fits best (a diploma may put the surname last), by Jaro–Winkler similarity of their keys; a
//! word only one side has (a patronymic a Latin diploma leaves out) is reported, not counted
//! against the match.

use serde::Serialize;

/// How two names compare.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NameMatch {
    /// `exact` (the same letters), `transliteration` (the same keys: one name in another
    /// script or spelling), `close` (keys differ by what a misread letter or two does),
    /// `different`.
    pub verdict: &'static str,
    /// 0–1: the mean similarity of the paired words.
    pub score: f64,
    /// Words of either name that have no counterpart in the other.
    pub unmatched: Vec<String>,
}

fn translit(c: char) -> &'static str {
    match c {
        'а' | 'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ғ' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' | 'і' | 'ı' => "i",
        'к' | 'қ' => "k",
        'л' => "l",
        'м' => "m",
        'н' | 'ң' => "n",
        'о' | 'ө' | 'ö' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ұ' | 'ү' | 'ü' | 'ў' => "u",
        'ф' => "f",
        'х' | 'һ' => "kh",
        'ц' => "ts",
        'ч' | 'ç' => "ch",
        'ш' | 'ş' => "sh",
        'щ' => "shch",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        'ğ' => "g",
        'ъ' | 'ь' | '\'' | 'ʻ' | 'ʼ' | '’' => "",
        // The engine's digits inside a name.
        '0' => "o",
        '1' => "i",
        '3' => "z",
        '5' => "s",
        '6' | '8' => "b",
        _ => "",
    }
}

/// The key of one word of a name.
pub fn key(word: &str) -> String {
    let mut latin = String::new();
    for c in word.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() {
            latin.push(c);
        } else {
            latin.push_str(translit(c));
        }
    }
    // Spellings standards disagree on, made one; longest first.
    for (from, to) in [
        ("shch", "sh"),
        ("dzh", "j"),
        ("zh", "j"),
        ("kh", "h"),
        ("x", "h"),
        ("ts", "c"),
        ("y", "i"),
        ("w", "v"),
        ("q", "k"),
    ] {
        latin = latin.replace(from, to);
    }
    let mut out = String::new();
    for c in latin.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// A name in Latin letters, word by word, as a passport's machine-readable zone would spell
/// a Cyrillic one («Петров Тимур» → "Petrov Timur"); Latin letters are kept.
pub fn romanise(name: &str) -> String {
    name.split_whitespace()
        .map(|word| {
            let mut latin = String::new();
            for c in word.chars().flat_map(char::to_lowercase) {
                if c.is_ascii_alphabetic() || c == '-' {
                    latin.push(c);
                } else if !c.is_ascii_digit() {
                    latin.push_str(translit(c));
                }
            }
            let mut chars = latin.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn words(name: &str) -> Vec<&str> {
    name.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect()
}

/// Compares an application's name with a document's.
pub fn compare(application: &str, document: &str) -> NameMatch {
    let a = words(application);
    let d = words(document);
    let fold = |ws: &[&str]| {
        ws.iter()
            .map(|w| w.to_lowercase().replace('ё', "е"))
            .collect::<Vec<_>>()
    };
    if !a.is_empty() && fold(&a) == fold(&d) {
        return NameMatch {
            verdict: "exact",
            score: 1.0,
            unmatched: Vec::new(),
        };
    }
    let ka: Vec<String> = a.iter().map(|w| key(w)).collect();
    let kd: Vec<String> = d.iter().map(|w| key(w)).collect();
    // Greedy pairing by similarity, best pairs first: names have two to four words.
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, x) in ka.iter().enumerate() {
        for (j, y) in kd.iter().enumerate() {
            pairs.push((strsim::jaro_winkler(x, y), i, j));
        }
    }
    pairs.sort_by(|p, q| q.0.total_cmp(&p.0));
    let (mut used_a, mut used_d) = (vec![false; a.len()], vec![false; d.len()]);
    let mut scores = Vec::new();
    let mut all_equal = true;
    for (s, i, j) in pairs {
        if used_a[i] || used_d[j] || s < 0.75 {
            continue;
        }
        used_a[i] = true;
        used_d[j] = true;
        all_equal &= ka[i] == kd[j];
        scores.push(s);
    }
    let unmatched: Vec<String> = a
        .iter()
        .zip(&used_a)
        .chain(d.iter().zip(&used_d))
        .filter(|(_, u)| !**u)
        .map(|(w, _)| w.to_string())
        .collect();
    // Two words at least must pair (surname and given name); one more word on one side is
    // allowed (a patronymic), more is another person.
    let paired = scores.len();
    let score = if paired == 0 {
        0.0
    } else {
        scores.iter().sum::<f64>() / paired as f64
    };
    let verdict = if paired < 2 || unmatched.len() > 1 {
        "different"
    } else if all_equal {
        "transliteration"
    } else if score >= 0.9 {
        "close"
    } else {
        "different"
    };
    NameMatch {
        verdict,
        score: (score * 1000.0).round() / 1000.0,
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_romanised_name_is_the_same_name_by_transliteration() {
        assert_eq!(
            romanise("Петров Тимур Тимурович"),
            "Petrov Timur Timurovich"
        );
        assert_eq!(romanise("Жұмабеков Нұрлан"), "Zhumabekov Nurlan");
        let m = compare(&romanise("Жұмабеков Нұрлан"), "Жұмабеков Нұрлан");
        assert_eq!(m.verdict, "transliteration");
    }

    #[test]
    fn the_same_person_in_another_script_or_spelling_matches_by_transliteration() {
        for (a, d) in [
            ("Жумабеков Нурлан", "ZHUMABEKOV NURLAN"),
            ("Жумабеков Нурлан", "Nurlan Jumabekov"),
            ("Юсупова Дилноза", "Yusupova Dilnoza"),
            ("Юсупова Дилноза", "Iusupova Dilnoza"),
            ("Ахмедов Бахтиёр", "Akhmedov Bakhtiyor"),
            ("Ахмедов Бахтиёр", "Axmedov Baxtiyor"),
            ("Абдуллаев Сергей", "Abdulaev Sergey"),
            ("Қасымов Әлихан", "Kasymov Alikhan"),
            ("Ozturk Burak", "Öztürk Burak"),
        ] {
            let m = compare(a, d);
            assert_eq!(m.verdict, "transliteration", "{a} / {d}: {m:?}");
            assert!(m.unmatched.is_empty(), "{a} / {d}: {m:?}");
        }
    }

    #[test]
    fn a_patronymic_one_side_lacks_is_named_but_still_matches() {
        let m = compare("Каримов Рустам Алексеевич", "KARIMOV RUSTAM");
        assert_eq!(m.verdict, "transliteration");
        assert_eq!(m.unmatched, ["Алексеевич"]);
        assert_eq!(
            compare("Иванова Мария Петровна", "иванова мария петровна").verdict,
            "exact"
        );
        assert_eq!(compare("Ковалёва Елена", "Ковалева Елена").verdict, "exact");
    }

    #[test]
    fn ocr_confusions_inside_a_name_still_match() {
        // A Latin "a" and "o" inside Cyrillic words, a zero for an O.
        let m = compare("Иванов Олег", "Ивaнoв 0лег");
        assert_eq!(m.verdict, "transliteration", "{m:?}");
        // One letter misread is close, not the same.
        let m = compare("Петров Алексей", "Петров Алексеи");
        assert_eq!(m.verdict, "transliteration", "й and и share a key: {m:?}");
        let m = compare("Токтогулов Тимур", "Токтагулов Тимур");
        assert_eq!(m.verdict, "close", "{m:?}");
        assert!(m.score > 0.9 && m.score < 1.0);
    }

    #[test]
    fn another_person_is_different() {
        for (a, d) in [
            ("Жумабеков Нурлан", "Жумабеков Тимур"),
            ("Иванова Мария", "Petrova Elena"),
            ("Иванова Мария", "Иванова"),
            ("Назаров Сергей", "Nazarov Sergei Petrovich Smith"),
        ] {
            assert_eq!(compare(a, d).verdict, "different", "{a} / {d}");
        }
    }
}
