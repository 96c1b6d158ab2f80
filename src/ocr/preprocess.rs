//! Page preprocessing before recognition, step by step, each one measurable and skippable:
//!
//! - `flatten`: a phone photo of a page lying on a desk is cropped to the page and its
//!   perspective undone. The page is the largest bright region (Otsu's threshold on a reduced
//!   copy); its corners are the region's extreme points along the diagonals; the
//!   quadrilateral is warped to an A4-shaped rectangle. A scan, whose page fills the frame,
//!   is left alone.
//! - `scale`: resolution normalisation to about 300 dpi, the resolution tesseract's models
//!   are trained for. Scans rarely carry a trustworthy DPI, so it is estimated from the page's
//!   long side as if the page were A4 (the size of nearly every diploma, attestat, supplement
//!   and apostille certificate), and only applied outside 250–360 dpi.
//! - `deskew`: the text's angle within ±6°, found by projection profiles (the angle at which
//!   the rows of ink are sharpest), then undone on white.
//! - `denoise`: a 3 × 3 median filter (a sorting network per pixel), which removes
//!   salt-and-pepper scanner noise and JPEG speckle; after the enlargement, since at scan
//!   resolution it would eat the strokes of small print.
//! - `binarize`: Sauvola's local threshold (window 31 px, k = 0.34), which keeps text on
//!   stained, shaded or unevenly lit paper where one global threshold loses it.
//! - `unrule`: a table's rules and a page's frame erased: runs of dark pixels along a row or
//!   down a column longer than a twenty-eighth of the page's long side (a centimetre at
//!   300 dpi; no letter has a straight stroke that long), found on the grey page before the
//!   threshold breaks a thin rule into dashes, erased after it. Left in, a rule touching a
//!   row's letters is read as «0000» or «|» and takes the row's words with it.
//!
//! An enlargement and the rotation are one bilinear resampling pass ([`scale_and_turn`],
//! timed as `scale`; the angle's search is timed as `deskew`): two passes over a 300-dpi page
//! cost twice as much and blur twice. A reduction is done first with a triangle filter, which does not alias.

use image::GrayImage;
use serde::Serialize;
use std::time::Instant;

/// The steps, in the order they run.
pub const STEPS: [&str; 6] = [
    "flatten", "scale", "deskew", "denoise", "binarize", "unrule",
];

/// Which steps to skip.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub skip: Vec<String>,
}

impl Options {
    fn runs(&self, step: &str) -> bool {
        !self.skip.iter().any(|s| s == step)
    }
}

/// What preprocessing did to one page, and how long each step took.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The factor the page was resized by (1 when left alone).
    pub scale: f32,
    /// The skew found and undone, in degrees (positive: the page was turned clockwise, its
    /// lines falling to the right).
    pub deskew_degrees: f32,
    /// The page's corners in the received image (top left, top right, bottom right, bottom
    /// left) when a photo was flattened, and the size of the flattened page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_corners: Option<[(f32, f32); 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flattened_size: Option<(u32, u32)>,
    /// Milliseconds per step that ran.
    pub timings_ms: Vec<(String, f64)>,
}

impl Report {
    /// Maps a point of the flattened page back to the received image (the identity when the
    /// page was not flattened).
    pub fn unflatten(&self) -> Option<imageproc::geometric_transformations::Projection> {
        let (q, (w, h)) = (self.page_corners?, self.flattened_size?);
        let (w, h) = (w as f32, h as f32);
        imageproc::geometric_transformations::Projection::from_control_points(
            [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)],
            q,
        )
    }
}

