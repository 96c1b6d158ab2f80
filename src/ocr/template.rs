//! Which template a document follows: the families of `ocr-models/templates.json`, each
//! known by phrases it prints whatever the values in it. The phrases are compared with the
//! page's text letter-skeleton to letter-skeleton ([`super::extract::skeleton`]), so that the
//! engine's look-alike letters (a Latin `H` inside a Cyrillic word) do not hide one.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Templates {
    templates: Vec<Template>,
}

/// One template of the library.
#[derive(Deserialize)]
pub struct Template {
    pub id: String,
    pub kind: String,
    /// The issuing countries that use it (ISO 3166-1 alpha-2); empty: any.
    #[serde(default)]
    pub countries: Vec<String>,
    /// The generator's name for the layout (`tanba ocr generate`), to score it in `ocr eval`.
    pub layout: String,
    pub phrases: Vec<String>,
}

/// A page's template, with the share of its phrases found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TemplateMatch {
    pub id: String,
    pub score: f64,
    /// The template's phrases found in the text.
    pub found: usize,
    pub of: usize,
}

/// The templates of `ocr-models/templates.json` (compiled in).
pub fn templates() -> &'static [Template] {
    static T: OnceLock<Vec<Template>> = OnceLock::new();
    T.get_or_init(|| {
        let t: Templates = serde_json::from_str(include_str!("../../ocr-models/templates.json"))
            .expect("ocr-models/templates.json is well-formed");
        t.templates
    })
}

/// The template a document's text follows best, if at least two of its phrases are found.
pub fn classify(text: &str) -> Option<TemplateMatch> {
    let page = super::extract::skeleton(text);
    templates()
        .iter()
        .map(|t| {
            let found = t
                .phrases
                .iter()
                .filter(|p| page.contains(&super::extract::skeleton(p)))
                .count();
            TemplateMatch {
                id: t.id.clone(),
                score: found as f64 / t.phrases.len().max(1) as f64,
                found,
                of: t.phrases.len(),
            }
        })
        .filter(|m| m.found >= 2)
        .max_by(|a, b| a.score.total_cmp(&b.score))
}

/// The template id of a generator layout name, for scoring.
pub fn for_layout(layout: &str) -> Option<&'static str> {
    templates()
        .iter()
        .find(|t| t.layout == layout)
        .map(|t| t.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_is_told_by_its_phrases_even_through_look_alike_letters() {
        let post_soviet = "ДИПЛОМ\nНастоящий диплом выдан\nАбдуллаева Айгерим\nв том, что он(а) в 2016 году поступил(а) в\nи в 2020 году окончил(а) полный курс названного университета\nпо специальности";
        assert_eq!(classify(post_soviet).unwrap().id, "diploma-post-soviet");
        // «Настоящий» with a Latin H and «диплом» with a Latin o, as the engine reads them.
        let russian = "ДИПЛОМ\nБАКАЛАВРА\nДОКУМЕНТ ОБ ОБРАЗОВАНИИ И О КВАЛИФИКАЦИИ\nHастоящий диплoм свидетельствует о том, что\nосвоил(а) программу бакалавриата\nпо направлению подготовки";
        assert_eq!(classify(russian).unwrap().id, "diploma-russian-federation");
        let english = "DIPLOMA\nThis is to certify that\nKAYA Emre\nborn on 3 March 2001\nhas been awarded the degree of";
        assert_eq!(classify(english).unwrap().id, "diploma-english");
        let form = "ДИПЛОМ / DIPLOMA\nСерия / Series: АБ № / No: 123\nФамилия, имя, отчество / Full name: Иванов\nДата рождения / Date of birth: 01.01.2000";
        assert_eq!(classify(form).unwrap().id, "diploma-bilingual-form");
        assert_eq!(classify("a shopping list: bread, milk"), None);
        let supplement = "ПРИЛОЖЕНИЕ К ДИПЛОМУ\nСерия ВБ № 1234567\n№ Наименование дисциплины Часов Оценка\n1. Физика 108 5 (отлично)\nСредний балл: 5,00";
        assert_eq!(classify(supplement).unwrap().id, "supplement-post-soviet");
        let attestat = "АТТЕСТАТ\nо среднем общем образовании\n№ Наименование учебных предметов Итоговая оценка\n1. Алгебра 5 (отлично)";
        assert_eq!(classify(attestat).unwrap().id, "attestat-post-soviet");
        // Every generator layout has a template.
        for layout in [
            "postsoviet",
            "russian",
            "english",
            "form",
            "apostille",
            "supplement-russian",
            "supplement-english",
            "attestat-post-soviet",
        ] {
            assert!(for_layout(layout).is_some(), "{layout}");
        }
    }
}
