//! Seals and signatures (`seal.*`, `signature.*`). A seal is found as what a round stamp
//! leaves whatever its text: a ring of ink. Edge pixels vote for the centre along their
//! gradient (the Hough gradient method), and each strong centre is kept only if ink runs round
//! most of a circle about it. Scans here are grey, so colour is not relied on.

use super::{Finding, Scan, Severity};
use crate::intake::ForeignKind;
use image::GrayImage;
use serde::Serialize;
use serde_json::json;

/// A round seal found on a page, in received-page pixels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Seal {
    pub cx: u32,
    pub cy: u32,
    pub r: u32,
    /// The share of the circle with ink on it.
    pub coverage: f32,
}

impl Seal {
    pub fn bbox(&self) -> [u32; 4] {
        [
            self.cx.saturating_sub(self.r),
            self.cy.saturating_sub(self.r),
            self.r * 2,
            self.r * 2,
        ]
    }
}

/// Width the page is brought to for the search: a 40 mm seal is then ~75 px across.
const WORK_WIDTH: u32 = 800;
/// Radii searched, as a share of the page's width: 15–55 mm seals on A4.
const RADII: (f32, f32) = (0.035, 0.13);
/// Ink must run round this share of the circle.
const MIN_COVERAGE: f32 = 0.9;

