//! The e-Apostille: the certificate of the Hague Convention of 5 October 1961, issued by a
//! Kazakh competent authority for a document issued in Kazakhstan, as a ledger credential.
//!
//! Its ten numbered fields follow the Convention's model certificate:
//!
//! | № | field | here |
//! |---|---|---|
//! | 1 | Country | `KZ` |
//! | 2 | has been signed by | `signed_by` |
//! | 3 | acting in the capacity of | `capacity` |
//! | 4 | bears the seal/stamp of | `seal_of` |
//! | 5 | at | `place` |
//! | 6 | the | `issued_on` (the credential's date) |
//! | 7 | by | `authority` |
//! | 8 | No | `apostille_number` |
//! | 9 | Seal/stamp | `seal`: the authority's electronic seal (the credential's signature) |
//! | 10 | Signature | `signature`: the approving officer, signing with the authority's key |
//!
//! and it names the document it certifies: its kind, its ledger credential (when it is one),
//! its number and date, and its holder.

use super::{Check, FieldError, Holder};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::Date;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Apostille {
    /// 8. The apostille's number, e.g. `AP-2026-1A2B3C4D`.
    pub apostille_number: String,
    /// 6. Date of the apostille.
    pub issued_on: String,
    /// 2–4: who signed the document, in what capacity, whose seal it bears.
    pub signed_by: String,
    pub capacity: String,
    pub seal_of: String,
    /// 5. Where the apostille is given.
    pub place: String,
    /// 7. The competent authority.
    pub authority: String,
    /// 9. The authority's seal.
    pub seal: String,
    /// 10. Who signed the apostille.
    pub signature: String,
    /// The document certified.
    pub holder: Holder,
    /// `attestat`, `diploma`, `guardianship` or another kind's name.
    pub document_kind: String,
    /// Its ledger credential id, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_credential: Option<String>,
    /// Its series and number (or verification code).
    pub document_number: String,
    pub document_issued_on: String,
}

impl Apostille {
    pub fn validate(&self, today: Date) -> Result<(), Vec<FieldError>> {
        let mut c = Check::default();
        c.text("apostille_number", &self.apostille_number, 40);
        let issued = c.date("issued_on", &self.issued_on);
        if let Some(i) = issued
            && i > today
        {
            c.fail("issued_on", format!("is in the future (today is {today})"));
        }
        for (field, value) in [
            ("signed_by", &self.signed_by),
            ("capacity", &self.capacity),
            ("seal_of", &self.seal_of),
            ("place", &self.place),
            ("authority", &self.authority),
            ("seal", &self.seal),
            ("signature", &self.signature),
            ("document_kind", &self.document_kind),
            ("document_number", &self.document_number),
        ] {
            c.text(field, value, 300);
        }
        c.name("holder.full_name", &self.holder.full_name);
        c.iin("holder.iin", &self.holder.iin);
        let document = c.date("document_issued_on", &self.document_issued_on);
        if let (Some(d), Some(i)) = (document, issued)
            && d > i
        {
            c.fail(
                "document_issued_on",
                format!("must be on or before the apostille ({i})"),
            );
        }
        c.finish()
    }

    pub fn claims(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("apostille_country".into(), json!("KZ"));
        for (k, v) in [
            ("signed_by", &self.signed_by),
            ("capacity", &self.capacity),
            ("seal_of", &self.seal_of),
            ("place", &self.place),
            ("authority", &self.authority),
            ("apostille_number", &self.apostille_number),
            ("seal", &self.seal),
            ("signature", &self.signature),
            ("document_kind", &self.document_kind),
            ("document_number", &self.document_number),
            ("document_issued_on", &self.document_issued_on),
        ] {
            m.insert(k.into(), json!(v.trim()));
        }
        m.insert("holder_name".into(), json!(self.holder.full_name.trim()));
        m.insert("holder_iin".into(), json!(self.holder.iin.trim()));
        if let Some(id) = &self.document_credential {
            m.insert("document_credential".into(), json!(id.trim()));
        }
        m
    }

    /// The ten numbered fields, with the Convention's words in Kazakh/Russian/English, as
    /// printed and shown.
    pub fn numbered(&self) -> [(u8, &'static str, String); 10] {
        [
            (
                1,
                "Country / Ел / Страна",
                "Republic of Kazakhstan / Қазақстан Республикасы / Республика Казахстан".into(),
            ),
            (
                2,
                "has been signed by / қол қойған / подписан",
                self.signed_by.clone(),
            ),
            (
                3,
                "acting in the capacity of / лауазымы / выступающим в качестве",
                self.capacity.clone(),
            ),
            (
                4,
                "bears the seal/stamp of / мөрі / скреплён печатью",
                self.seal_of.clone(),
            ),
            (5, "at / орны / в", self.place.clone()),
            (6, "the / күні / дата", self.issued_on.clone()),
            (7, "by / берген / кем", self.authority.clone()),
            (8, "No / № / №", self.apostille_number.clone()),
            (9, "Seal/stamp / Мөр / Печать", self.seal.clone()),
            (10, "Signature / Қолы / Подпись", self.signature.clone()),
        ]
    }
}
