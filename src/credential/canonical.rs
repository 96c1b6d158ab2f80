//! The canonical byte form of JSON that Tanba signs and hashes: RFC 8785 (JSON Canonicalization
//! Scheme) — object members sorted by UTF-16 code units, no insignificant whitespace, strings
//! with minimal escaping, numbers as ECMAScript's `Number.prototype.toString` writes them.
//! The same bytes are what `eddsa-jcs-2022` Data Integrity proofs sign.

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("cannot canonicalize: {0}")]
pub struct CanonicalError(String);

/// RFC 8785 canonical bytes of any serializable value.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| CanonicalError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8785 §3.2.2, the example input and its canonical form.
    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let v: serde_json::Value = serde_json::from_str(input).unwrap();
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(String::from_utf8(to_vec(&v).unwrap()).unwrap(), want);
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units, not by code points or bytes.
    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
            "\u20ac": "Euro Sign",
            "\r": "Carriage Return",
            "\ufb33": "Hebrew Letter Dalet With Dagesh",
            "1": "One",
            "\ud83d\ude00": "Emoji: Grinning Face",
            "\u0080": "Control",
            "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: serde_json::Value = serde_json::from_str(input).unwrap();
        let out = String::from_utf8(to_vec(&v).unwrap()).unwrap();
        let order: Vec<&str> = [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh",
        ]
        .to_vec();
        let positions: Vec<usize> = order.iter().map(|s| out.find(s).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    }

    /// Number serialization samples from RFC 8785 Appendix B (IEEE 754 bits → canonical text).
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: [(u64, &str); 10] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x44b52d02c7e14af6, "1e+23"),
        ];
        for (bits, want) in cases {
            let v = f64::from_bits(bits);
            assert_eq!(
                String::from_utf8(to_vec(&v).unwrap()).unwrap(),
                want,
                "{bits:#x}"
            );
        }
    }
}