/// The round seals on a page, strongest first.
pub fn seals(page: &GrayImage) -> Vec<Seal> {
    if page.width() < 100 || page.height() < 100 {
        return Vec::new();
    }
    let scale = WORK_WIDTH as f32 / page.width() as f32;
    // Area-averaged: a ring two pixels wide stays a ring.
    let small = image::imageops::thumbnail(
        page,
        WORK_WIDTH,
        ((page.height() as f32 * scale).round() as u32).max(1),
    );
    let (w, h) = small.dimensions();
    // Ink: darker than the paper around it by a clear margin. The paper level is taken per
    // block of 64 px so that a photo's uneven light does not turn a corner into ink.
    let ink = ink_mask(&small);
    let rmin = (RADII.0 * w as f32) as i32;
    let rmax = (RADII.1 * w as f32) as i32;
    let mut votes = vec![0u32; (w * h) as usize];
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = (y * w + x) as usize;
            if !ink[i] {
                continue;
            }
            let (dx, dy) = sobel_at(&small, x, y);
            let mag = (dx * dx + dy * dy).sqrt();
            if mag < 60.0 {
                continue;
            }
            let (ux, uy) = (dx / mag, dy / mag);
            // A ring's edge points towards and away from its centre: vote both ways.
            for sign in [-1.0f32, 1.0] {
                for r in (rmin..=rmax).step_by(2) {
                    let cx = x as f32 + sign * ux * r as f32;
                    let cy = y as f32 + sign * uy * r as f32;
                    if cx >= 0.0 && cy >= 0.0 && (cx as u32) < w && (cy as u32) < h {
                        votes[(cy as u32 * w + cx as u32) as usize] += 1;
                    }
                }
            }
        }
    }
    // Strong centres (local maxima of the votes smoothed over 5 × 5), best first.
    // A 5 × 5 box sum, as a row pass then a column pass.
    let mut rows = vec![0u32; votes.len()];
    for y in 0..h {
        for x in 2..w.saturating_sub(2) {
            let i = (y * w + x) as usize;
            rows[i] = votes[i - 2..=i + 2].iter().sum();
        }
    }
    let mut smooth = vec![0u32; votes.len()];
    for y in 2..h.saturating_sub(2) {
        for x in 2..w.saturating_sub(2) {
            let i = (y * w + x) as usize;
            let wu = w as usize;
            smooth[i] = rows[i - 2 * wu] + rows[i - wu] + rows[i] + rows[i + wu] + rows[i + 2 * wu];
        }
    }
    // Local maxima only (of their 9 × 9 neighbourhood): a line of bold print makes a ridge of
    // votes, which must not crowd out the seal's one peak.
    let mut peaks: Vec<(u32, u32, u32)> = Vec::new();
    let floor = (rmin as u32).max(20) * 4;
    for y in 6..h.saturating_sub(6) {
        for x in 6..w.saturating_sub(6) {
            let v = smooth[(y * w + x) as usize];
            if v >= floor
                && (y - 4..=y + 4)
                    .all(|yy| (x - 4..=x + 4).all(|xx| smooth[(yy * w + xx) as usize] <= v))
            {
                peaks.push((v, x, y));
            }
        }
    }
    peaks.sort_unstable_by_key(|p| std::cmp::Reverse(p.0));
    // Ink within 2 px: a ring printed slightly out of round, or seen in a photo's perspective,
    // still lies on the circle looked for.
    let near_ink = dilate(&ink, w, h, 2);
    let (coarse_dirs, fine_dirs) = (directions(24), directions(90));
    let mut found: Vec<Seal> = Vec::new();
    let mut tried: Vec<(u32, u32)> = Vec::new();
    for &(_, x, y) in &peaks {
        if tried.len() >= 300 {
            break;
        }
        let near = |&(tx, ty): &(u32, u32)| tx.abs_diff(x) < 6 && ty.abs_diff(y) < 6;
        if tried.iter().any(near) {
            continue;
        }
        tried.push((x, y));
        // A coarse look first (every fourth radius, 24 directions) about the peak and a few
        // pixels round it — a photographed seal is a slight ellipse, whose votes peak off its
        // centre — then the full look at the best centre.
        let coarse = (-4..=4i32)
            .step_by(2)
            .flat_map(|dy| (-4..=4i32).step_by(2).map(move |dx| (dx, dy)))
            .filter_map(|(dx, dy)| {
                let c = (x.checked_add_signed(dx)?, y.checked_add_signed(dy)?);
                best_ring(
                    &near_ink,
                    (w, h),
                    c,
                    (rmin, rmax),
                    4,
                    &coarse_dirs,
                    MIN_COVERAGE - 0.15,
                )
                .map(|(_, cov)| (c, cov))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some(((x, y), _)) = coarse else {
            continue;
        };
        if let Some((r, coverage)) = best_ring(
            &near_ink,
            (w, h),
            (x, y),
            (rmin, rmax),
            1,
            &fine_dirs,
            MIN_COVERAGE,
        ) && !found.iter().any(|s| {
            // The inner ring of a seal already found is the same seal.
            (s.cx as f32 * scale - x as f32).abs() < r as f32
                && (s.cy as f32 * scale - y as f32).abs() < r as f32
        }) {
            found.push(Seal {
                cx: (x as f32 / scale) as u32,
                cy: (y as f32 / scale) as u32,
                r: (r as f32 / scale) as u32,
                coverage,
            });
        }
    }
    found.sort_by(|a, b| b.coverage.total_cmp(&a.coverage));
    found
}

/// The Sobel gradient (horizontal, vertical) at an inner pixel, as imageproc's
/// `horizontal_sobel` and `vertical_sobel` give it; computed only where the votes need it
/// (at ink), since filtering the whole page twice was a fifth of the seal search.
fn sobel_at(img: &GrayImage, x: u32, y: u32) -> (f32, f32) {
    let w = img.width() as usize;
    let p = img.as_raw();
    let at = |dx: usize, dy: usize| p[(y as usize + dy - 1) * w + x as usize + dx - 1] as i32;
    let gx = at(2, 0) - at(0, 0) + 2 * (at(2, 1) - at(0, 1)) + at(2, 2) - at(0, 2);
    let gy = at(0, 2) - at(0, 0) + 2 * (at(1, 2) - at(1, 0)) + at(2, 2) - at(2, 0);
    (gx as f32, gy as f32)
}

/// `mask` grown by `k` pixels every way (a square max filter, rows then columns).
fn dilate(mask: &[bool], w: u32, h: u32, k: u32) -> Vec<bool> {
    let (w, h, k) = (w as usize, h as usize, k as usize);
    let mut rows = vec![false; mask.len()];
    for y in 0..h {
        for x in 0..w {
            rows[y * w + x] = (x.saturating_sub(k)..=(x + k).min(w - 1)).any(|xx| mask[y * w + xx]);
        }
    }
    let mut out = vec![false; mask.len()];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = (y.saturating_sub(k)..=(y + k).min(h - 1)).any(|yy| rows[yy * w + x]);
        }
    }
    out
}

