//! Kazakhstan's identification numbers, parsed at the edge and trusted inside.
//!
//! **IIN** (individual identification number), 12 digits:
//!
//! ```text
//! Y Y M M D D  C  N N N N  K
//! birth date   │  serial  check digit
//!              └ century and sex: 1/2 born 1800–1899, 3/4 1900–1999, 5/6 2000–2099;
//!                odd = male, even = female
//! ```
//!
//! **BIN** (business identification number), 12 digits: `YY MM` of registration, a type digit
//! (4 resident legal entity, 5 non-resident legal entity, 6 joint individual entrepreneurship),
//! a unit digit (0 head office, 1 branch, 2 representative office, 3 peasant farm), a 5-digit
//! serial and the check digit.
//!
//! Both use the same check digit: `Σ i·dᵢ mod 11` over the first 11 digits with weights 1..11;
//! if that is 10, again with weights 3,4,5,6,7,8,9,10,11,1,2; if that is 10 too, no number with
//! those 11 digits is ever issued.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct IdError {
    pub field: &'static str,
    pub reason: String,
}

const WEIGHTS_1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit of 11 digits, or `None` if the number can never be issued.
pub fn check_digit(digits: &[u8; 11]) -> Option<u8> {
    let sum = |w: &[u32; 11]| -> u32 {
        digits
            .iter()
            .zip(w)
            .map(|(d, w)| u32::from(*d) * w)
            .sum::<u32>()
            % 11
    };
    match sum(&WEIGHTS_1) {
        10 => match sum(&WEIGHTS_2) {
            10 => None,
            k => Some(k as u8),
        },
        k => Some(k as u8),
    }
}

fn twelve_digits(field: &'static str, s: &str) -> Result<[u8; 12], IdError> {
    let s = s.trim();
    let err = |reason: String| IdError { field, reason };
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!(
            "{s:?} is not 12 digits (an {} has exactly 12 digits)",
            field
                .to_uppercase()
                .trim_end_matches(|c: char| !c.is_alphabetic())
        )));
    }
    let mut d = [0u8; 12];
    for (i, b) in s.bytes().enumerate() {
        d[i] = b - b'0';
    }
    let mut first = [0u8; 11];
    first.copy_from_slice(&d[..11]);
    match check_digit(&first) {
        Some(k) if k == d[11] => Ok(d),
        Some(k) => Err(err(format!(
            "{s:?} has check digit {}, but its first 11 digits give {k}; a digit is mistyped",
            d[11]
        ))),
        None => Err(err(format!(
            "{s:?} cannot exist: its first 11 digits have no valid check digit"
        ))),
    }
}

/// Sex as encoded in an IIN's seventh digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// A checked IIN.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iin {
    digits: [u8; 12],
    birth: (i32, u8, u8),
}

impl Iin {
    /// Parses an IIN; `field` names the input in errors (e.g. `"holder.iin"`).
    pub fn parse(field: &'static str, s: &str) -> Result<Self, IdError> {
        let d = twelve_digits(field, s)?;
        let yy = i32::from(d[0]) * 10 + i32::from(d[1]);
        let month = d[2] * 10 + d[3];
        let day = d[4] * 10 + d[5];
        let century = match d[6] {
            1 | 2 => 1800,
            3 | 4 => 1900,
            5 | 6 => 2000,
            c => {
                return Err(IdError {
                    field,
                    reason: format!(
                        "digit 7 is {c}; it must be 1–6 (century and sex of the holder)"
                    ),
                });
            }
        };
        let year = century + yy;
        if !is_valid_date(year, month, day) {
            return Err(IdError {
                field,
                reason: format!(
                    "digits 1–6 must be the birth date YYMMDD, but {year}-{month:02}-{day:02} is not a date"
                ),
            });
        }
        Ok(Self {
            digits: d,
            birth: (year, month, day),
        })
    }

    /// Birth date as (year, month, day).
    pub fn birth_date(&self) -> (i32, u8, u8) {
        self.birth
    }

    pub fn sex(&self) -> Sex {
        if self.digits[6] % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

/// A checked BIN.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bin {
    digits: [u8; 12],
}

impl Bin {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, IdError> {
        let d = twelve_digits(field, s)?;
        let month = d[2] * 10 + d[3];
        if !(1..=12).contains(&month) {
            return Err(IdError {
                field,
                reason: format!("digits 3–4 must be the registration month 01–12, not {month:02}"),
            });
        }
        if !(4..=6).contains(&d[4]) {
            return Err(IdError {
                field,
                reason: format!(
                    "digit 5 is {}; a BIN has 4 (resident legal entity), 5 (non-resident) or 6 (joint entrepreneurship) there",
                    d[4]
                ),
            });
        }
        if d[5] > 3 {
            return Err(IdError {
                field,
                reason: format!(
                    "digit 6 is {}; it must be 0 (head office), 1 (branch), 2 (representative office) or 3 (peasant farm)",
                    d[5]
                ),
            });
        }
        Ok(Self { digits: d })
    }
}

fn is_valid_date(year: i32, month: u8, day: u8) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

macro_rules! digits_display {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for d in self.digits {
                    write!(f, "{d}")?;
                }
                Ok(())
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}
digits_display!(Iin);
digits_display!(Bin);

impl fmt::Debug for Iin {
    /// Never prints the number: an IIN is personal data and debug output ends up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Iin(…)")
    }
}

