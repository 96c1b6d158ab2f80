//! Regions pasted or retyped (`edit.*`). A value printed on a patch of other paper — a name
//! cut from another document, a number retyped on a label — leaves the paper under it a
//! different shade from the paper around it, however well the letters are matched. Each
//! extracted field's paper level is compared with the level of a ring of paper about it; the
//! ring is taken on every side so that a photo's even fall of light cancels out.

use super::{Finding, Scan, Severity};
use crate::ocr::Word;
use crate::ocr::extract::union;
use image::GrayImage;
use serde_json::json;

/// The fields a forger changes (by a patch here, by a copied character in
/// [`super::copymove`]).
pub(super) const FIELDS: [&str; 9] = [
    "holder_name",
    "birth_date",
    "series",
    "number",
    "registration_number",
    "issue_date",
    "study_start",
    "study_end",
    "specialty",
];

/// The paper under a field and around it must agree to this many grey levels. Measured
/// with the ink's halo left out: genuine scans and photos stay within 2.4 brighter and 3.3
/// darker; the generator's patches (7–12 levels of other paper) show 5 or more.
pub const MAX_PAPER_STEP: f32 = 4.0;

/// Whether a step in paper level is past what genuine paper shows.
pub fn is_patch(step: f32) -> bool {
    step.abs() > MAX_PAPER_STEP
}

/// Where a page's ink is, grown by 3 px: the grey a blur or JPEG spreads round print is not
/// paper. Ink is 40 levels under the paper of its 64 × 64 block (its 90th percentile).
pub struct InkHalo {
    width: usize,
    mask: Vec<bool>,
}

impl InkHalo {
    pub fn of(img: &GrayImage) -> InkHalo {
        let (w, h) = (img.width() as usize, img.height() as usize);
        const B: usize = 64;
        let (bw, bh) = (w.div_ceil(B), h.div_ceil(B));
        let px = img.as_raw();
        let mut level = vec![0u8; bw * bh];
        for by in 0..bh {
            for bx in 0..bw {
                let mut hist = [0u32; 256];
                let mut n = 0;
                for y in by * B..((by + 1) * B).min(h) {
                    for &v in &px[y * w + bx * B..y * w + ((bx + 1) * B).min(w)] {
                        hist[v as usize] += 1;
                        n += 1;
                    }
                }
                let mut acc = 0;
                level[by * bw + bx] = hist
                    .iter()
                    .position(|c| {
                        acc += c;
                        acc * 10 >= n * 9
                    })
                    .unwrap_or(255) as u8;
            }
        }
        let mut ink = vec![false; w * h];
        for y in 0..h {
            let levels = &level[(y / B) * bw..(y / B + 1) * bw];
            for (x, (out, &v)) in ink[y * w..(y + 1) * w]
                .iter_mut()
                .zip(&px[y * w..(y + 1) * w])
                .enumerate()
            {
                *out = (v as i32) < levels[x / B] as i32 - 40;
            }
        }
        // Grown by 3 px: along each row with a running count, then down the columns with a
        // running count per column, so both passes read the page in memory order.
        const K: usize = 3;
        let mut rows = vec![false; w * h];
        for y in 0..h {
            let (src, out) = (&ink[y * w..(y + 1) * w], &mut rows[y * w..(y + 1) * w]);
            let mut count = 0usize;
            for i in 0..w + K {
                if i < w && src[i] {
                    count += 1;
                }
                if i > 2 * K && src[i - 2 * K - 1] {
                    count -= 1;
                }
                if i >= K && i - K < w {
                    out[i - K] = count > 0;
                }
            }
        }
        let mut mask = vec![false; w * h];
        let mut counts = vec![0u8; w];
        for i in 0..h + K {
            if i < h {
                for (c, &v) in counts.iter_mut().zip(&rows[i * w..(i + 1) * w]) {
                    *c += v as u8;
                }
            }
            if i > 2 * K {
                let gone = i - 2 * K - 1;
                for (c, &v) in counts.iter_mut().zip(&rows[gone * w..(gone + 1) * w]) {
                    *c -= v as u8;
                }
            }
            if i >= K && i - K < h {
                let y = i - K;
                for (out, &c) in mask[y * w..(y + 1) * w].iter_mut().zip(&counts) {
                    *out = c > 0;
                }
            }
        }
        InkHalo { width: w, mask }
    }