/// Ink pixels: darker by 60 than the bright paper of their 64 × 64 block.
fn ink_mask(img: &GrayImage) -> Vec<bool> {
    let (w, h) = img.dimensions();
    const B: u32 = 64;
    let (bw, bh) = (w.div_ceil(B), h.div_ceil(B));
    let mut paper = vec![0u8; (bw * bh) as usize];
    for by in 0..bh {
        for bx in 0..bw {
            let mut hist = [0u32; 256];
            let mut n = 0;
            for y in by * B..((by + 1) * B).min(h) {
                for x in bx * B..((bx + 1) * B).min(w) {
                    hist[img.get_pixel(x, y).0[0] as usize] += 1;
                    n += 1;
                }
            }
            // The 90th percentile: paper, whatever share of the block is ink.
            let mut acc = 0;
            let mut level = 255u8;
            for (v, c) in hist.iter().enumerate() {
                acc += c;
                if acc * 10 >= n * 9 {
                    level = v as u8;
                    break;
                }
            }
            paper[(by * bw + bx) as usize] = level;
        }
    }
    img.enumerate_pixels()
        .map(|(x, y, p)| {
            let level = paper[((y / B) * bw + x / B) as usize];
            // A block of desk (dark, even) has no paper to be darker than.
            level >= 120 && p.0[0] as i32 <= level as i32 - 60
        })
        .collect()
}

/// `n` directions evenly round the circle, as (cos, sin).
fn directions(n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|k| {
            let (s, c) = (k as f32 / n as f32 * std::f32::consts::TAU).sin_cos();
            (c, s)
        })
        .collect()
}

/// The radius about `(x, y)` (tried every `step` pixels, looking along `dirs`) with the most
/// of its circle inked, if at least `min` of it is.
fn best_ring(
    ink: &[bool],
    (w, h): (u32, u32),
    (x, y): (u32, u32),
    (rmin, rmax): (i32, i32),
    step: usize,
    dirs: &[(f32, f32)],
    min: f32,
) -> Option<(i32, f32)> {
    let inked = |px: i32, py: i32| {
        px >= 0
            && py >= 0
            && (px as u32) < w
            && (py as u32) < h
            && ink[(py as u32 * w + px as u32) as usize]
    };
    let steps = dirs.len();
    // A radius with more bare directions than this cannot reach `min`: it is left at once.
    let max_misses = steps - (0..=steps).find(|&k| k as f32 / steps as f32 >= min)?;
    let mut best: Option<(i32, f32)> = None;
    for r in (rmin..=rmax).step_by(step) {
        let (mut hits, mut misses) = (0, 0);
        for &(c, s) in dirs {
            if inked(
                (x as f32 + c * r as f32).round() as i32,
                (y as f32 + s * r as f32).round() as i32,
            ) {
                hits += 1;
            } else {
                misses += 1;
                if misses > max_misses {
                    break;
                }
            }
        }
        if misses > max_misses {
            continue;
        }
        let coverage = hits as f32 / steps as f32;
        if coverage >= min && best.is_none_or(|b| coverage > b.1) {
            best = Some((r, coverage));
        }
    }
    best
}

/// `seal.missing` on a diploma or an apostille with no round seal on any page;
/// `signature.missing` on a diploma with no ink beside its signatory's name.
pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let kind = scan.reading.kind;
    if !matches!(kind, Some(ForeignKind::Diploma | ForeignKind::Apostille))
        || scan.reading.status == "unreadable"
    {
        return;
    }
    let found: Vec<(usize, Seal)> = scan
        .pages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| seals(p).into_iter().map(move |s| (i + 1, s)))
        .collect();
    if found.is_empty() {
        out.push(
            Finding::new(
                "seal.missing",
                Severity::Critical,
                [
                    (
                        "kind",
                        json!(if kind == Some(ForeignKind::Apostille) {
                            "apostille"
                        } else {
                            "diploma"
                        }),
                    ),
                    ("pages", json!(scan.pages.len())),
                ],
            )
            .in_file(&scan.reading.file.sha256),
        );
    }
    if kind == Some(ForeignKind::Diploma)
        && let Some(signer) = scan.reading.fields.get("signed_by")
        && let Some((i, region)) = signature_area(scan.reading, scan.pages)
        && let Some(share) = signature_ink(scan.reading, scan.pages, i, region, &found)
        && share < 0.0015
    {
        out.push(
            Finding::new(
                "signature.missing",
                Severity::Warning,
                [
                    ("signed_by", json!(signer.value)),
                    ("ink_share", json!((share * 10000.0).round() / 10000.0)),
                ],
            )
            .at(&scan.reading.file.sha256, signer.page, region),
        );
    }
}

