//! Characters copied from elsewhere on the same page (`edit.copy_move`). A forger who needs
//! one digit changed can take the digit wanted from another place of the very scan — a date,
//! another digit of the same number — and lay it over the one to change: the same ink, the
//! same paper, the same compression, so neither a patch of other paper ([`super::edit`]) nor
//! a JPEG ghost ([`super::ghost`]) shows.
//!
//! What shows is that nothing differs. A character printed twice is never the same pixels:
//! each print lies on other paper fibres, takes its own share of toner or ink, and meets
//! other sensor noise. A copy carries all of that along. So every character of the fields a
//! forger changes is set against every character of its page of about its size and outline,
//! at the shift (up to 3 px) where they fit best, and their pixels are compared after a 5 × 5
//! smoothing: the finest grain is left out because a JPEG saved after the copy quantises it
//! afresh on each 8 × 8 grid, while the coarser mottle of paper and ink survives. Two
//! printings differ by that mottle; a copy only by what the JPEG changed.
//!
//! A small character is judged on few pixels and two printings of it come closer by chance,
//! so its limit is lower ([`max_difference`]). Figures are in the README (Performance).
//!
//! Out of reach: a copy resampled (scaled or turned) on its way, which changes its pixels;
//! paper copied over a character to erase it (nothing printed is left to match); characters
//! narrower than 7 px or lower than 9 px, too few pixels to tell.

use super::edit::FIELDS;
use super::{Finding, Scan, Severity};
use crate::ocr::Word;
use image::GrayImage;
use serde_json::json;

/// Characters whose smoothed pixels differ by at most this much on average (in the grey
/// levels of a page whose ink is 200 below its paper), judged on 150 pixels or more, are one
/// print twice. Set on the twins of seeds 130001–130040: copies differed by 0.13–0.87 of
/// their limit, two printings by 1.27 times theirs at the least.
pub const MAX_DIFFERENCE: f32 = 1.5;

/// How far (in pixels, each way) a copy is looked for about where the two boxes align.
const SHIFT: i64 = 2;

/// One printed character: its box on the page, and its ink outline at 8 × 8 (for finding
/// the characters of the same shape).
#[derive(Clone, Debug)]
pub struct Glyph {
    pub bbox: [u32; 4],
    shape: [u8; 64],
}

