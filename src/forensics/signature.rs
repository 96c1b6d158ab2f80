//! A document's signature compared with the one enrolled for its institution and signatory
//! (`signature.mismatch`).
//!
//! The signature is the ink right of the signatory's printed name that no confident printed
//! word and no round seal's disc explains — the region `signature.missing` measures — taken
//! as its largest stroke and the pieces of it close by. Its descriptor is the stroke's shape,
//! not its size: the ink's box (from the 1st to the 99th percentile of its columns and rows,
//! so a speck does not stretch it) is scaled to one height, its length left its own (a seal
//! may hide the end), softened, and each 6-pixel cell keeps the strength of its gradients in
//! 9 orientations: which way the stroke runs where. Two signatures are compared by the
//! correlation of their descriptors at the shift along the stroke that fits best.
//!
//! The check finds the page's seals again to mask them out (`seal.missing` found them
//! already); it runs only where a signature is enrolled for the document's signatory.
//!
//! A reference is enrolled with the signatory's name as read; a document is compared only
//! when its own signatory is that person (names compared transliteration-aware), as another
//! official of the same institution signs otherwise.

use super::{Finding, Scan, Severity, marks::Seal};
use crate::ocr::FileReading;
use image::{GrayImage, Luma};
use serde_json::json;

/// The height the stroke is scaled to, the cell size, the cells down a column, the
/// orientations per cell, and the longest a stroke is kept (in scaled pixels).
const HEIGHT: u32 = 48;
const CELL: u32 = 6;
const ROWS: usize = (HEIGHT / CELL) as usize;
const BINS: usize = 9;
const MAX_WIDTH: u32 = 480;
/// Fewer ink pixels than this is no signature to compare (a dot, a dash).
const MIN_INK: usize = 150;
/// A signature whose descriptor correlates less than this with the signatory's enrolled one
/// was signed by another hand. Measured by `examples/signature_similarity.rs` (README,
/// Performance).
pub const MIN_SIMILARITY: f32 = 0.5;

/// Ink pixels, in page coordinates.
type Ink = Vec<(u32, u32)>;

/// A signature found on a document.
#[derive(Clone, Debug)]
pub struct Signature {
    /// 0-based page index.
    pub page: usize,
    /// `[x, y, w, h]` of its ink.
    pub bbox: [u32; 4],
    pub descriptor: Vec<f32>,
}

/// The signature beside the reading's signatory, if there is ink enough to describe.
pub fn find(reading: &FileReading, pages: &[GrayImage]) -> Option<Signature> {
    let (i, region) = super::marks::signature_area(reading, pages)?;
    let text = reading.pages.iter().find(|p| p.page == i + 1)?;
    let seals = super::marks::seals(&pages[i]);
    let (bbox, ink) = ink_of(&pages[i], region, &text.words, &seals)?;
    Some(Signature {
        page: i,
        bbox,
        descriptor: describe(&ink, bbox),
    })
}

