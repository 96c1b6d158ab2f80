//! Reference samples enrolled from known-genuine scans (`tanba references enroll`), and the
//! seal's check against them (`seal.mismatch`; the signature's is [`super::signature`]).
//!
//! Enrolling reads a genuine document of an institution of the library, finds its round seal
//! (as [`super::marks::seals`] does) and the signature beside its signatory, and keeps, in
//! `DIR/references/`:
//!
//! - `<institution>/seal.png` and `<institution>/signature.png`, crops shown to officers beside
//!   a case's scan;
//! - `index.json`: per institution, the source file's hash, when, the seal's descriptor, and
//!   the signature's with its signatory's name.
//!
//! The seal's descriptor is what survives a stamp turned any way, a scan or a phone photo:
//! the ink's radial profile (the mean darkness on 24 rings from the centre to the rim — where
//! the rings, the text band and the emblem lie) and, on four bands, the strength of the first
//! eight angular frequencies (how the ink is spread round the circle: rays, letters, a star),
//! which turning does not change. Two seals are compared by the correlation of their
//! descriptors. A document of an institution with an enrolled seal whose every round seal is
//! far from it gets `seal.mismatch`.

use super::{Finding, Scan, Severity, marks::Seal};
use image::GrayImage;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Rings of the radial profile, centre to rim.
const RINGS: usize = 24;
/// Samples round each ring.
const ANGLES: usize = 96;
/// Angular frequencies kept per band: the design's symmetries (rays, star points, letters),
/// not the first, which a centre a pixel off dominates.
const FREQUENCIES: [usize; 9] = [2, 3, 4, 5, 6, 8, 12, 16, 24];
/// A seal whose descriptor correlates less than this with the reference is another seal.
/// Measured by `examples/seal_similarity.rs` on generated diplomas against one clean scan:
/// the same seal, scanned, degraded or photographed, 0.66–0.94 on a held-out set of 22 (0.50
/// at worst on the 7 it was set on, two phone photos); another office's stamp over it
/// 0.19 at most.
pub const MIN_SIMILARITY: f32 = 0.35;

/// One institution's enrolled references.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrolled {
    /// The library's institution id.
    pub institution: String,
    /// SHA-256 of the genuine scan it came from.
    pub source: String,
    pub enrolled_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<Vec<f32>>,
    /// The signature's descriptor ([`super::signature`]), and whose it is: the signatory's
    /// name as read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Vec<f32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signatory: Option<String>,
    /// Files under `DIR/references/<institution>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_png: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_png: Option<String>,
}

/// The enrolled references of a data directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Library {
    pub institutions: BTreeMap<String, Enrolled>,
    #[serde(skip)]
    root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("the scan cannot serve as a reference: it could not be read ({0})")]
    Unreadable(String),
    #[error(
        "the scan's institution is not recognised in the reference library{0}; name one with --institution"
    )]
    NoInstitution(String),
    #[error(
        "no institution {0:?} in the reference library (ocr-models/references/institutions.json)"
    )]
    UnknownInstitution(String),
    #[error(
        "the scan has neither a round seal nor a signature beside its signatory: nothing to enrol"
    )]
    NothingFound,
    #[error("the enrolled references in {0} are damaged: {1}")]
    Damaged(String, String),
    #[error("reference storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("image: {0}")]
    Image(#[from] image::ImageError),
}

impl Library {
    /// The references enrolled under `data_dir` (none yet: an empty library).
    pub fn open(data_dir: &Path) -> Result<Library, EnrollError> {
        let root = data_dir.join("references");
        let path = root.join("index.json");
        let mut lib: Library = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| EnrollError::Damaged(path.display().to_string(), e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Library::default(),
            Err(e) => return Err(e.into()),
        };
        lib.root = root;
        Ok(lib)
    }