/// The corners of a page photographed on a darker ground (top left, top right, bottom right,
/// bottom left, in `img`'s pixels), or `None` when the frame's edge is paper rather than desk
/// (a scan), or no page-like region stands out.
pub fn page_corners(img: &GrayImage) -> Option<[(f32, f32); 4]> {
    use imageproc::region_labelling::{Connectivity, connected_components};
    let long = img.width().max(img.height());
    let f = (long as f32 / 400.0).max(1.0);
    let (sw, sh) = (
        ((img.width() as f32 / f) as u32).max(1),
        ((img.height() as f32 / f) as u32).max(1),
    );
    // Too small to hold a page and a desk around it.
    if sw < 20 || sh < 20 {
        return None;
    }
    let small = image::imageops::thumbnail(img, sw, sh);
    let level = imageproc::contrast::otsu_level(&small);
    // A photo of a page on a desk has the desk all round the frame's edge; a scan (or a
    // decorated page's inner panel) has paper there.
    let ring = (sw.max(sh) / 50).max(2);
    let mut edge: Vec<u8> = small
        .enumerate_pixels()
        .filter(|(x, y, _)| *x < ring || *y < ring || *x >= sw - ring || *y >= sh - ring)
        .map(|(_, _, p)| p.0[0])
        .collect();
    let mid = edge.len() / 2;
    if edge.is_empty() || *edge.select_nth_unstable(mid).1 >= level {
        return None;
    }
    let mask = GrayImage::from_fn(sw, sh, |x, y| {
        image::Luma([if small.get_pixel(x, y).0[0] > level {
            255
        } else {
            0
        }])
    });
    let labels = connected_components(&mask, Connectivity::Eight, image::Luma([0u8]));
    let mut sizes = std::collections::HashMap::<u32, u32>::new();
    for p in labels.pixels() {
        if p.0[0] != 0 {
            *sizes.entry(p.0[0]).or_default() += 1;
        }
    }
    let (&label, &area) = sizes.iter().max_by_key(|(_, a)| **a)?;
    if (area as f32) < 0.25 * (sw * sh) as f32 {
        return None;
    }
    // Extreme points along the diagonals: x + y smallest (top left) and largest (bottom
    // right), x − y largest (top right) and smallest (bottom left).
    let mut best = [
        (i64::MAX, (0u32, 0u32)),
        (i64::MIN, (0, 0)),
        (i64::MIN, (0, 0)),
        (i64::MAX, (0, 0)),
    ];
    for (x, y, p) in labels.enumerate_pixels() {
        if p.0[0] != label {
            continue;
        }
        let (sum, diff) = (x as i64 + y as i64, x as i64 - y as i64);
        if sum < best[0].0 {
            best[0] = (sum, (x, y));
        }
        if diff > best[1].0 {
            best[1] = (diff, (x, y));
        }
        if sum > best[2].0 {
            best[2] = (sum, (x, y));
        }
        if diff < best[3].0 {
            best[3] = (diff, (x, y));
        }
    }
    let frame = [(0, 0), (sw - 1, 0), (sw - 1, sh - 1), (0, sh - 1)];
    let margin = 0.02 * sw.max(sh) as f32;
    let at_frame = best.iter().zip(frame).all(|((_, (x, y)), (fx, fy))| {
        (*x as f32 - fx as f32).abs() <= margin && (*y as f32 - fy as f32).abs() <= margin
    });
    if at_frame {
        return None;
    }
    // Back to the received image's pixels; a corner is the far edge of its reduced pixel.
    let corner = |i: usize, dx: f32, dy: f32| {
        let (x, y) = best[i].1;
        ((x as f32 + dx) * f, (y as f32 + dy) * f)
    };
    let q = [
        corner(0, 0.0, 0.0),
        corner(1, 1.0, 0.0),
        corner(2, 1.0, 1.0),
        corner(3, 0.0, 1.0),
    ];
    // A page: its sides within a third of each other's length, portrait or landscape.
    let d = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let (top, bottom, left, right) = (d(q[0], q[1]), d(q[3], q[2]), d(q[0], q[3]), d(q[1], q[2]));
    let similar = |a: f32, b: f32| a.min(b) > 0.66 * a.max(b);
    if !similar(top, bottom) || !similar(left, right) {
        return None;
    }
    Some(q)
}

/// The page within `corners` warped to an A4-shaped rectangle (portrait or landscape, as the
/// page lies) as wide as the mean of its top and bottom sides: a perspective foreshortens a
/// page's sides unevenly, so its true proportions are not in the photo, and nearly every
/// document read here is A4.
pub fn flatten(img: &GrayImage, corners: [(f32, f32); 4]) -> Option<GrayImage> {
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
    let d = |a: (f32, f32), b: (f32, f32)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let across = (d(corners[0], corners[1]) + d(corners[3], corners[2])) / 2.0;
    let down = (d(corners[0], corners[3]) + d(corners[1], corners[2])) / 2.0;
    let a4 = std::f32::consts::SQRT_2;
    let w = across.round() as u32;
    let h = if down >= across {
        across * a4
    } else {
        across / a4
    }
    .round() as u32;
    let (wf, hf) = (w as f32, h as f32);
    let to_flat =
        Projection::from_control_points(corners, [(0.0, 0.0), (wf, 0.0), (wf, hf), (0.0, hf)])?;
    let mut out = GrayImage::new(w.max(1), h.max(1));
    warp_into(
        img,
        to_flat,
        Interpolation::Bilinear,
        Border::Constant(image::Luma([255])),
        &mut out,
    );
    Some(out)
}

/// A page to resample, read at 16.16 fixed-point positions.
struct Source<'a> {
    px: &'a [u8],
    w: i64,
    h: i64,
}

impl<'a> Source<'a> {
    fn of(img: &'a GrayImage) -> Self {
        Source {
            px: img.as_raw(),
            w: img.width() as i64,
            h: img.height() as i64,
        }
    }

    /// The bilinear blend of the four pixels about (sx, sy) (16.16 fixed point, weights to
    /// 1/256), with neighbours off the page blended in as white; `None` when all four are off.
    #[inline(always)]
    fn bilinear(&self, sx: i64, sy: i64) -> Option<u8> {
        let (x0, y0) = (sx >> 16, sy >> 16);
        let (iw, ih) = (self.w, self.h);
        let fx = ((sx >> 8) & 0xff) as u32;
        let fy = ((sy >> 8) & 0xff) as u32;
        let (p00, p01, p10, p11) = if x0 >= 0 && y0 >= 0 && x0 + 1 < iw && y0 + 1 < ih {
            let i = (y0 * iw + x0) as usize;
            let j = i + iw as usize;
            (
                self.px[i] as u32,
                self.px[i + 1] as u32,
                self.px[j] as u32,
                self.px[j + 1] as u32,
            )
        } else if x0 >= -1 && y0 >= -1 && x0 < iw && y0 < ih {
            let at = |x: i64, y: i64| -> u32 {
                if x >= 0 && y >= 0 && x < iw && y < ih {
                    self.px[(y * iw + x) as usize] as u32
                } else {
                    255
                }
            };
            (
                at(x0, y0),
                at(x0 + 1, y0),
                at(x0, y0 + 1),
                at(x0 + 1, y0 + 1),
            )
        } else {
            return None;
        };
        let top = p00 * (256 - fx) + p01 * fx;
        let bottom = p10 * (256 - fx) + p11 * fx;
        Some(((top * (256 - fy) + bottom * fy + 32768) >> 16) as u8)
    }
}