/// The ink in `region` that `words` and `seals` leave unexplained: its robust box, and the
/// ink's pixels.
fn ink_of(
    page: &GrayImage,
    region: [u32; 4],
    words: &[crate::ocr::Word],
    seals: &[Seal],
) -> Option<([u32; 4], Ink)> {
    let [x, y, w, h] = region;
    let (x1, y1) = ((x + w).min(page.width()), (y + h).min(page.height()));
    if x1 <= x || y1 <= y {
        return None;
    }
    // Each seal's whole disc: out to its outer rim, and at least half as far again as the
    // ring found (a phone's slant or a blur can hide the rim from the search; the same seal
    // is then masked alike on every document bearing it), with the ink's blur beyond.
    let discs: Vec<(f32, f32, f32)> = seals
        .iter()
        .map(|s| {
            let (cx, cy, rim) = super::enrolled::disc(page, s);
            (cx, cy, rim.max(s.r as f32 * 1.5) + 8.0)
        })
        .collect();
    let explaining = crate::ocr::extract::explaining_words(region, words);
    let candidate = |px: u32, py: u32| {
        !explaining
            .iter()
            .any(|b| px >= b[0] && px < b[0] + b[2] && py >= b[1] && py < b[1] + b[3])
            && !discs.iter().any(|&(cx, cy, r)| {
                let (dx, dy) = (px as f32 - cx, py as f32 - cy);
                dx * dx + dy * dy <= r * r
            })
    };
    // Ink is what lies nearer the dark tone of what is left (its `MIN_INK`-th darkest pixel:
    // with less ink than that there is nothing to compare) than its paper.
    let mut levels: Vec<u8> = (y..y1)
        .flat_map(|py| (x..x1).map(move |px| (px, py)))
        .filter(|&(px, py)| candidate(px, py))
        .map(|(px, py)| page.get_pixel(px, py).0[0])
        .collect();
    let n = levels.len();
    if n <= MIN_INK {
        return None;
    }
    let (_, paper, _) = levels.select_nth_unstable(n / 2);
    let paper = *paper;
    let (_, dark, _) = levels.select_nth_unstable(MIN_INK);
    let dark = *dark;
    if paper.saturating_sub(dark) < 40 {
        return None;
    }
    let cut = (paper as u16 + dark as u16) / 2;
    let (w, h) = (x1 - x, y1 - y);
    let mut mask = GrayImage::new(w, h);
    let mut count = 0;
    for py in y..y1 {
        for px in x..x1 {
            if u16::from(page.get_pixel(px, py).0[0]) < cut && candidate(px, py) {
                mask.put_pixel(px - x, py - y, Luma([255]));
                count += 1;
            }
        }
    }
    if count < MIN_INK {
        return None;
    }
    // The signature is the largest stroke (its breaks closed by a few pixels), with any
    // piece of it a seal's disc cut off; print the reading left unexplained (a number, a
    // stray mark) lies apart from it in smaller pieces.
    let joined = imageproc::morphology::dilate(&mask, imageproc::distance_transform::Norm::LInf, 5);
    let labels = imageproc::region_labelling::connected_components(
        &joined,
        imageproc::region_labelling::Connectivity::Eight,
        Luma([0u8]),
    );
    // Per piece: its ink and its box (x0, y0, x1, y1).
    let mut pieces: std::collections::HashMap<u32, (usize, [u32; 4])> =
        std::collections::HashMap::new();
    for (px, py, p) in mask.enumerate_pixels() {
        if p.0[0] > 0 {
            let e = pieces
                .entry(labels.get_pixel(px, py).0[0])
                .or_insert((0, [px, py, px, py]));
            e.0 += 1;
            e.1 = [
                e.1[0].min(px),
                e.1[1].min(py),
                e.1[2].max(px),
                e.1[3].max(py),
            ];
        }
    }
    let &(largest, main) = pieces.values().max_by_key(|p| p.0)?;
    // A piece belongs to the signature when it is a good part of it and close by.
    let near = |b: [u32; 4]| {
        b[0] <= main[2] + 40 && main[0] <= b[2] + 40 && b[1] <= main[3] + 20 && main[1] <= b[3] + 20
    };
    let ink: Vec<(u32, u32)> = mask
        .enumerate_pixels()
        .filter(|&(px, py, p)| {
            p.0[0] > 0 && {
                let (n, b) = pieces[&labels.get_pixel(px, py).0[0]];
                n * 10 >= largest * 3 && near(b)
            }
        })
        .map(|(px, py, _)| (px + x, py + y))
        .collect();
    if ink.len() < MIN_INK {
        return None;
    }
    let span = |mut v: Vec<u32>| {
        v.sort_unstable();
        let k = v.len() / 100;
        (v[k], v[v.len() - 1 - k])
    };
    let (ax, bx) = span(ink.iter().map(|p| p.0).collect());
    let (ay, by) = span(ink.iter().map(|p| p.1).collect());
    let bbox = [ax, ay, bx - ax + 1, by - ay + 1];
    Some((bbox, ink))
}