/// Where a diploma's signature should be: right of the signatory's name, three lines up and
/// down, short of the page's last tenth (where a frame's rules would count as ink). The page
/// index and the region.
pub(super) fn signature_area(
    reading: &crate::ocr::FileReading,
    pages: &[GrayImage],
) -> Option<(usize, [u32; 4])> {
    let signer = reading.fields.get("signed_by")?;
    let i = signer.page.checked_sub(1)?;
    let page = pages.get(i)?;
    let b = signer.bbox;
    let x = b[0] + b[2];
    Some((
        i,
        [
            x,
            b[1].saturating_sub(b[3] * 3),
            (page.width() * 9 / 10).saturating_sub(x),
            b[3] * 7,
        ],
    ))
}

/// The share of `region` covered by ink no word explains, seals (of `found`) left out.
fn signature_ink(
    reading: &crate::ocr::FileReading,
    pages: &[GrayImage],
    i: usize,
    region: [u32; 4],
    found: &[(usize, Seal)],
) -> Option<f32> {
    let text = reading.pages.iter().find(|p| p.page == i + 1)?;
    let mut masked = pages[i].clone();
    for (p, s) in found {
        if *p == i + 1 {
            imageproc::drawing::draw_filled_circle_mut(
                &mut masked,
                (s.cx as i32, s.cy as i32),
                s.r as i32 + 4,
                image::Luma([255]),
            );
        }
    }
    Some(crate::ocr::extract::unexplained_ink(
        &masked,
        region,
        &text.words,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::drawing::{draw_filled_rect_mut, draw_hollow_circle_mut};
    use imageproc::rect::Rect;

    /// The gradient taken at one pixel is imageproc's, on every inner pixel of a noisy page.
    #[test]
    fn sobel_at_matches_imageproc() {
        let mut state = 12345u32;
        let img = GrayImage::from_fn(61, 47, |_, _| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            Luma([(state >> 16) as u8])
        });
        let gx = imageproc::gradients::horizontal_sobel(&img);
        let gy = imageproc::gradients::vertical_sobel(&img);
        for y in 1..img.height() - 1 {
            for x in 1..img.width() - 1 {
                let want = (
                    gx.get_pixel(x, y).0[0] as f32,
                    gy.get_pixel(x, y).0[0] as f32,
                );
                assert_eq!(sobel_at(&img, x, y), want, "at ({x}, {y})");
            }
        }
    }

    fn page_with_text() -> GrayImage {
        let mut page = GrayImage::from_pixel(1654, 2339, Luma([244]));
        // Lines of "text": short dark bars, and the letter-sized rings an «О» makes.
        for line in 0..30 {
            let y = 200 + line * 60;
            for word in 0..12 {
                let x = 180 + word * 105;
                draw_filled_rect_mut(&mut page, Rect::at(x, y).of_size(80, 6), Luma([30]));
                draw_hollow_circle_mut(&mut page, (x + 20, y + 20), 12, Luma([30]));
            }
        }
        page
    }

    #[test]
    fn a_ring_seal_is_found_and_text_alone_is_no_seal() {
        let page = page_with_text();
        assert!(seals(&page).is_empty(), "{:?}", seals(&page));
        let mut sealed = page.clone();
        for k in 0..3 {
            draw_hollow_circle_mut(&mut sealed, (1200, 1800), 100 - k, Luma([66]));
            draw_hollow_circle_mut(&mut sealed, (1200, 1800), 70 - k, Luma([66]));
        }
        let found = seals(&sealed);
        let s = found.first().expect("the seal is found");
        assert!(
            s.cx.abs_diff(1200) <= 8 && s.cy.abs_diff(1800) <= 8,
            "{s:?}"
        );
        assert!(s.r.abs_diff(100) <= 8 || s.r.abs_diff(70) <= 8, "{s:?}");
    }
}