const A4_LONG_INCHES: f32 = 11.69;
const TARGET_DPI: f32 = 300.0;

/// Runs `f`, noting its milliseconds under `name`.
fn timed<T>(timings: &mut Vec<(String, f64)>, name: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    timings.push((name.to_string(), t.elapsed().as_secs_f64() * 1000.0));
    out
}

/// Runs the steps that are not skipped.
pub fn run(page: &GrayImage, options: &Options) -> (GrayImage, Report) {
    let mut t = Vec::new();
    let mut img = page.clone();
    let mut page_corners = None;
    let mut flattened_size = None;
    if options.runs("flatten") {
        let ms = Instant::now();
        if let Some(q) = self::page_corners(&img)
            && let Some(flat) = flatten(&img, q)
        {
            page_corners = Some(q);
            flattened_size = Some(flat.dimensions());
            img = flat;
        }
        t.push(("flatten".into(), ms.elapsed().as_secs_f64() * 1000.0));
    }
    let mut scale = 1.0f32;
    if options.runs("scale") {
        let dpi = img.width().max(img.height()) as f32 / A4_LONG_INCHES;
        if !(250.0..=360.0).contains(&dpi) {
            scale = (TARGET_DPI / dpi).clamp(0.25, 4.0);
        }
    }
    if scale < 1.0 {
        img = timed(&mut t, "scale", || {
            image::imageops::resize(
                &img,
                ((img.width() as f32 * scale).round() as u32).max(1),
                ((img.height() as f32 * scale).round() as u32).max(1),
                image::imageops::FilterType::Triangle,
            )
        });
    }
    let angle = if options.runs("deskew") {
        timed(&mut t, "deskew", || skew_degrees(&img))
    } else {
        0.0
    };
    let rotate = angle.abs() >= 0.2;
    let enlarge = scale > 1.0;
    if enlarge || rotate {
        let step = if enlarge { "scale" } else { "deskew" };
        let ms = Instant::now();
        let s = if enlarge { scale } else { 1.0 };
        let (w, h) = (
            ((img.width() as f32 * s).round() as u32).max(1),
            ((img.height() as f32 * s).round() as u32).max(1),
        );
        let theta = if rotate { -angle.to_radians() } else { 0.0 };
        img = scale_and_turn(&img, s, theta, (w, h));
        let ms = ms.elapsed().as_secs_f64() * 1000.0;
        match t.iter_mut().find(|(n, _)| n == step) {
            Some(entry) => entry.1 += ms,
            None => t.push((step.to_string(), ms)),
        }
    } else if options.runs("scale") && !t.iter().any(|(n, _)| n == "scale") {
        t.push(("scale".into(), 0.0));
    }
    // After the enlargement: a median at scan resolution would eat the strokes of small print.
    if options.runs("denoise") {
        img = timed(&mut t, "denoise", || median3(&img));
    }
    // The rules are found before the threshold breaks them, and erased after it.
    let rules = options.runs("unrule").then(|| {
        let min = img.width().max(img.height()) / 28;
        timed(&mut t, "unrule", || rules(&img, min))
    });
    if options.runs("binarize") {
        img = timed(&mut t, "binarize", || sauvola(&img, 15, 0.34));
    }
    if let Some(rules) = rules {
        let ms = Instant::now();
        img = erase(&img, &rules);
        if let Some(entry) = t.iter_mut().find(|(n, _)| n == "unrule") {
            entry.1 += ms.elapsed().as_secs_f64() * 1000.0;
        }
    }
    (
        img,
        Report {
            scale,
            deskew_degrees: if rotate { angle } else { 0.0 },
            page_corners,
            flattened_size,
            timings_ms: t,
        },
    )
}

/// The page enlarged by `s`, then turned by `theta` radians about the enlarged page's centre —
/// as `ocr::unmap` undoes it — into a `size` page, by bilinear interpolation; what falls
/// outside the page is white. The same mapping as imageproc's `warp_into` with that
/// projection (off-page neighbours of an edge pixel blend in as white), a few times faster:
/// an affine map moves the source point by a constant step
/// along each output row, so it is walked in 16.16 fixed point with no division per pixel.
pub fn scale_and_turn(img: &GrayImage, s: f32, theta: f32, size: (u32, u32)) -> GrayImage {
    let (w, h) = size;
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (sin, cos) = (theta as f64).sin_cos();
    let s = s as f64;
    let src = Source::of(img);
    let mut out = vec![255u8; w as usize * h as usize];
    const ONE: f64 = 65536.0;
    // Source = S(1/s) · (R(−θ) · (out − c) + c).
    let step_x = (cos / s * ONE).round() as i64;
    let step_y = (-sin / s * ONE).round() as i64;
    for (y, row) in out.chunks_exact_mut(w as usize).enumerate() {
        let dy = y as f64 - cy;
        let mut sx = (((cos * -cx + sin * dy) + cx) / s * ONE).round() as i64;
        let mut sy = (((-sin * -cx + cos * dy) + cy) / s * ONE).round() as i64;
        for px in row.iter_mut() {
            if let Some(v) = src.bilinear(sx, sy) {
                *px = v;
            }
            sx += step_x;
            sy += step_y;
        }
    }
    GrayImage::from_raw(w, h, out).expect("same dimensions")
}