    fn near(&self, x: i64, y: i64) -> bool {
        self.mask[y as usize * self.width + x as usize]
    }
}

/// The paper level of the pixels of `img` inside `outer` and outside `inner` (if given),
/// away from ink: the median of those within 40 levels of the region's bright end; and the
/// ink level, the region's darkest 3%.
fn paper_level(
    img: &GrayImage,
    halo: &InkHalo,
    outer: [i64; 4],
    inner: Option<[i64; 4]>,
) -> Option<(f32, f32)> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let mut hist = [0u32; 256];
    let mut all = [0u32; 256];
    let mut n = 0u32;
    let x0 = outer[0].max(0);
    let y0 = outer[1].max(0);
    let x1 = (outer[0] + outer[2]).min(w);
    let y1 = (outer[1] + outer[3]).min(h);
    for y in y0..y1 {
        for x in x0..x1 {
            if let Some(i) = inner
                && x >= i[0]
                && x < i[0] + i[2]
                && y >= i[1]
                && y < i[1] + i[3]
            {
                continue;
            }
            let v = img.get_pixel(x as u32, y as u32).0[0];
            all[v as usize] += 1;
            if !halo.near(x, y) {
                hist[v as usize] += 1;
                n += 1;
            }
        }
    }
    if n < 200 {
        return None;
    }
    let quantile = |hist: &[u32; 256], q: f32| {
        let total: u32 = hist.iter().sum();
        let target = (total as f32 * q) as u32;
        let mut acc = 0;
        for (v, c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return v;
            }
        }
        255
    };
    let bright = quantile(&hist, 0.95);
    let ink = quantile(&all, 0.03) as f32;
    let floor = bright.saturating_sub(40);
    let paper: u32 = hist[floor..].iter().sum();
    let mut acc = 0;
    for (v, c) in hist.iter().enumerate().skip(floor) {
        acc += c;
        if acc * 2 >= paper {
            return Some((v as f32, ink));
        }
    }
    None
}

/// The step in paper level between a box (grown by a third of its height) and a ring of
/// paper about it, positive when the box's paper is brighter. It is given in the grey levels
/// of a scan whose ink is 200 below its paper: a phone photo's dimmer page (ink 120 below)
/// has its steps scaled up by as much, at most threefold.
pub fn paper_step(img: &GrayImage, halo: &InkHalo, bbox: [u32; 4]) -> Option<f32> {
    let [x, y, w, h] = bbox.map(i64::from);
    if w == 0 || h == 0 {
        return None;
    }
    let pad = (h / 3).max(3);
    let inner = [x - pad, y - pad, w + 2 * pad, h + 2 * pad];
    // The ring starts a line's height out: a patch is cut with a margin, but seldom wider.
    let gap = h * 3 / 2;
    let ring = h * 2;
    let near = [x - gap, y - gap, w + 2 * gap, h + 2 * gap];
    let far = [
        near[0] - ring,
        near[1] - ring,
        near[2] + 2 * ring,
        near[3] + 2 * ring,
    ];
    let (inside, ink) = paper_level(img, halo, inner, None)?;
    let (around, _) = paper_level(img, halo, far, Some(near))?;
    let gain = (200.0 / (around - ink).max(1.0)).clamp(1.0, 3.0);
    Some((inside - around) * gain)
}