/// The descriptor of the ink `ink` within `bbox`: per column of `CELL`-pixel cells, left to
/// right, the gradient histograms of its `ROWS` cells.
fn describe(ink: &[(u32, u32)], bbox: [u32; 4]) -> Vec<f32> {
    let [x, y, w, h] = bbox;
    let mut mask = GrayImage::from_pixel(w, h, Luma([255]));
    for &(px, py) in ink {
        if px >= x && py >= y && px < x + w && py < y + h {
            mask.put_pixel(px - x, py - y, Luma([0]));
        }
    }
    // The stroke's height sets the scale; its length stays its own (a seal may hide its end).
    let width = ((w as f32 * HEIGHT as f32 / h as f32).round() as u32).clamp(CELL * 2, MAX_WIDTH)
        / CELL
        * CELL;
    let scaled =
        image::imageops::resize(&mask, width, HEIGHT, image::imageops::FilterType::Triangle);
    let soft = imageproc::filter::gaussian_blur_f32(&scaled, 2.0);
    // Each cell's gradients by orientation (unsigned), weighted by their strength and left
    // unnormalised: a cell the stroke barely touches stays nearly empty instead of being
    // blown up to the weight of a full one.
    let gx = imageproc::gradients::horizontal_sobel(&soft);
    let gy = imageproc::gradients::vertical_sobel(&soft);
    let cols = (width / CELL) as usize;
    let mut d = vec![0f32; cols * ROWS * BINS];
    for (px, py, g) in gx.enumerate_pixels() {
        let (dx, dy) = (g.0[0] as f32, gy.get_pixel(px, py).0[0] as f32);
        let m = (dx * dx + dy * dy).sqrt();
        if m == 0.0 {
            continue;
        }
        let angle = dy.atan2(dx).rem_euclid(std::f32::consts::PI);
        let bin = ((angle / std::f32::consts::PI * BINS as f32) as usize).min(BINS - 1);
        let (c, r) = ((px / CELL) as usize, (py / CELL) as usize);
        d[(c * ROWS + r) * BINS + bin] += m;
    }
    d
}

/// How alike two signatures are, −1 to 1: their descriptors' correlation where they overlap,
/// at the shift of one along the other that fits best (one may be cut short by a seal), over
/// at least two thirds of the shorter one.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    let column = ROWS * BINS;
    if a.is_empty()
        || b.is_empty()
        || !a.len().is_multiple_of(column)
        || !b.len().is_multiple_of(column)
    {
        return 0.0;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let (ns, nl) = (short.len() / column, long.len() / column);
    let need = (ns * 2).div_ceil(3).max(1);
    let mut best = -1f32;
    // `shift`: where the short one's first column lies along the long one.
    for shift in -((ns - need) as isize)..=(nl - need) as isize {
        let from = shift.max(0) as usize;
        let to = ((shift + ns as isize) as usize).min(nl);
        let s = &short
            [(from as isize - shift) as usize * column..(to as isize - shift) as usize * column];
        let l = &long[from * column..to * column];
        best = best.max(correlation(s, l));
    }
    best
}

/// Pearson's correlation of two runs of one length.
fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len() as f32;
    let (ma, mb) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x - ma, y - mb);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa <= 0.0 || bb <= 0.0 {
        return 0.0;
    }
    ab / (aa * bb).sqrt()
}