/// The 3 × 3 median of every pixel (edges replicated), exactly, by the separable method: each
/// column of three is sorted once (shared by the three pixels that see it), and the median
/// is the median of the largest low, the middle middle and the smallest high — branch-free
/// min/max over whole rows, which the compiler vectorises.
pub fn median3(img: &GrayImage) -> GrayImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let mut out = vec![0u8; w * h];
    let (mut lo, mut mid, mut hi) = (vec![0u8; w + 2], vec![0u8; w + 2], vec![0u8; w + 2]);
    for y in 0..h {
        let row = |r: usize| &src[r * w..(r + 1) * w];
        let (a, b, c) = (row(y.saturating_sub(1)), row(y), row((y + 1).min(h - 1)));
        // Sorted columns, with the edge columns repeated at both ends.
        for x in 0..w {
            let (p, q, r) = (a[x], b[x], c[x]);
            let (l, m) = (p.min(q), p.max(q));
            let (m, hh) = (m.min(r), m.max(r));
            let (l, m) = (l.min(m), l.max(m));
            lo[x + 1] = l;
            mid[x + 1] = m;
            hi[x + 1] = hh;
        }
        for v in [&mut lo, &mut mid, &mut hi] {
            v[0] = v[1];
            v[w + 1] = v[w];
        }
        let dst = &mut out[y * w..(y + 1) * w];
        for x in 0..w {
            let max_lo = lo[x].max(lo[x + 1]).max(lo[x + 2]);
            let min_hi = hi[x].min(hi[x + 1]).min(hi[x + 2]);
            let (m0, m1, m2) = (mid[x], mid[x + 1], mid[x + 2]);
            let med_mid = m0.max(m1).min(m0.min(m1).max(m2));
            dst[x] = max_lo.max(med_mid).min(max_lo.min(med_mid).max(min_hi));
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("same dimensions")
}

/// The largest window radius of [`sauvola`].
pub const MAX_SAUVOLA_RADIUS: u32 = 90;

/// Sauvola's threshold: a pixel is ink when darker than `mean · (1 + k · (sd / 128 − 1))`
/// over the (2r+1)² window around it (cut at the edges). The window sums are kept as
/// running sums — per column over the window's rows, then along the row — so memory is a
/// few rows wide and every pixel is read in order.
///
/// A window's sums fit in 31 bits (181² × 255² < 2³¹ for r ≤ 90, [`MAX_SAUVOLA_RADIUS`]; a
/// larger `r` is taken as 90, a window of 15 mm at 300 dpi, far wider than any print), so the
/// prefix sums along a row are kept in wrapping 32-bit arithmetic: the difference of two is
/// the window's sum exactly. The columns whose window the page's edge
/// does not cut share one pixel count, and their loop has no branch and converts only 32-bit
/// integers, which the compiler vectorises; the arithmetic per pixel is the same as at the
/// edges, so the result is the same to the pixel.
pub fn sauvola(img: &GrayImage, r: u32, k: f64) -> GrayImage {
    let r = r.min(MAX_SAUVOLA_RADIUS);
    let (w, h) = (img.width() as usize, img.height() as usize);
    let r = r as usize;
    let src = img.as_raw();
    let mut out = vec![255u8; w * h];
    // Per column, the sum and the sum of squares over rows [y - r, y + r].
    let mut col = vec![0u32; w];
    let mut col_sq = vec![0u32; w];
    // Row y comes into the columns' sums with `sign` 1 and leaves them with `u32::MAX` (−1 in
    // wrapping arithmetic, in which the sums stay exact).
    let slide = |col: &mut [u32], col_sq: &mut [u32], y: usize, sign: u32| {
        for ((c, q), &v) in col
            .iter_mut()
            .zip(col_sq.iter_mut())
            .zip(&src[y * w..(y + 1) * w])
        {
            let v = v as u32;
            *c = c.wrapping_add(v.wrapping_mul(sign));
            *q = q.wrapping_add((v * v).wrapping_mul(sign));
        }
    };
    for y in 0..r.min(h) {
        slide(&mut col, &mut col_sq, y, 1);
    }
    let mut pre = vec![0u32; w + 1];
    let mut pre_sq = vec![0u32; w + 1];
    let threshold = |s: u32, q: u32, n: f64| {
        let mean = s as i32 as f64 / n;
        let var = (q as i32 as f64 / n - mean * mean).max(0.0);
        mean * (1.0 + k * (var.sqrt() / 128.0 - 1.0))
    };
    for y in 0..h {
        if y + r < h {
            slide(&mut col, &mut col_sq, y + r, 1);
        }
        if y > r {
            slide(&mut col, &mut col_sq, y - r - 1, u32::MAX);
        }
        let rows = (y + r + 1).min(h) - y.saturating_sub(r);
        for x in 0..w {
            pre[x + 1] = pre[x].wrapping_add(col[x]);
            pre_sq[x + 1] = pre_sq[x].wrapping_add(col_sq[x]);
        }
        let line = &src[y * w..(y + 1) * w];
        let dst = &mut out[y * w..(y + 1) * w];
        // Columns [r, w - r - 1] see the whole window's width.
        let inner = if w > 2 * r { r..w - r } else { 0..0 };
        for x in (0..w).filter(|x| !inner.contains(x)) {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let n = ((x1 - x0) * rows) as f64;
            let s = pre[x1].wrapping_sub(pre[x0]);
            let q = pre_sq[x1].wrapping_sub(pre_sq[x0]);
            if (line[x] as f64) <= threshold(s, q, n) {
                dst[x] = 0;
            }
        }
        if inner.is_empty() {
            continue;
        }
        let n = ((2 * r + 1) * rows) as f64;
        let span = inner.len();
        let (lo, hi) = (&pre[..span], &pre[2 * r + 1..2 * r + 1 + span]);
        let (lo_sq, hi_sq) = (&pre_sq[..span], &pre_sq[2 * r + 1..2 * r + 1 + span]);
        for ((((d, &v), (&a, &b)), &a2), &b2) in dst[inner.clone()]
            .iter_mut()
            .zip(&line[inner])
            .zip(lo.iter().zip(hi))
            .zip(lo_sq)
            .zip(hi_sq)
        {
            let ink = (v as f64) <= threshold(b.wrapping_sub(a), b2.wrapping_sub(a2), n);
            *d = if ink { 0 } else { 255 };
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("same dimensions")
}

/// Where a table's rules and a page's frame are: every run at least `min` pixels long, along
/// a row or down a column, of pixels darker than 85% of the page's median (its paper), and
/// the pixel beside it on either side, which the line's blurred edge darkens. Found on the
/// grey page, where a thin rule is whole; a local threshold breaks it into dashes.
pub fn rules(img: &GrayImage, min: u32) -> Vec<bool> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let dark = rule_level(src);
    let mut rule = vec![false; w * h];
    let min = min.max(2) as usize;
    // Along each row: a long run marks its row and the rows above and below it. Paper is
    // skipped 32 pixels at a time (a comparison over a block the compiler vectorises).
    for y in 0..h {
        let line = &src[y * w..(y + 1) * w];
        let mut x = 0;
        while x < w {
            if x + 32 <= w && line[x..x + 32].iter().all(|&v| v >= dark) {
                x += 32;
                continue;
            }
            if line[x] >= dark {
                x += 1;
                continue;
            }
            let s = x;
            while x < w && line[x] < dark {
                x += 1;
            }
            if x - s >= min {
                for yy in y.saturating_sub(1)..(y + 2).min(h) {
                    rule[yy * w + s..yy * w + x].fill(true);
                }
            }
        }
    }
    // Down each column, all columns at once in memory order: `run[x]` is how many dark pixels
    // end at the current row in column x. A run that stops at least `min` long marks its
    // column and the columns beside it; those are rare, so each row is first checked for one
    // in a branch-free pass.
    let mut run = vec![0u32; w];
    let mut ended = vec![0u32; w];
    let mark = |rule: &mut [bool], x: usize, to: usize, len: usize| {
        if len >= min {
            for yy in to - len..to {
                rule[yy * w + x.saturating_sub(1)..yy * w + (x + 2).min(w)].fill(true);
            }
        }
    };
    for y in 0..=h {
        let mut any = 0u32;
        if y < h {
            let line = &src[y * w..(y + 1) * w];
            for ((r, e), &v) in run.iter_mut().zip(ended.iter_mut()).zip(line) {
                let on = (v < dark) as u32;
                *e = *r * (1 - on);
                any |= *e;
                *r = (*r + 1) * on;
            }
        } else {
            // Below the page every run ends.
            for (r, e) in run.iter_mut().zip(ended.iter_mut()) {
                *e = *r;
                any |= *e;
            }
        }
        // `any` is at least every run that ended: below `min`, none is long enough.
        if any as usize >= min {
            for (x, &e) in ended.iter().enumerate() {
                mark(&mut rule, x, y, e as usize);
            }
        }
    }
    rule
}

/// The grey level under which a pixel may belong to a rule: 85% of the page's median (its
/// paper).
fn rule_level(src: &[u8]) -> u8 {
    let mut hist = [0usize; 256];
    for &v in src {
        hist[v as usize] += 1;
    }
    let mut seen = 0;
    let median = hist
        .iter()
        .position(|&n| {
            seen += n;
            seen * 2 >= src.len()
        })
        .unwrap_or(255);
    (median as f32 * 0.85) as u8
}

/// `img` with the pixels of `rules` painted white.
pub fn erase(img: &GrayImage, rules: &[bool]) -> GrayImage {
    let out: Vec<u8> = img
        .as_raw()
        .iter()
        .zip(rules)
        .map(|(&v, &r)| if r { 255 } else { v })
        .collect();
    GrayImage::from_raw(img.width(), img.height(), out).expect("same dimensions")
}

/// The text's skew in degrees within ±6°, by projection profiles on a reduced copy: for each
/// candidate angle the ink is summed along lines of that slope, and the angle whose profile
/// has the sharpest rows (largest sum of squared differences between neighbours) wins.
pub fn skew_degrees(img: &GrayImage) -> f32 {
    let long = img.width().max(img.height());
    let small = if long > 1200 {
        let s = 1200.0 / long as f32;
        // Area averaging: a reduction that does not alias, several times faster than a
        // filtered resize.
        image::imageops::thumbnail(
            img,
            ((img.width() as f32 * s) as u32).max(1),
            ((img.height() as f32 * s) as u32).max(1),
        )
    } else {
        img.clone()
    };
    let level = imageproc::contrast::otsu_level(&small);
    let ink: Vec<(f32, f32)> = small
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[0] < level)
        .map(|(x, y, _)| (x as f32, y as f32))
        .collect();
    if ink.len() < 50 {
        return 0.0;
    }
    let h = small.height() as usize;
    let w = small.width() as f32;
    let score = |deg: f32, every: usize| {
        let t = deg.to_radians().tan();
        // Rows shifted so that every projected index stays in range.
        let pad = (w * t.abs()).ceil() as usize + 1;
        let mut rows = vec![0u32; h + 2 * pad];
        for &(x, y) in ink.iter().step_by(every) {
            let r = (y - x * t).round() as isize + pad as isize;
            if r >= 0 && (r as usize) < rows.len() {
                rows[r as usize] += 1;
            }
        }
        rows.windows(2)
            .map(|p| {
                let d = p[1] as f64 - p[0] as f64;
                d * d
            })
            .sum::<f64>()
    };
    let best = |from: f32, to: f32, step: f32, every: usize| {
        let mut best = (f64::MIN, 0.0f32);
        let mut a = from;
        while a <= to + 1e-4 {
            let s = score(a, every);
            if s > best.0 {
                best = (s, a);
            }
            a += step;
        }
        best.1
    };
    // Coarse on every fourth ink pixel (half-degree steps need no more), then fine on all of
    // them around the coarse winner.
    let coarse = best(-6.0, 6.0, 0.5, 4);
    best(coarse - 0.5, coarse + 0.5, 0.1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::geometric_transformations::rotate_about_center;
    use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};

    /// A page of black bars like lines of text, rotated by `deg`.
    fn lines(deg: f32) -> GrayImage {
        let mut img = GrayImage::from_pixel(1000, 1400, Luma([255]));
        for row in 0..30 {
            let y0 = 150 + row * 38;
            for y in y0..y0 + 14 {
                for x in 120..880 {
                    // Gaps between "words".
                    if (x / 60) % 5 != 4 {
                        img.put_pixel(x, y, Luma([20]));
                    }
                }
            }
        }
        rotate_about_center(
            &img,
            deg.to_radians(),
            Interpolation::Bilinear,
            Border::Constant(Luma([255])),
        )
    }

    #[test]
    fn the_skew_of_rotated_lines_is_found_within_a_fifth_of_a_degree() {
        for deg in [-4.0f32, -1.5, 0.0, 0.7, 3.0] {
            // Rotating by +deg turns the page clockwise (y runs down): the lines fall to the
            // right, which is a skew of +deg.
            let found = skew_degrees(&lines(deg));
            assert!((found - deg).abs() <= 0.2, "rotated {deg}°, found {found}°");
        }
    }

    /// How many pixels of two resamplings of one page differ by more than 2 grey levels.
    fn far_apart(a: &GrayImage, b: &GrayImage) -> usize {
        a.pixels()
            .zip(b.pixels())
            .filter(|(p, q)| p.0[0].abs_diff(q.0[0]) > 2)
            .count()
    }

    #[test]
    fn the_fixed_point_warp_agrees_with_imageproc() {
        let img = GrayImage::from_fn(301, 207, |x, y| {
            Luma([((x * 37 + y * 101 + (x * y) % 53) % 256) as u8])
        });
        for (scale, deg) in [(2.0f32, 0.0f32), (2.0, 3.3), (1.0, -4.7), (1.37, 1.1)] {
            let size = (
                (img.width() as f32 * scale).round() as u32,
                (img.height() as f32 * scale).round() as u32,
            );
            let (cx, cy) = (size.0 as f32 / 2.0, size.1 as f32 / 2.0);
            let theta = -deg.to_radians();
            let projection = Projection::translate(cx, cy)
                * Projection::rotate(theta)
                * Projection::translate(-cx, -cy)
                * Projection::scale(scale, scale);
            let mut reference = GrayImage::new(size.0, size.1);
            warp_into(
                &img,
                projection,
                Interpolation::Bilinear,
                Border::Constant(Luma([255])),
                &mut reference,
            );
            let ours = scale_and_turn(&img, scale, theta, size);
            // Rounding may put a pixel on the turned page's very edge on the other side of
            // it (white, or blended): a few hundred of a quarter million.
            let differ = far_apart(&ours, &reference);
            assert!(
                differ * 200 < (size.0 * size.1) as usize,
                "scale {scale}, {deg}°: {differ} pixels differ"
            );
        }
    }

    #[test]
    fn slivers_and_specks_have_no_page_to_find() {
        for (w, h) in [(1, 1), (1, 900), (900, 3), (30, 30)] {
            assert_eq!(page_corners(&GrayImage::new(w, h)), None, "{w} × {h}");
            let (out, _) = run(&GrayImage::new(w, h), &Options::default());
            assert!(out.width() >= 1 && out.height() >= 1);
        }
    }

    #[test]
    fn deskewing_straightens_the_page() {
        let (out, report) = run(
            &lines(2.5),
            &Options {
                skip: vec![
                    "flatten".into(),
                    "scale".into(),
                    "binarize".into(),
                    "denoise".into(),
                    "unrule".into(),
                ],
            },
        );
        assert!((report.deskew_degrees - 2.5).abs() <= 0.2, "{report:?}");
        assert!(skew_degrees(&out).abs() <= 0.2);
        assert_eq!(
            report
                .timings_ms
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
            ["deskew"]
        );
    }

    /// The first implementation, from integral images: the running sums must agree with it.
    fn sauvola_reference(img: &GrayImage, r: u32, k: f64) -> GrayImage {
        let (w, h) = img.dimensions();
        let (wu, hu) = (w as usize, h as usize);
        // Integral images with a zero row and column in front.
        let mut sum = vec![0u64; (wu + 1) * (hu + 1)];
        let mut sq = vec![0u64; (wu + 1) * (hu + 1)];
        for y in 0..hu {
            let (mut row, mut row_sq) = (0u64, 0u64);
            for x in 0..wu {
                let v = img.as_raw()[y * wu + x] as u64;
                row += v;
                row_sq += v * v;
                sum[(y + 1) * (wu + 1) + x + 1] = sum[y * (wu + 1) + x + 1] + row;
                sq[(y + 1) * (wu + 1) + x + 1] = sq[y * (wu + 1) + x + 1] + row_sq;
            }
        }
        let rect = |t: &[u64], x0: usize, y0: usize, x1: usize, y1: usize| {
            t[y1 * (wu + 1) + x1] + t[y0 * (wu + 1) + x0]
                - t[y0 * (wu + 1) + x1]
                - t[y1 * (wu + 1) + x0]
        };
        let r = r as usize;
        GrayImage::from_fn(w, h, |x, y| {
            let (x, y) = (x as usize, y as usize);
            let (x0, y0) = (x.saturating_sub(r), y.saturating_sub(r));
            let (x1, y1) = ((x + r + 1).min(wu), (y + r + 1).min(hu));
            let n = ((x1 - x0) * (y1 - y0)) as f64;
            let mean = rect(&sum, x0, y0, x1, y1) as f64 / n;
            let var = (rect(&sq, x0, y0, x1, y1) as f64 / n - mean * mean).max(0.0);
            let threshold = mean * (1.0 + k * (var.sqrt() / 128.0 - 1.0));
            if (img.as_raw()[y * wu + x] as f64) <= threshold {
                Luma([0])
            } else {
                Luma([255])
            }
        })
    }

    #[test]
    fn running_window_sums_threshold_exactly_as_integral_images_do() {
        for (w, h, r) in [
            (211, 157, 15),
            (40, 9, 15),
            (5, 300, 2),
            (1, 1, 3),
            (31, 20, 15),
            (32, 33, 15),
            (700, 64, 15),
            (90, 80, 30),
            (200, 190, 90),
        ] {
            let img = GrayImage::from_fn(w, h, |x, y| {
                Luma([(x
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(y.wrapping_mul(97_003))
                    >> 11) as u8])
            });
            assert_eq!(
                sauvola(&img, r, 0.34),
                sauvola_reference(&img, r, 0.34),
                "{w} × {h}, r {r}"
            );
        }
        // A wider window is taken as the widest whose sums fit.
        let img = GrayImage::from_fn(250, 240, |x, y| Luma([((x * 7 + y * 13) % 251) as u8]));
        assert_eq!(
            sauvola(&img, 200, 0.34),
            sauvola_reference(&img, MAX_SAUVOLA_RADIUS, 0.34)
        );
    }

    /// The first implementation, pixel by pixel through a closure per line.
    fn rules_reference(img: &GrayImage, min: u32) -> Vec<bool> {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let src = img.as_raw();
        let dark = rule_level(src);
        let mut rule = vec![false; w * h];
        let min = min.max(2) as usize;
        // Runs along each row (`across`), then down each column: `at(k, side)` is the index of
        // the k-th pixel of the run's line, or of the line beside it.
        let mut mark = |len: usize, at: &dyn Fn(usize, isize) -> Option<usize>| {
            let mut start = None;
            for k in 0..=len {
                let on = k < len && at(k, 0).is_some_and(|i| src[i] < dark);
                match (on, start) {
                    (true, None) => start = Some(k),
                    (false, Some(s)) => {
                        if k - s >= min {
                            for j in s..k {
                                for side in [-1, 0, 1] {
                                    if let Some(i) = at(j, side) {
                                        rule[i] = true;
                                    }
                                }
                            }
                        }
                        start = None;
                    }
                    _ => {}
                }
            }
        };
        for y in 0..h {
            mark(w, &|x, d| {
                let y = y.checked_add_signed(d).filter(|&y| y < h)?;
                Some(y * w + x)
            });
        }
        for x in 0..w {
            mark(h, &|y, d| {
                let x = x.checked_add_signed(d).filter(|&x| x < w)?;
                Some(y * w + x)
            });
        }
        rule
    }

    #[test]
    fn rules_are_found_as_the_line_by_line_scan_found_them() {
        let mut img = GrayImage::from_fn(300, 200, |x, y| {
            Luma([200u8.wrapping_add((x.wrapping_mul(31) ^ y.wrapping_mul(17)) as u8 % 40)])
        });
        // Rules of several lengths, across and down, touching the edges, and specks.
        for x in 0..300 {
            img.put_pixel(x, 0, Luma([20]));
            img.put_pixel(x, 57, Luma([30]));
        }
        for x in 10..40 {
            img.put_pixel(x, 120, Luma([25]));
        }
        for y in 0..200 {
            img.put_pixel(299, y, Luma([20]));
            img.put_pixel(150, y / 2 + 50, Luma([10]));
        }
        for y in 5..30 {
            img.put_pixel(0, y, Luma([20]));
        }
        for (x, y) in [(3, 3), (77, 190), (200, 100)] {
            img.put_pixel(x, y, Luma([0]));
        }
        for min in [2, 20, 25, 31, 100] {
            assert_eq!(rules(&img, min), rules_reference(&img, min), "min {min}");
        }
    }

    #[test]
    fn unruling_erases_a_tables_rules_and_keeps_the_letters_between_them() {
        let mut img = GrayImage::from_pixel(400, 300, Luma([255]));
        // A grid: two rules across, two down, three pixels thick.
        for t in 0..3 {
            for x in 20..380 {
                img.put_pixel(x, 50 + t, Luma([0]));
                img.put_pixel(x, 150 + t, Luma([0]));
            }
            for y in 20..280 {
                img.put_pixel(40 + t, y, Luma([0]));
                img.put_pixel(300 + t, y, Luma([0]));
            }
        }
        // A «Т» between them, smaller than a rule's least length (400 / 28 = 14): a bar of
        // 12 pixels and a stem of 13.
        for x in 100..112 {
            img.put_pixel(x, 80, Luma([0]));
        }
        for y in 80..93 {
            img.put_pixel(106, y, Luma([0]));
        }
        // A thin rule in grey, as a scan blurs a hairline: 170 on paper of 255.
        for x in 60..360 {
            img.put_pixel(x, 220, Luma([170]));
        }
        let out = erase(&img, &rules(&img, 400 / 28));
        let ink = |x: u32, y: u32| out.get_pixel(x, y).0[0] < 200;
        assert!(!ink(200, 51) && !ink(41, 200) && !ink(301, 100) && !ink(200, 220));
        assert!(ink(101, 80) && ink(106, 90));
        let left: usize = out.pixels().filter(|p| p.0[0] < 200).count();
        assert_eq!(left, 12 + 12);
    }

    #[test]
    fn the_median_network_agrees_with_imageproc() {
        for (w, h) in [(97, 61), (3, 3), (4, 7), (250, 2)] {
            let img = GrayImage::from_fn(w, h, |x, y| {
                Luma([(x
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(y.wrapping_mul(40_503))
                    >> 9) as u8])
            });
            assert_eq!(
                median3(&img),
                imageproc::filter::median_filter(&img, 1, 1),
                "{w} × {h}"
            );
        }
    }

    #[test]
    fn sauvola_keeps_text_on_a_shaded_page_where_one_threshold_loses_it() {
        // Paper fading from white to dark grey under uneven light, with ink reflecting 30% of
        // what the paper around it does: the shaded paper is darker than the lit ink, so no
        // global threshold separates both ends.
        let img = GrayImage::from_fn(600, 200, |x, y| {
            let paper = 250.0 - x as f32 * 0.25; // 250 → 100
            let ink = (y / 10) % 2 == 0 && (x / 8) % 2 == 0;
            Luma([(if ink { paper * 0.3 } else { paper }) as u8])
        });
        let bin = sauvola(&img, 15, 0.34);
        let mut right = 0;
        let mut total = 0;
        for (x, y, p) in bin.enumerate_pixels() {
            let ink = (y / 10) % 2 == 0 && (x / 8) % 2 == 0;
            total += 1;
            if (p.0[0] == 0) == ink {
                right += 1;
            }
        }
        assert!(right as f64 / total as f64 > 0.95, "{right} of {total}");
        let global = imageproc::contrast::threshold(
            &img,
            imageproc::contrast::otsu_level(&img),
            imageproc::contrast::ThresholdType::Binary,
        );
        let global_right = global
            .enumerate_pixels()
            .filter(|(x, y, p)| (p.0[0] == 0) == ((y / 10) % 2 == 0 && (x / 8) % 2 == 0))
            .count();
        assert!(global_right < right, "{global_right} vs {right}");
    }
}