/// The words of `words` wholly inside `b`.
pub(crate) fn inside(words: &[Word], b: [u32; 4]) -> Vec<&Word> {
    words
        .iter()
        .filter(|w| {
            w.bbox[0] >= b[0]
                && w.bbox[1] >= b[1]
                && w.bbox[0] + w.bbox[2] <= b[0] + b[2]
                && w.bbox[1] + w.bbox[3] <= b[1] + b[3]
        })
        .collect()
}

/// Each printed line of `words` as one box, with its text.
fn lines(words: &[&Word]) -> Vec<([u32; 4], String)> {
    let mut ids: Vec<u32> = words.iter().map(|w| w.line).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .map(|l| {
            let ws: Vec<&Word> = words.iter().copied().filter(|w| w.line == l).collect();
            let text = ws
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            (union(&ws), text)
        })
        .collect()
}

/// The largest step of paper level among `boxes`, with its box.
fn worst(page: &GrayImage, halo: &InkHalo, boxes: &[[u32; 4]]) -> Option<(f32, [u32; 4])> {
    boxes
        .iter()
        .filter_map(|b| paper_step(page, halo, *b).map(|s| (s, *b)))
        .max_by(|a, b| a.0.abs().total_cmp(&b.0.abs()))
}

fn overlaps(a: [u32; 4], b: [u32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

/// `edit.patch`: a field, or any printed line, whose paper is not the paper around it. The
/// lines matter because a patch's edges can break the reading of the very field it changed.
pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let sha = &scan.reading.file.sha256;
    // Each page's ink halo, made once, when first needed.
    let halos: Vec<std::cell::OnceCell<InkHalo>> =
        scan.pages.iter().map(|_| Default::default()).collect();
    let halo = |i: usize| halos[i].get_or_init(|| InkHalo::of(&scan.pages[i]));
    let mut flagged: Vec<(usize, [u32; 4])> = Vec::new();
    let finding = |field: &str, value: &str, step: f32| {
        Finding::new(
            "edit.patch",
            Severity::Critical,
            [
                ("field", json!(field)),
                ("value", json!(value)),
                ("step", json!((f64::from(step) * 10.0).round() / 10.0)),
                ("max", json!(MAX_PAPER_STEP)),
            ],
        )
    };
    for name in FIELDS {
        let Some(f) = scan.reading.fields.get(name) else {
            continue;
        };
        let i = f.page.saturating_sub(1);
        let Some(page) = scan.pages.get(i) else {
            continue;
        };
        // The field as a whole, and each of its printed lines (a surname pasted over the
        // first line of a name set on two).
        // (A box over two lines takes in the gap between them and whatever lies beside it,
        // so only its lines are judged.)
        let mut boxes = vec![f.bbox];
        if let Some(text) = scan.reading.pages.iter().find(|p| p.page == f.page) {
            let ls = lines(&inside(&text.words, f.bbox));
            if ls.len() > 1 {
                boxes = ls.into_iter().map(|(b, _)| b).collect();
            }
        }
        if let Some((step, bbox)) = worst(page, halo(i), &boxes)
            && is_patch(step)
        {
            flagged.push((f.page, bbox));
            out.push(finding(name, &f.value, step).at(sha, f.page, bbox));
        }
    }
    let signature_area = super::marks::signature_area(scan.reading, scan.pages);
    let signer_height = scan
        .reading
        .fields
        .get("signed_by")
        .map_or(u32::MAX / 4, |f| f.bbox[3]);
    for text in &scan.reading.pages {
        let i = text.page.saturating_sub(1);
        let Some(page) = scan.pages.get(i) else {
            continue;
        };
        let halo = halo(i);
        // Words the engine is sure of: a stamp or a signature read as "OG)" would make its
        // line as tall as itself and take the seal's ink in. A signature can be read with
        // confidence too ("YY)"): where it lies, a word taller than the signatory's name
        // by half is its ink, not print.
        let signature = signature_area
            .filter(|(p, _)| *p == i)
            .map(|(_, area)| area);
        let words: Vec<&Word> = text
            .words
            .iter()
            .filter(|w| {
                w.confidence >= 0.7
                    && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 2
                    && !signature.is_some_and(|area| {
                        overlaps(w.bbox, area) && w.bbox[3] * 2 > signer_height * 3
                    })
            })
            .collect();
        for (bbox, line) in lines(&words) {
            if flagged
                .iter()
                .any(|(p, b)| *p == text.page && overlaps(*b, bbox))
            {
                continue;
            }
            // The line, and each of its longer words: a patch over the end of a labelled
            // line («Full name: …») is too small a part of the line to move its median.
            let mut boxes = vec![bbox];
            boxes.extend(
                words
                    .iter()
                    .filter(|w| {
                        overlaps(w.bbox, bbox)
                            && w.text.chars().filter(|c| c.is_alphanumeric()).count() >= 3
                    })
                    .map(|w| w.bbox),
            );
            if let Some((step, at)) = worst(page, halo, &boxes)
                && is_patch(step)
            {
                flagged.push((text.page, bbox));
                out.push(finding("line", &line, step).at(sha, text.page, at));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    /// The halo is every pixel within 3 px (a 7 × 7 square) of ink, up to the page's edges.
    #[test]
    fn ink_halo_is_ink_grown_by_three_pixels() {
        let (w, h) = (150u32, 131u32);
        let mut page = GrayImage::from_pixel(w, h, Luma([240]));
        let mut state = 7u32;
        let mut dots = Vec::new();
        for _ in 0..60 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let (x, y) = ((state >> 8) % w, (state >> 20) % h);
            page.put_pixel(x, y, Luma([20]));
            dots.push((x as i64, y as i64));
        }
        for (x, y) in [(0, 0), (w - 1, h - 1), (w - 1, 0)] {
            page.put_pixel(x, y, Luma([20]));
            dots.push((x as i64, y as i64));
        }
        let halo = InkHalo::of(&page);
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                let want = dots
                    .iter()
                    .any(|&(dx, dy)| (dx - x).abs() <= 3 && (dy - y).abs() <= 3);
                assert_eq!(halo.near(x, y), want, "at ({x}, {y})");
            }
        }
    }

    /// A page of noisy paper with a line of "text" at (400, 600).
    fn page(patch: Option<u8>) -> GrayImage {
        let mut page = GrayImage::from_fn(1200, 1200, |x, y| {
            // Light falling off from left to right, and grain.
            let grain = ((x * 7919 + y * 104_729) % 13) as i32 - 6;
            let light = 246 - (x / 60) as i32;
            Luma([(light + grain).clamp(0, 255) as u8])
        });
        if let Some(shade) = patch {
            for y in 585..655 {
                for x in 380..840 {
                    let grain = ((x * 7919 + y * 104_729) % 13) as i32 - 6;
                    page.put_pixel(x, y, Luma([(shade as i32 + grain).clamp(0, 255) as u8]));
                }
            }
        }
        for k in 0..12 {
            draw_filled_rect_mut(
                &mut page,
                Rect::at(400 + k * 35, 600).of_size(22, 40),
                Luma([35]),
            );
        }
        page
    }

    #[test]
    fn a_patch_of_other_paper_stands_out_and_plain_paper_does_not() {
        let bbox = [400, 600, 420, 40];
        let plain = {
            let p = page(None);
            paper_step(&p, &InkHalo::of(&p), bbox)
        }
        .unwrap();
        assert!(plain.abs() < 2.0, "{plain}");
        // The paper at x≈600 is 236, the ink 35: a patch 8 levels brighter.
        let step = {
            let p = page(Some(244));
            paper_step(&p, &InkHalo::of(&p), bbox)
        }
        .unwrap();
        assert!(step > MAX_PAPER_STEP, "{step}");
        let step = {
            let p = page(Some(228));
            paper_step(&p, &InkHalo::of(&p), bbox)
        }
        .unwrap();
        assert!(step < -MAX_PAPER_STEP, "{step}");
    }
}