/// The characters of the page's words: the dark connected parts of each word's box (darker
/// than halfway between its paper and its ink), of a character's size.
pub fn glyphs(page: &GrayImage, words: &[Word]) -> Vec<Glyph> {
    let (pw, ph) = page.dimensions();
    let mut out: Vec<Glyph> = Vec::new();
    for w in words {
        let [x, y, bw, bh] = w.bbox;
        if !(10..=120).contains(&bh) || x + bw > pw || y + bh > ph {
            continue;
        }
        let (x0, y0) = (x.saturating_sub(2), y.saturating_sub(2));
        let (x1, y1) = ((x + bw + 2).min(pw), (y + bh + 2).min(ph));
        let (cw, ch) = ((x1 - x0) as usize, (y1 - y0) as usize);
        let (ink, paper) = levels(page, x0 as i64, y0 as i64, cw as i64, ch as i64);
        if paper - ink < 40.0 {
            continue;
        }
        let threshold = ((ink + paper) / 2.0) as u8;
        let dark: Vec<bool> = (0..cw * ch)
            .map(|i| page.get_pixel(x0 + (i % cw) as u32, y0 + (i / cw) as u32).0[0] < threshold)
            .collect();
        let mut seen = vec![false; cw * ch];
        let mut stack = Vec::new();
        for start in 0..cw * ch {
            if !dark[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            let (mut lx, mut ly, mut hx, mut hy) = (cw, ch, 0, 0);
            let mut members = Vec::new();
            while let Some(i) = stack.pop() {
                let (cx, cy) = (i % cw, i / cw);
                (lx, ly, hx, hy) = (lx.min(cx), ly.min(cy), hx.max(cx), hy.max(cy));
                members.push(i);
                for dy in -1i64..=1 {
                    for dx in -1i64..=1 {
                        let (nx, ny) = (cx as i64 + dx, cy as i64 + dy);
                        if nx < 0 || ny < 0 || nx >= cw as i64 || ny >= ch as i64 {
                            continue;
                        }
                        let n = ny as usize * cw + nx as usize;
                        if dark[n] && !seen[n] {
                            seen[n] = true;
                            stack.push(n);
                        }
                    }
                }
            }
            let (gw, gh) = (hx - lx + 1, hy - ly + 1);
            // A character: at least a third of its word's height, no wider than two heights.
            if gh * 3 < bh as usize || gh < 8 || gw < 3 || gw > 2 * bh as usize {
                continue;
            }
            let bbox = [x0 + lx as u32, y0 + ly as u32, gw as u32, gh as u32];
            if out.iter().any(|g| g.bbox == bbox) {
                continue;
            }
            let mut shape = [0u8; 64];
            for &i in &members {
                let (cx, cy) = (i % cw - lx, i / cw - ly);
                let cell = (cy * 8 / gh) * 8 + cx * 8 / gw;
                shape[cell] = shape[cell].saturating_add(1);
            }
            // Each cell's share of ink, 0–255.
            let area = (gw * gh) as f32 / 64.0;
            let shape = shape.map(|c| ((c as f32 / area.max(1.0)).min(1.0) * 255.0) as u8);
            out.push(Glyph { bbox, shape });
        }
    }
    out
}

/// Whether two characters are near enough in size (a copy laid over a wider character can
/// join what is left of it) and outline to be compared.
fn comparable(a: &Glyph, b: &Glyph) -> bool {
    if a.bbox[2].abs_diff(b.bbox[2]) > 4 || a.bbox[3].abs_diff(b.bbox[3]) > 4 {
        return false;
    }
    let d: u32 = a
        .shape
        .iter()
        .zip(&b.shape)
        .map(|(x, y)| u32::from(x.abs_diff(*y)))
        .sum();
    // On average within a quarter of a cell's ink: a copy joined to what is left of the
    // character under it stays within that; another character's outline does not.
    d <= 64 * 64
}

/// A page's sums over every 5 × 5 square, from its integral image: smoothing first leaves out
/// the finest grain, which a JPEG saved after the copy re-quantises differently on each 8 × 8
/// grid, and keeps the coarser mottle of paper and ink that a copy carries along.
pub struct Smoothed {
    /// The region's left and top on the page, and its width.
    x0: i64,
    y0: i64,
    width: usize,
    integral: Vec<u32>,
}

impl Smoothed {
    /// Over the whole page.
    pub fn of(page: &GrayImage) -> Smoothed {
        Smoothed::within(page, [0, 0, page.width(), page.height()])
    }

    /// Over `region` (`[x, y, width, height]`) of the page: the squares about its pixels are
    /// taken only where they lie wholly inside it.
    pub fn within(page: &GrayImage, region: [u32; 4]) -> Smoothed {
        let pw = page.width() as usize;
        let x0 = (region[0] as usize).min(pw);
        let y0 = (region[1] as usize).min(page.height() as usize);
        let w = (region[2] as usize).min(pw - x0);
        let h = (region[3] as usize).min(page.height() as usize - y0);
        let stride = w + 1;
        let mut integral = vec![0u32; stride * (h + 1)];
        let px = page.as_raw();
        for y in 0..h {
            let (above, below) = integral.split_at_mut((y + 1) * stride);
            let above = &above[y * stride..];
            let source = &px[(y0 + y) * pw + x0..(y0 + y) * pw + x0 + w];
            let mut row = 0u32;
            for ((out, up), &v) in below[1..stride].iter_mut().zip(&above[1..]).zip(source) {
                row += u32::from(v);
                *out = up + row;
            }
        }
        Smoothed {
            x0: x0 as i64,
            y0: y0 as i64,
            width: w,
            integral,
        }
    }

    /// The sum of the 5 × 5 square centred on `(x, y)` of the page, which must lie 2 px inside
    /// the region.
    fn at(&self, x: i64, y: i64) -> i32 {
        let (x, y) = (x - self.x0, y - self.y0);
        let s = self.width as i64 + 1;
        let i = |x: i64, y: i64| i64::from(self.integral[(y * s + x) as usize]);
        (i(x + 3, y + 3) - i(x - 2, y + 3) - i(x + 3, y - 2) + i(x - 2, y - 2)) as i32
    }
}

/// The ink (3rd percentile) and paper (90th) levels of a box of `page`.
pub(super) fn levels(page: &GrayImage, x0: i64, y0: i64, w: i64, h: i64) -> (f32, f32) {
    let mut hist = [0u32; 256];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            hist[page.get_pixel(x as u32, y as u32).0[0] as usize] += 1;
        }
    }
    let quantile = |q: f32| {
        let target = ((w * h) as f32 * q) as u32;
        let mut acc = 0;
        hist.iter()
            .position(|c| {
                acc += c;
                acc > target
            })
            .unwrap_or(255) as f32
    };
    (quantile(0.03), quantile(0.9))
}