impl fmt::Debug for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bin({self})")
    }
}

impl<'de> Deserialize<'de> for Iin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Iin::parse("iin", &s).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Bin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Bin::parse("bin", &s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `prefix` (11 digits) with its check digit appended; for building inputs that are valid
    /// except for the rule under test. The check digit itself is pinned by known answers below.
    pub(crate) fn with_check(prefix: &str) -> String {
        let d: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        let k =
            check_digit(&d.try_into().expect("11 digits")).expect("prefix admits a check digit");
        format!("{prefix}{k}")
    }

    #[test]
    fn check_digit_known_answers() {
        // 8 8 0 1 0 1 3 0 0 0 1 · (1..11) = 8+16+0+4+0+6+21+0+0+0+11 = 66 ≡ 0 (mod 11)
        assert_eq!(check_digit(&[8, 8, 0, 1, 0, 1, 3, 0, 0, 0, 1]), Some(0));
        // 0 5 0 4 1 5 5 0 1 2 3 · (1..11) = 0+10+0+16+5+30+35+0+9+20+33 = 158 ≡ 4
        assert_eq!(check_digit(&[0, 5, 0, 4, 1, 5, 5, 0, 1, 2, 3]), Some(4));
        // 0…0 1 0 · (1..11) = 10, so the second weights decide: 1 · 1 = 1.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(1));
        // 0…0 1 1 · (1..11) = 10 + 11 = 21 ≡ 10; second weights 1 + 2 = 3.
        assert_eq!(check_digit(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]), Some(3));
        // Some prefixes give 10 under both weightings; find one and check it is refused.
        let impossible = (0..1_000_000u32)
            .map(|n| {
                let mut d = [0u8; 11];
                let mut m = n;
                for i in (5..11).rev() {
                    d[i] = (m % 10) as u8;
                    m /= 10;
                }
                d
            })
            .find(|d| check_digit(d).is_none())
            .expect("some prefixes admit no check digit");
        let s: String = impossible.iter().map(|d| d.to_string()).collect();
        assert!(Iin::parse("iin", &format!("{s}0")).is_err());
    }

    #[test]
    fn iin_parses_birth_date_century_and_sex() {
        let iin = Iin::parse("iin", "880101300010").unwrap();
        assert_eq!(iin.birth_date(), (1988, 1, 1));
        assert_eq!(iin.sex(), Sex::Male);
        assert_eq!(iin.to_string(), "880101300010");
        let iin = Iin::parse("iin", "050415501234").unwrap();
        assert_eq!(iin.birth_date(), (2005, 4, 15));
        let iin = Iin::parse("iin", &with_check("12022960001")).unwrap();
        assert_eq!(iin.birth_date(), (2012, 2, 29), "a leap day");
        assert_eq!(iin.sex(), Sex::Female);
        assert_eq!(
            format!("{iin:?}"),
            "Iin(…)",
            "debug output never shows the number"
        );
        let json: Iin = serde_json::from_str("\"880101300010\"").unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), "\"880101300010\"");
    }

    #[test]
    fn iin_errors_name_the_field_and_the_rule() {
        let e = Iin::parse("holder.iin", "880101300011").unwrap_err();
        assert_eq!(e.field, "holder.iin");
        assert!(
            e.reason.contains("check digit 1") && e.reason.contains("give 0"),
            "{e}"
        );
        assert!(
            Iin::parse("iin", "88010130001")
                .unwrap_err()
                .reason
                .contains("12 digits")
        );
        assert!(
            Iin::parse("iin", "88010130001a")
                .unwrap_err()
                .reason
                .contains("12 digits")
        );
        let feb31 = with_check("05023150001");
        assert!(
            Iin::parse("iin", &feb31)
                .unwrap_err()
                .reason
                .contains("not a date"),
            "{feb31}"
        );
        let feb29 = with_check("13022960001"); // 2013 is not a leap year
        assert!(
            Iin::parse("iin", &feb29)
                .unwrap_err()
                .reason
                .contains("not a date")
        );
        let digit7 = with_check("88010170001");
        assert!(
            Iin::parse("iin", &digit7)
                .unwrap_err()
                .reason
                .contains("digit 7")
        );
        assert!(serde_json::from_str::<Iin>("\"880101300011\"").is_err());
    }

    #[test]
    fn bin_checks_structure_and_check_digit() {
        // 9 7 0 9 4 0 0 0 1 2 3 · (1..11) = 9+14+0+36+20+0+0+0+9+20+33 = 141 ≡ 9
        let bin = Bin::parse("issuer.bin", "970940001239").unwrap();
        assert_eq!(bin.to_string(), "970940001239");
        assert!(
            Bin::parse("bin", "970940001230")
                .unwrap_err()
                .reason
                .contains("check digit")
        );
        assert!(
            Bin::parse("bin", &with_check("97097000123"))
                .unwrap_err()
                .reason
                .contains("digit 5")
        );
        assert!(
            Bin::parse("bin", &with_check("97094700123"))
                .unwrap_err()
                .reason
                .contains("digit 6")
        );
        assert!(
            Bin::parse("bin", &with_check("97134000123"))
                .unwrap_err()
                .reason
                .contains("month")
        );
    }
}