    /// A stored reference image of an institution (`seal.png` or `signature.png`).
    pub fn image(&self, institution: &str, name: &str) -> Option<PathBuf> {
        let e = self.institutions.get(institution)?;
        let file = match name {
            "seal.png" => e.seal_png.as_ref()?,
            "signature.png" => e.signature_png.as_ref()?,
            _ => return None,
        };
        Some(self.root.join(&e.institution).join(file))
    }

    /// Enrols the seal and signature of a genuine scan as its institution's references:
    /// `institution` names it, or the scan's own institution field is looked up. Nothing is
    /// written unless the whole reference is.
    pub fn enroll(
        &mut self,
        read: &super::ReadFile,
        institution: Option<&str>,
        references: &super::References,
    ) -> Result<Enrolled, EnrollError> {
        let r = &read.reading;
        if r.status == "unreadable" {
            return Err(EnrollError::Unreadable(r.unreadable.join("; ")));
        }
        let inst = match institution {
            Some(id) => references
                .institutions
                .iter()
                .find(|i| i.id == id)
                .ok_or_else(|| EnrollError::UnknownInstitution(id.to_string()))?,
            None => {
                let read_name = r.fields.get("institution").map(|f| f.value.clone());
                read_name
                    .as_deref()
                    .and_then(|n| references.institution(r.country.as_deref(), n, 0.75))
                    .map(|(i, _)| i)
                    .ok_or_else(|| {
                        EnrollError::NoInstitution(
                            read_name
                                .map(|n| format!(" (read {n:?})"))
                                .unwrap_or_default(),
                        )
                    })?
            }
        };
        let seal = read
            .pages
            .iter()
            .enumerate()
            .find_map(|(i, p)| super::marks::seals(p).into_iter().next().map(|s| (i, s)));
        let signature = super::signature::find(r, &read.pages);
        if seal.is_none() && signature.is_none() {
            return Err(EnrollError::NothingFound);
        }
        let dir = self.root.join(&inst.id);
        let tmp = self.root.join(format!(".{}.new", inst.id));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)?;
        }
        std::fs::create_dir_all(&tmp)?;
        let mut entry = Enrolled {
            institution: inst.id.clone(),
            source: r.file.sha256.clone(),
            enrolled_at: crate::review::now(),
            seal: None,
            signature: None,
            signatory: None,
            seal_png: None,
            signature_png: None,
        };
        if let Some((i, s)) = seal {
            let page = &read.pages[i];
            entry.seal = Some(descriptor(page, &s));
            crop(page, s.bbox(), s.r / 5).save(tmp.join("seal.png"))?;
            entry.seal_png = Some("seal.png".into());
        }
        if let Some(found) = signature {
            crop(&read.pages[found.page], found.bbox, 8).save(tmp.join("signature.png"))?;
            entry.signature_png = Some("signature.png".into());
            entry.signature = Some(found.descriptor);
            entry.signatory = r.fields.get("signed_by").map(|f| f.value.clone());
        }
        // The images in place, then the index that names them.
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::rename(&tmp, &dir)?;
        self.institutions.insert(inst.id.clone(), entry.clone());
        self.save()?;
        Ok(entry)
    }

    fn save(&self) -> Result<(), EnrollError> {
        use std::io::Write as _;
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| EnrollError::Damaged(self.root.display().to_string(), e.to_string()))?;
        let tmp = self.root.join(".index.json.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, self.root.join("index.json"))?;
        Ok(())
    }
}

/// `[x, y, w, h]` of `page` with a margin, clamped to the page.
fn crop(page: &GrayImage, b: [u32; 4], margin: u32) -> GrayImage {
    let x = b[0].saturating_sub(margin);
    let y = b[1].saturating_sub(margin);
    let w = (b[2] + 2 * margin).min(page.width() - x);
    let h = (b[3] + 2 * margin).min(page.height() - y);
    image::imageops::crop_imm(page, x, y, w.max(1), h.max(1)).to_image()
}