/// The contrast of a box of `page`: its paper less its ink, at least 40 levels.
fn contrast(page: &GrayImage, x0: i64, y0: i64, w: i64, h: i64) -> f32 {
    let (ink, paper) = levels(page, x0, y0, w, h);
    (paper - ink).max(40.0)
}

/// How much two characters' smoothed pixels differ on average, at the shift (up to
/// [`SHIFT`] px each way) where they differ least, 2 px inside the smaller box (where a copy
/// cut close about its character still is), in the grey levels of a page whose ink is 200
/// below its paper; and over how many pixels. `None` where a box leaves the page or is too
/// small to judge.
pub fn difference(
    page: &GrayImage,
    smooth: &Smoothed,
    a: [u32; 4],
    b: [u32; 4],
) -> Option<(f32, usize)> {
    let (pw, ph) = (i64::from(page.width()), i64::from(page.height()));
    let (w, h) = (i64::from(a[2].min(b[2])), i64::from(a[3].min(b[3])));
    let fits = |x: i64, y: i64| x >= 3 && y >= 3 && x + w + 3 <= pw && y + h + 3 <= ph;
    let (ax, ay) = (i64::from(a[0]), i64::from(a[1]));
    if !fits(ax, ay) || w < 7 || h < 9 {
        return None;
    }
    // The shift is found on every other row and column.
    let mut best: Option<(i64, i64, i64)> = None;
    for sy in -SHIFT..=SHIFT {
        for sx in -SHIFT..=SHIFT {
            let (bx, by) = (i64::from(b[0]) + sx, i64::from(b[1]) + sy);
            if !fits(bx, by) {
                continue;
            }
            let mut sad = 0i64;
            for y in (0..h).step_by(2) {
                for x in (0..w).step_by(2) {
                    sad += i64::from((smooth.at(ax + x, ay + y) - smooth.at(bx + x, by + y)).abs());
                }
                if best.is_some_and(|b| sad >= b.0) {
                    break;
                }
            }
            if best.is_none_or(|b| sad < b.0) {
                best = Some((sad, bx, by));
            }
        }
    }
    let (_, bx, by) = best?;
    let mut sum = 0i64;
    for y in 2..h - 2 {
        for x in 2..w - 2 {
            sum += i64::from((smooth.at(ax + x, ay + y) - smooth.at(bx + x, by + y)).abs());
        }
    }
    let n = ((w - 4) * (h - 4)) as usize;
    let contrast = (contrast(page, ax, ay, w, h) + contrast(page, bx, by, w, h)) / 2.0;
    Some((sum as f32 / (n * 25) as f32 * 200.0 / contrast, n))
}

/// The most two characters judged on `n` pixels may differ and be one print twice:
/// [`MAX_DIFFERENCE`] on 150 pixels or more, less on fewer (a small character's mean is
/// less sure, and two printings of it can come close by chance).
pub fn max_difference(n: usize) -> f32 {
    MAX_DIFFERENCE * (n.min(150) as f32 / 150.0).sqrt()
}

/// The part of a page the characters and every square compared about them lie in: their
/// boxes' union grown by the shift and the smoothing's reach, and a pixel more.
fn reach(glyphs: &[Glyph]) -> [u32; 4] {
    let grow = SHIFT as u32 + 3;
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for g in glyphs {
        let [x, y, w, h] = g.bbox;
        (x0, y0) = (
            x0.min(x.saturating_sub(grow)),
            y0.min(y.saturating_sub(grow)),
        );
        (x1, y1) = (x1.max(x + w + grow), y1.max(y + h + grow));
    }
    if x1 <= x0 {
        return [0, 0, 0, 0];
    }
    [x0, y0, x1 - x0, y1 - y0]
}

fn overlaps(a: [u32; 4], b: [u32; 4]) -> bool {
    a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3]
}

fn within(inner: [u32; 4], outer: [u32; 4]) -> bool {
    let (cx, cy) = (inner[0] + inner[2] / 2, inner[1] + inner[3] / 2);
    cx >= outer[0] && cx < outer[0] + outer[2] && cy >= outer[1] && cy < outer[1] + outer[3]
}

/// A character of a changed-prone field and the character of its page likest it.
#[derive(Clone, Debug)]
pub struct Likest {
    /// 1-based.
    pub page: usize,
    pub field: &'static str,
    pub character: [u32; 4],
    pub source: [u32; 4],
    /// How much they differ ([`difference`]) and the most a copy may ([`max_difference`]).
    pub difference: f32,
    pub max: f32,
}

