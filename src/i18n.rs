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
