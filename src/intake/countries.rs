//! The officially assigned ISO 3166-1 alpha-2 codes (249, as Debian's `iso-codes` lists
//! them). An application's country must be one of them: user-assigned codes (`ZZ`, `XA`–`XZ`,
//! `AA`, `QM`–`QZ`) and withdrawn ones (`SU`, `YU`, `CS`) name no country a document could
//! come from today, so they are refused with the rule named rather than passed on to checks
//! that would find nothing to compare with.

const ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 code.
pub fn is_assigned(code: &str) -> bool {
    ASSIGNED.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_matches_the_standard() {
        assert!(
            ASSIGNED.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        for c in ["KZ", "RU", "AD", "ZW", "SS", "BQ", "CW", "SX"] {
            assert!(is_assigned(c), "{c}");
        }
        // User-assigned, withdrawn, lower-case, three letters.
        for c in ["ZZ", "XK", "AA", "QZ", "SU", "YU", "CS", "kz", "KAZ", ""] {
            assert!(!is_assigned(c), "{c}");
        }
    }

    /// The table is exactly the list of Debian's `iso-codes` (installed by scripts/setup.sh).
    #[test]
    fn the_table_is_debians_iso_codes_list() {
        let text = std::fs::read_to_string("/usr/share/iso-codes/json/iso_3166-1.json")
            .expect("Debian's iso-codes is installed (scripts/setup.sh)");
        let v: serde_json::Value = serde_json::from_str(&text).expect("iso-codes JSON");
        let mut codes: Vec<&str> = v["3166-1"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|c| c["alpha_2"].as_str())
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, ASSIGNED);
    }
}