/// The paper about a seal (the 90th percentile of the square round it; ink is darker) and
/// the span from it to the darkest ink.
fn tones(page: &GrayImage, s: &Seal) -> (f32, f32) {
    let b = crop(page, s.bbox(), s.r / 4);
    let mut levels: Vec<u8> = b.pixels().map(|p| p.0[0]).collect();
    levels.sort_unstable();
    let paper = levels[levels.len() * 9 / 10] as f32;
    let darkest = levels[levels.len() / 100] as f32;
    (paper, (paper - darkest).max(16.0))
}

/// The disc a seal's ink lies in — its centre refined and its outer rim, which may lie
/// beyond the ring the finder locked on: `(cx, cy, radius)`.
pub fn disc(page: &GrayImage, s: &Seal) -> (f32, f32, f32) {
    let (paper, span) = tones(page, s);
    let c = centred(page, s, paper, span);
    (c.cx as f32, c.cy as f32, rim(page, &c, paper, span))
}

/// The seal's turn-invariant descriptor: the radial profile, then the angular spectrum of
/// four bands, each part scaled to unit length.
pub fn descriptor(page: &GrayImage, s: &Seal) -> Vec<f32> {
    let (paper, span) = tones(page, s);
    let s = &centred(page, s, paper, span);
    let (cx, cy) = (s.cx as f32, s.cy as f32);
    let r = rim(page, s, paper, span);
    let radii = rims(page, cx, cy, r, paper, span);
    let mut grid = vec![[0f32; ANGLES]; RINGS];
    for (k, ring) in grid.iter_mut().enumerate() {
        for (a, cell) in ring.iter_mut().enumerate() {
            let rho = (k as f32 + 0.5) / RINGS as f32 * radii[a] * 1.04;
            let t = a as f32 / ANGLES as f32 * std::f32::consts::TAU;
            let (x, y) = (cx + rho * t.cos(), cy + rho * t.sin());
            if x >= 0.0 && y >= 0.0 && (x as u32) < page.width() && (y as u32) < page.height() {
                let v = page.get_pixel(x as u32, y as u32).0[0] as f32;
                *cell = ((paper - v) / span).clamp(0.0, 1.0);
            }
        }
    }
    // The median round each ring: print crossing the seal covers a minority of directions.
    let mut radial: Vec<f32> = grid
        .iter()
        .map(|ring| {
            let mut v = ring.to_vec();
            v.sort_by(f32::total_cmp);
            (v[ANGLES / 2] + v[ANGLES * 3 / 4]) / 2.0
        })
        .collect();
    let mut spectrum = Vec::with_capacity(4 * FREQUENCIES.len());
    for band in grid.chunks(RINGS / 4) {
        let profile: Vec<f32> = (0..ANGLES)
            .map(|a| band.iter().map(|ring| ring[a]).sum::<f32>())
            .collect();
        for m in FREQUENCIES {
            let (mut re, mut im) = (0f32, 0f32);
            for (a, v) in profile.iter().enumerate() {
                let t = (m * a) as f32 / ANGLES as f32 * std::f32::consts::TAU;
                re += v * t.cos();
                im += v * t.sin();
            }
            spectrum.push((re * re + im * im).sqrt() / ANGLES as f32);
        }
    }
    unit(&mut radial);
    unit(&mut spectrum);
    radial.extend(spectrum);
    radial
}

/// The mean darkness on the circle of radius `rho` about (`cx`, `cy`).
fn ring(page: &GrayImage, cx: f32, cy: f32, rho: f32, paper: f32, span: f32) -> f32 {
    let mut sum = 0.0;
    for a in 0..ANGLES {
        let t = a as f32 / ANGLES as f32 * std::f32::consts::TAU;
        let (x, y) = (cx + rho * t.cos(), cy + rho * t.sin());
        if x >= 0.0 && y >= 0.0 && (x as u32) < page.width() && (y as u32) < page.height() {
            sum +=
                ((paper - page.get_pixel(x as u32, y as u32).0[0] as f32) / span).clamp(0.0, 1.0);
        }
    }
    sum / ANGLES as f32
}

