//! Kazakh, Russian and English text for pages and verdicts, from Fluent files in `locales/`
//! (compiled in), and the choice of language from `?lang=` or `Accept-Language`.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::sync::OnceLock;

/// A language Tanba speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "kk" | "kz" => Some(Lang::Kk),
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The preferred language of an `Accept-Language` header (highest q first, then order);
    /// Kazakh, the state language, when none of ours is named.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::Kk;
        };
        let mut best: Option<(f32, usize, Lang)> = None;
        for (i, part) in header.split(',').enumerate() {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::parse) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, lang));
            }
        }
        best.map_or(Lang::Kk, |(_, _, l)| l)
    }

    /// This language's member of a (Kazakh, Russian, English) triple.
    pub fn pick<T>(self, (kk, ru, en): (T, T, T)) -> T {
        match self {
            Lang::Kk => kk,
            Lang::Ru => ru,
            Lang::En => en,
        }
    }

    /// The label of a document claim (`holder_name`, `subjects`, …) in this language, from the
    /// kinds' schema, so pages, PDFs and error reports name a field alike.
    pub fn claim_label(self, name: &str) -> String {
        crate::credential::kinds::label(name)
            .map_or_else(|| name.to_string(), |l| self.pick(l).to_string())
    }

    /// The message `id` in this language, with `args`. A missing message shows its id.
    pub fn t_args(self, id: &str, args: Option<&FluentArgs>) -> String {
        let bundle = &bundles()[self as usize];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    pub fn t(self, id: &str) -> String {
        self.t_args(id, None)
    }

    /// The message `id`, if the language has it (for codes that may or may not be named).
    pub fn try_t(self, id: &str) -> Option<String> {
        bundles()[self as usize].has_message(id).then(|| self.t(id))
    }
}

const SOURCES: [(&str, &str); 3] = [
    ("kk", include_str!("../locales/kk.ftl")),
    ("ru", include_str!("../locales/ru.ftl")),
    ("en", include_str!("../locales/en.ftl")),
];

fn bundles() -> &'static [FluentBundle<FluentResource>; 3] {
    static BUNDLES: OnceLock<[FluentBundle<FluentResource>; 3]> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        SOURCES.map(|(code, source)| {
            let lang: unic_langid::LanguageIdentifier = code.parse().expect("a language code");
            let mut bundle = FluentBundle::new_concurrent(vec![lang]);
            // No Unicode isolation marks around arguments: they show up as boxes in some
            // fonts and confuse screen readers.
            bundle.set_use_isolating(false);
            let resource = FluentResource::try_new(source.to_string())
                .unwrap_or_else(|(_, errors)| panic!("locales/{code}.ftl: {errors:?}"));
            bundle
                .add_resource(resource)
                .unwrap_or_else(|errors| panic!("locales/{code}.ftl: {errors:?}"));
            bundle
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message ids of a Fluent source, in order.
    fn ids(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" = "))
            .filter_map(|l| l.split(" = ").next())
            .collect()
    }

    #[test]
    fn every_language_has_every_message_and_they_differ() {
        let en = ids(SOURCES[2].1);
        assert!(en.len() > 40);
        for (code, source) in SOURCES {
            assert_eq!(
                ids(source),
                en,
                "locales/{code}.ftl has other messages than en.ftl"
            );
        }
        for id in en {
            let texts: Vec<String> = Lang::ALL.iter().map(|l| l.t(id)).collect();
            assert!(texts.iter().all(|t| t != id), "{id} unresolved: {texts:?}");
            if !["ledger-origin"].contains(&id) {
                assert!(
                    texts[0] != texts[2] && texts[1] != texts[2],
                    "{id}: {texts:?}"
                );
            }
        }
        let mut args = FluentArgs::new();
        args.set("version", 1);
        args.set("latest", 2);
        assert_eq!(Lang::Ru.t_args("field-version-of", Some(&args)), "1 из 2");
    }

    /// Every message id the code asks for by name exists (in every language, by the test above).
    #[test]
    fn every_message_the_code_names_exists() {
        let en = ids(SOURCES[2].1);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.clone()];
        let mut asked = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            // This file only names ids in its documentation and its own tests.
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            // `lang.t("id")`, `t("id")` (a closure over the language), `.t_args("id", …)`.
            for call in [".t(\"", " t(\"", "(t(\"", ".t_args(\""] {
                for part in text.split(call).skip(1) {
                    let id = &part[..part.find('"').unwrap()];
                    if id.is_empty()
                        || !id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                    {
                        continue;
                    }
                    asked += 1;
                    assert!(
                        en.contains(&id),
                        "{} asks for {id:?}, which no locale has",
                        path.display()
                    );
                }
            }
        }
        assert!(asked > 40, "only {asked} message ids found in the code");
    }

    #[test]
    fn every_claim_has_a_label_in_each_language() {
        for name in [
            "holder_name",
            "subjects",
            "supplement",
            "guardians",
            "child_iin",
            "basis",
            "status",
        ] {
            let labels: Vec<String> = Lang::ALL.iter().map(|l| l.claim_label(name)).collect();
            assert!(labels.iter().all(|l| l != name), "{name}: {labels:?}");
        }
        assert_eq!(Lang::Ru.claim_label("holder_iin"), "ИИН");
    }

    #[test]
    fn accept_language_picks_by_quality_then_order() {
        let pick = |h| Lang::from_accept_language(Some(h));
        assert_eq!(pick("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"), Lang::Ru);
        assert_eq!(pick("en-GB, kk;q=0.9"), Lang::En);
        assert_eq!(pick("de-DE, en;q=0.5, kk;q=0.8"), Lang::Kk);
        assert_eq!(pick("de, fr"), Lang::Kk);
        assert_eq!(pick("en;q=0, ru;q=0.1"), Lang::Ru);
        assert_eq!(Lang::from_accept_language(None), Lang::Kk);
        assert_eq!(Lang::parse("kk-KZ"), Some(Lang::Kk));
        assert_eq!(Lang::parse("xx"), None);
    }
}