impl Likest {
    /// The difference as a share of the most a copy may differ: at most 1 is a copy.
    pub fn share(&self) -> f32 {
        self.difference / self.max
    }
}

/// Each character of the changed-prone fields of the scan, with the character elsewhere on
/// its page likest it.
pub fn likest(scan: &Scan) -> Vec<Likest> {
    let mut out = Vec::new();
    for text in &scan.reading.pages {
        let i = text.page.saturating_sub(1);
        let Some(page) = scan.pages.get(i) else {
            continue;
        };
        let fields: Vec<(&'static str, [u32; 4])> = FIELDS
            .iter()
            .filter_map(|&name| {
                let f = scan.reading.fields.get(name)?;
                (f.page == text.page).then_some((name, f.bbox))
            })
            .collect();
        if fields.is_empty() {
            continue;
        }
        let glyphs = glyphs(page, &text.words);
        let smooth = Smoothed::within(page, reach(&glyphs));
        for target in &glyphs {
            let Some(&(field, _)) = fields.iter().find(|(_, b)| within(target.bbox, *b)) else {
                continue;
            };
            let best = glyphs
                .iter()
                .filter(|s| !overlaps(s.bbox, target.bbox) && comparable(s, target))
                .filter_map(|s| {
                    let (difference, n) = difference(page, &smooth, target.bbox, s.bbox)?;
                    Some(Likest {
                        page: text.page,
                        field,
                        character: target.bbox,
                        source: s.bbox,
                        difference,
                        max: max_difference(n),
                    })
                })
                .min_by(|a, b| a.share().total_cmp(&b.share()));
            out.extend(best);
        }
    }
    out
}

/// More characters than this found copied on one page mean the page has no grain to tell
/// printings apart — an image made on a computer and never printed, or a print too clean —
/// and not that a forger copied them all: a forger's clone changes a digit or two.
pub const MAX_COPIES: usize = 2;

/// `edit.copy_move`: a character of a field that is another character of the page, grain and
/// all. Where more than [`MAX_COPIES`] are, the page has no grain: one `info` finding,
/// `edit.copy_move_untestable`, says the check could not tell.
pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let sha = &scan.reading.file.sha256;
    let mut flagged: Vec<[u32; 4]> = Vec::new();
    let mut copies: Vec<Likest> = Vec::new();
    for m in likest(scan) {
        if m.share() > 1.0 || flagged.iter().any(|b| overlaps(*b, m.character)) {
            continue;
        }
        // A copy within a field is found from both ends; one finding, at the first.
        flagged.push(m.character);
        flagged.push(m.source);
        copies.push(m);
    }
    let on = |copies: &[Likest], page: usize| copies.iter().filter(|m| m.page == page).count();
    let mut pages: Vec<usize> = copies.iter().map(|m| m.page).collect();
    pages.dedup();
    for page in pages {
        let n = on(&copies, page);
        if n > MAX_COPIES {
            let first = copies.iter().find(|m| m.page == page).map(|m| m.character);
            out.push(
                Finding::new(
                    "edit.copy_move_untestable",
                    Severity::Info,
                    [("copies", json!(n)), ("max", json!(MAX_COPIES))],
                )
                .at(sha, page, first.unwrap_or_default()),
            );
        }
    }
    let counts: Vec<usize> = copies.iter().map(|m| on(&copies, m.page)).collect();
    for (m, n) in copies.into_iter().zip(counts) {
        if n > MAX_COPIES {
            continue;
        }
        let value = scan
            .reading
            .fields
            .get(m.field)
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let round = |v: f32| json!((f64::from(v) * 100.0).round() / 100.0);
        out.push(
            Finding::new(
                "edit.copy_move",
                Severity::Critical,
                [
                    ("field", json!(m.field)),
                    ("value", json!(value)),
                    ("copied_from", json!(m.source)),
                    ("difference", round(m.difference)),
                    ("max", round(m.max)),
                ],
            )
            .at(sha, m.page, m.character),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Smooth random grain: white noise from `seed` blurred at σ 1.5, scaled to about ±1.
    fn grain(w: u32, h: u32, seed: u64) -> GrayImage {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let white = GrayImage::from_fn(w, h, |_, _| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            Luma([(s & 0xFF) as u8])
        });
        imageproc::filter::gaussian_blur_f32(&white, 1.5)
    }

    /// A page of mottled paper with the same character — a ring 30 px high — printed at
    /// two places (at other sub-pixel offsets, each on its own paper and with its own ink
    /// grain), scanned (blurred, with sensor noise) and saved as a JPEG of quality 80. With
    /// `copy`, the first character and the paper about it are copied over the second before
    /// the file is saved.
    fn page(copy: bool) -> GrayImage {
        let (w, h) = (400, 120);
        let (paper, ink, noise) = (grain(w, h, 1), grain(w, h, 2), grain(w, h, 3));
        let z = |g: &GrayImage, x: u32, y: u32| (f32::from(g.get_pixel(x, y).0[0]) - 127.5) / 13.9;
        let centres = [(100.3f32, 60.6f32), (300.7, 59.8)];
        let mut img = GrayImage::from_fn(w, h, |x, y| {
            // Ink coverage of the ring, sampled 4 × 4 within the pixel.
            let mut cover = 0.0;
            for sy in 0..4 {
                for sx in 0..4 {
                    let (px, py) = (
                        x as f32 + (sx as f32 + 0.5) / 4.0,
                        y as f32 + (sy as f32 + 0.5) / 4.0,
                    );
                    if centres.iter().any(|&(cx, cy)| {
                        let d = (((px - cx) / 10.0).powi(2) + ((py - cy) / 15.0).powi(2)).sqrt();
                        (0.65..=1.0).contains(&d)
                    }) {
                        cover += 1.0 / 16.0;
                    }
                }
            }
            let paper = 238.0 + 3.0 * z(&paper, x, y);
            let ink = 30.0 + 10.0 * z(&ink, x, y);
            Luma([(paper + (ink - paper) * cover).clamp(0.0, 255.0) as u8])
        });
        img = imageproc::filter::gaussian_blur_f32(&img, 0.8);
        for (x, y, p) in img.enumerate_pixels_mut() {
            // Sensor noise: the fine grain of a third field, unblurred.
            let n = (f32::from(noise.get_pixel((x * 7) % w, (y * 3) % h).0[0]) - 127.5) / 3.0;
            p.0[0] = (f32::from(p.0[0]) + n).clamp(0.0, 255.0) as u8;
        }
        if copy {
            let cut = image::imageops::crop_imm(&img, 86, 41, 29, 39).to_image();
            image::imageops::replace(&mut img, &cut, 286, 40);
        }
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
            .encode_image(&img)
            .unwrap();
        image::load_from_memory(&jpeg).unwrap().to_luma8()
    }

    fn words() -> Vec<Word> {
        [[80, 35, 45, 50], [280, 35, 45, 50]]
            .into_iter()
            .map(|bbox| Word {
                text: "O".into(),
                confidence: 0.9,
                bbox,
                line: 1,
            })
            .collect()
    }

    #[test]
    fn a_character_printed_twice_differs_and_a_copy_does_not() {
        let printed = page(false);
        let g = glyphs(&printed, &words());
        assert_eq!(g.len(), 2, "{g:?}");
        for c in &g {
            assert!(
                (19..=23).contains(&c.bbox[2]) && (29..=33).contains(&c.bbox[3]),
                "{c:?}"
            );
        }
        assert!(comparable(&g[0], &g[1]));
        let (twice, n) =
            difference(&printed, &Smoothed::of(&printed), g[0].bbox, g[1].bbox).unwrap();
        assert!(n >= 150 && twice > MAX_DIFFERENCE, "{twice} on {n} pixels");

        let copied = page(true);
        let g = glyphs(&copied, &words());
        assert_eq!(g.len(), 2, "{g:?}");
        let (once, _) = difference(&copied, &Smoothed::of(&copied), g[0].bbox, g[1].bbox).unwrap();
        assert!(once < MAX_DIFFERENCE / 2.0, "{once}");
    }

    #[test]
    fn smoothed_sums_are_the_sums_of_their_squares() {
        let img = grain(40, 30, 9);
        let s = Smoothed::of(&img);
        // A region of the page: its squares are the page's.
        let part = Smoothed::within(&img, [10, 8, 25, 20]);
        for (x, y) in [(2, 2), (20, 15), (37, 27), (12, 10), (32, 25)] {
            let mut sum = 0;
            for dy in -2..=2 {
                for dx in -2..=2 {
                    sum += i32::from(img.get_pixel((x + dx) as u32, (y + dy) as u32).0[0]);
                }
            }
            assert_eq!(s.at(x, y), sum);
            if (12..=32).contains(&x) && (10..=25).contains(&y) {
                assert_eq!(part.at(x, y), sum, "({x}, {y})");
            }
        }
    }
}