/// The seal's centre to the pixel: the finder works on a thumbnail, and a centre a few
/// pixels off smears every ring. The offset within 4 px whose ring at the found radius is
/// darkest.
fn centred(page: &GrayImage, s: &Seal, paper: f32, span: f32) -> Seal {
    let mut best = (f32::MIN, *s);
    for dy in -4i32..=4 {
        for dx in -4i32..=4 {
            let (cx, cy) = (s.cx as i32 + dx, s.cy as i32 + dy);
            if cx < 0 || cy < 0 {
                continue;
            }
            let dark = (-1..=1)
                .map(|d| {
                    ring(
                        page,
                        cx as f32,
                        cy as f32,
                        s.r as f32 + d as f32,
                        paper,
                        span,
                    )
                })
                .fold(0.0f32, f32::max);
            if dark > best.0 {
                best = (
                    dark,
                    Seal {
                        cx: cx as u32,
                        cy: cy as u32,
                        ..*s
                    },
                );
            }
        }
    }
    best.1
}

/// The seal's outer rim: the finder may have locked on an inner ring, so the outermost ring
/// of ink running round most of the circle, out to 1.6 times the radius found.
fn rim(page: &GrayImage, s: &Seal, paper: f32, span: f32) -> f32 {
    let (cx, cy, r) = (s.cx as f32, s.cy as f32, s.r as f32);
    let mut rho = (r * 1.6).round();
    while rho > r * 0.9 {
        let mut dark = 0;
        for a in 0..180 {
            let t = a as f32 / 180.0 * std::f32::consts::TAU;
            // The darkest of three radii a pixel apart: a ring need not be exactly round.
            let ink = (-1..=1).any(|d| {
                let q = rho + d as f32;
                let (x, y) = (cx + q * t.cos(), cy + q * t.sin());
                x >= 0.0
                    && y >= 0.0
                    && (x as u32) < page.width()
                    && (y as u32) < page.height()
                    && (paper - page.get_pixel(x as u32, y as u32).0[0] as f32) / span > 0.35
            });
            dark += usize::from(ink);
        }
        if dark >= 180 * 3 / 4 {
            return rho;
        }
        rho -= 1.0;
    }
    r
}

/// The rim's radius in each of the [`ANGLES`] directions: a seal photographed at a slant is
/// an ellipse, and sampling each direction to its own rim brings it back to a circle. Where
/// no rim is found within 0.75–1.25 of `r` (a gap in the ink), `r`; then a running median
/// over five directions.
fn rims(page: &GrayImage, cx: f32, cy: f32, r: f32, paper: f32, span: f32) -> Vec<f32> {
    let raw: Vec<f32> = (0..ANGLES)
        .map(|a| {
            let t = a as f32 / ANGLES as f32 * std::f32::consts::TAU;
            let (dx, dy) = (t.cos(), t.sin());
            let mut rho = (r * 1.15).round();
            while rho >= r * 0.85 {
                let (x, y) = (cx + rho * dx, cy + rho * dy);
                if x >= 0.0
                    && y >= 0.0
                    && (x as u32) < page.width()
                    && (y as u32) < page.height()
                    && (paper - page.get_pixel(x as u32, y as u32).0[0] as f32) / span > 0.35
                {
                    return rho;
                }
                rho -= 1.0;
            }
            r
        })
        .collect();
    (0..ANGLES)
        .map(|a| {
            let mut w: Vec<f32> = (0..15)
                .map(|d| raw[(a + ANGLES + d - 7) % ANGLES])
                .collect();
            w.sort_by(f32::total_cmp);
            w[7]
        })
        .collect()
}

/// Centred and scaled to unit length, so that a correlation is a dot product.
fn unit(v: &mut [f32]) {
    let mean = v.iter().sum::<f32>() / v.len() as f32;
    v.iter_mut().for_each(|x| *x -= mean);
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// 1 for the same seal, lower for others: the mean correlation of the two parts.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / 2.0
}