/// `signature.mismatch`: the document's institution has a signature enrolled for the
/// official the document names as its signatory, and the document's signature is unlike it.
pub fn check(scan: &Scan, ctx: &super::Context, out: &mut Vec<Finding>) {
    let Some(library) = ctx.enrolled else {
        return;
    };
    let r = scan.reading;
    let (Some(inst), Some(signer)) = (r.fields.get("institution"), r.fields.get("signed_by"))
    else {
        return;
    };
    let Some((inst, _)) = ctx
        .references
        .institution(r.country.as_deref(), &inst.value, 0.75)
    else {
        return;
    };
    let Some(entry) = library.institutions.get(&inst.id) else {
        return;
    };
    let (Some(reference), Some(enrolled_signer)) = (&entry.signature, &entry.signatory) else {
        return;
    };
    if crate::ocr::names::compare(enrolled_signer, &signer.value).verdict == "different" {
        return;
    }
    // No signature at all is `signature.missing`'s finding.
    let Some(found) = find(r, scan.pages) else {
        return;
    };
    let sim = similarity(&found.descriptor, reference);
    if sim < MIN_SIMILARITY {
        out.push(
            Finding::new(
                "signature.mismatch",
                Severity::Warning,
                [
                    ("signed_by", json!(signer.value)),
                    ("institution", json!(inst.names[0])),
                    ("similarity", json!((sim * 100.0).round() / 100.0)),
                    ("min", json!(MIN_SIMILARITY)),
                    ("reference", json!(inst.id)),
                ],
            )
            .at(&r.file.sha256, found.page + 1, found.bbox),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageproc::drawing::draw_line_segment_mut;

    /// A page with `signer`'s `signing`-th signature at (300, 200), turned by `turn` radians.
    fn signed(signer: &str, signing: u64, turn: f32, blur: f32) -> GrayImage {
        let mut page = GrayImage::from_pixel(900, 400, Luma([236]));
        let stroke = crate::ocr::synth::signature_stroke(300.0, 200.0, signer, signing);
        let (s, c) = turn.sin_cos();
        let turned: Vec<(f32, f32)> = stroke
            .iter()
            .map(|&(x, y)| {
                let (dx, dy) = (x - 450.0, y - 200.0);
                (450.0 + dx * c - dy * s, 200.0 + dx * s + dy * c)
            })
            .collect();
        for w in turned.windows(2) {
            draw_line_segment_mut(&mut page, w[0], w[1], Luma([40]));
            draw_line_segment_mut(
                &mut page,
                (w[0].0, w[0].1 + 1.0),
                (w[1].0, w[1].1 + 1.0),
                Luma([40]),
            );
        }
        if blur > 0.0 {
            imageproc::filter::gaussian_blur_f32(&page, blur)
        } else {
            page
        }
    }

    fn descriptor_of(page: &GrayImage) -> Vec<f32> {
        let (bbox, ink) = ink_of(page, [0, 0, 900, 400], &[], &[]).expect("ink");
        describe(&ink, bbox)
    }

    #[test]
    fn the_same_hand_signing_again_matches_and_another_hand_does_not() {
        let reference = descriptor_of(&signed("Е. С. Ковалева", 1, 0.0, 0.0));
        for (signing, turn, blur) in [(2, 0.0, 0.0), (3, 0.03, 1.2), (4, -0.04, 2.0)] {
            let sim = similarity(
                &reference,
                &descriptor_of(&signed("Е. С. Ковалева", signing, turn, blur)),
            );
            assert!(sim >= MIN_SIMILARITY + 0.1, "signing {signing}: {sim}");
        }
        for other in ["Н. В. Орлова", "И. П. Смирнов", "A. Yildiz", "K. Aliev"] {
            let sim = similarity(&reference, &descriptor_of(&signed(other, 1, 0.0, 0.0)));
            assert!(sim < MIN_SIMILARITY, "{other}: {sim}");
        }
    }

    #[test]
    fn a_blank_region_has_no_signature() {
        let page = GrayImage::from_pixel(900, 400, Luma([236]));
        assert!(ink_of(&page, [0, 0, 900, 400], &[], &[]).is_none());
        let mut dot = page.clone();
        draw_line_segment_mut(&mut dot, (400.0, 200.0), (410.0, 200.0), Luma([30]));
        assert!(ink_of(&dot, [0, 0, 900, 400], &[], &[]).is_none());
    }
}