/// `seal.mismatch`: the document's institution has an enrolled seal, and no round seal on the
/// document is like it.
pub fn check(scan: &Scan, ctx: &super::Context, out: &mut Vec<Finding>) {
    let Some(library) = ctx.enrolled else {
        return;
    };
    let r = scan.reading;
    let Some(f) = r.fields.get("institution") else {
        return;
    };
    let Some((inst, _)) = ctx
        .references
        .institution(r.country.as_deref(), &f.value, 0.75)
    else {
        return;
    };
    let Some(reference) = library
        .institutions
        .get(&inst.id)
        .and_then(|e| e.seal.as_ref())
    else {
        return;
    };
    let mut best: Option<(f32, usize, Seal)> = None;
    for (i, page) in scan.pages.iter().enumerate() {
        for s in super::marks::seals(page) {
            let sim = similarity(&descriptor(page, &s), reference);
            if best.is_none_or(|b| sim > b.0) {
                best = Some((sim, i + 1, s));
            }
        }
    }
    // No seal at all is `seal.missing`'s finding.
    if let Some((sim, page, s)) = best
        && sim < MIN_SIMILARITY
    {
        out.push(
            Finding::new(
                "seal.mismatch",
                Severity::Critical,
                [
                    ("institution", json!(inst.names[0])),
                    ("similarity", json!((sim * 100.0).round() / 100.0)),
                    ("min", json!(MIN_SIMILARITY)),
                    ("reference", json!(inst.id)),
                ],
            )
            .at(&r.file.sha256, page, s.bbox()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::drawing::{
        draw_filled_circle_mut, draw_hollow_circle_mut, draw_line_segment_mut,
    };

    /// The sample generator's seal: two rings, 24 rays between them, a centre disc — turned
    /// by `turn` radians, in ink `ink`.
    fn generated_seal(page: &mut GrayImage, c: (i32, i32), r: i32, turn: f32, ink: u8) {
        for k in 0..3 {
            draw_hollow_circle_mut(page, c, r - k, Luma([ink]));
            draw_hollow_circle_mut(page, c, r * 7 / 10 - k, Luma([ink]));
        }
        for i in 0..24 {
            let a = i as f32 / 24.0 * std::f32::consts::TAU + turn;
            let (s, co) = a.sin_cos();
            let (inner, outer) = (r as f32 * 0.74, r as f32 * 0.95);
            draw_line_segment_mut(
                page,
                (c.0 as f32 + co * inner, c.1 as f32 + s * inner),
                (c.0 as f32 + co * outer, c.1 as f32 + s * outer),
                Luma([ink]),
            );
        }
        draw_filled_circle_mut(page, c, r / 6, Luma([ink]));
    }

    fn blank() -> GrayImage {
        GrayImage::from_pixel(900, 900, Luma([240]))
    }

    fn seal_of(page: &GrayImage) -> Seal {
        *super::super::marks::seals(page).first().expect("a seal")
    }

    #[test]
    fn the_same_seal_turned_and_blurred_matches_and_another_does_not() {
        let mut reference = blank();
        generated_seal(&mut reference, (450, 450), 100, 0.0, 70);
        let d0 = descriptor(&reference, &seal_of(&reference));
        for (turn, blur) in [(0.13, 0.0), (1.0, 1.2), (2.6, 2.0)] {
            let mut page = blank();
            generated_seal(&mut page, (430, 470), 100, turn, 90);
            let page = if blur > 0.0 {
                imageproc::filter::gaussian_blur_f32(&page, blur)
            } else {
                page
            };
            let found = seal_of(&page);
            let sim = similarity(&d0, &descriptor(&page, &found));
            assert!(sim >= 0.8, "turn {turn}, blur {blur}: {sim} ({found:?})");
        }
        let mut forged = blank();
        crate::ocr::synth::other_stamp(&mut forged, 450, 450, 100, 240);
        let sim = similarity(&d0, &descriptor(&forged, &seal_of(&forged)));
        assert!(sim < MIN_SIMILARITY - 0.1, "another seal: {sim}");
    }
}
