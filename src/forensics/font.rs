//! Figures retyped at another size (`edit.font`). A forger who changes a number or a date and
//! sets the new figures with the tools at hand rarely gets the document's own size: printed
//! figures share one height, and a run of them at another height was set twice.
//!
//! The figures of each field a forger changes are found as the connected ink of a word whose
//! letters and figures are as many as its pieces of ink ([`super::copymove::glyphs`]),
//! labelled in reading order by the word's text (a word with a piece broken off a figure —
//! a thin stroke lost to blur — is left out). Each figure's height is first evened for the
//! figure: a face's figures are not all of one height (a round one overshoots the line by a
//! pixel at each end, a serif «1» or «4» stands a pixel or two under its «0»), and how each
//! stands is learnt from the page's other fields. Every run of two or more neighbouring
//! figures is then set against the rest of its field: the run's median height against the
//! rest's. Runs, because one figure alone is no measure; a single figure retyped is out of
//! reach.
//!
//! Also out of reach: a field retyped whole (there is no rest to compare with); another
//! typeface at the same height — the outlines of two faces' figures at 20 px, after a scan
//! or a photo, differ no more than two printings of one face (measured on the generator's
//! twins; README, Performance); figures that touch (counted as one piece).

use super::copymove::{glyphs, levels};
use super::edit::{FIELDS, inside};
use super::{Finding, Scan, Severity};
use crate::ocr::Word;
use image::GrayImage;
use serde_json::json;

/// A run of a field's figures may stand this share of the rest's median height above or
/// below it (each figure's height evened for the figure), or [`MAX_PIXEL_STEP`] pixels,
/// whichever is more. Set on the twins of seeds 140001–140012 and 140101–140130: fields
/// printed once stood at most 8.6% apart, numbers whose end was retyped a tenth to a sixth
/// larger or smaller 9.5% or more.
pub const MAX_HEIGHT_STEP: f32 = 0.09;

/// Figures 17 px high, read from a blurred scan, wander by a pixel either way; medians of
/// two such figures can stand 1.5 px apart.
pub const MAX_PIXEL_STEP: f32 = 1.5;

/// Whether a run standing `step` (a share) and `pixels` apart from the rest of its field was
/// set at another size.
pub fn is_retyped(step: f32, pixels: f32) -> bool {
    step.abs() > MAX_HEIGHT_STEP && pixels.abs() > MAX_PIXEL_STEP
}

/// One figure printed on a page: what it reads and its box.
#[derive(Clone, Copy, Debug)]
pub struct Figure {
    pub ch: char,
    pub bbox: [u32; 4],
}

/// The figures of `words`: each word whose letters, figures and slashes are as many as its
/// pieces of ink gives its figures, labelled in reading order.
pub fn figures(page: &GrayImage, words: &[&Word]) -> Vec<Figure> {
    let mut out = Vec::new();
    for w in words {
        let marks: Vec<char> = w
            .text
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '/')
            .collect();
        if !marks.iter().any(char::is_ascii_digit) {
            continue;
        }
        let mut pieces = glyphs(page, std::slice::from_ref(*w));
        if pieces.len() != marks.len() || pieces.iter().any(|g| !whole(page, w.bbox, g.bbox)) {
            continue;
        }
        pieces.sort_by_key(|g| g.bbox[0]);
        out.extend(
            marks
                .into_iter()
                .zip(pieces)
                .filter(|(ch, _)| ch.is_ascii_digit())
                .map(|(ch, g)| Figure { ch, bbox: g.bbox }),
        );
    }
    out.sort_by_key(|f| f.bbox[0]);
    out
}

/// Whether the piece of ink `piece` is a whole character of the word boxed `word`: no more
/// than two dark pixels (darker than halfway between the word's paper and ink) lie above or
/// below it within its columns. A thin stroke lost in a blurred photo breaks a figure in two,
/// and the part too small to count as a character would leave the rest measured short.
fn whole(page: &GrayImage, word: [u32; 4], piece: [u32; 4]) -> bool {
    let (pw, ph) = page.dimensions();
    let (y0, y1) = (word[1].saturating_sub(2), (word[1] + word[3] + 2).min(ph));
    let (x0, x1) = ((word[0].saturating_sub(2)), (word[0] + word[2] + 2).min(pw));
    let (ink, paper) = levels(
        page,
        i64::from(x0),
        i64::from(y0),
        i64::from(x1 - x0),
        i64::from(y1 - y0),
    );
    let threshold = (ink + paper) / 2.0;
    let mut stray = 0;
    for y in (y0..y1).filter(|&y| y < piece[1] || y >= piece[1] + piece[3]) {
        for x in piece[0]..(piece[0] + piece[2]).min(pw) {
            stray += usize::from(f32::from(page.get_pixel(x, y).0[0]) < threshold);
        }
    }
    stray <= 2
}

/// The median of `v` (the mean of the middle two for an even count).
fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// A field's figures at two heights: the run that stands out most.
#[derive(Clone, Debug)]
pub struct Step {
    pub page: usize,
    pub field: &'static str,
    /// The field's figures, in reading order.
    pub figures: Vec<Figure>,
    /// The run (`start..end` of `figures`) whose median height is furthest from the rest's.
    pub run: std::ops::Range<usize>,
    /// The run's median height as a share of the rest's, less 1.
    pub step: f32,
    /// The run's median height less the rest's, in pixels.
    pub pixels: f32,
}

impl Step {
    /// The run's box.
    pub fn bbox(&self) -> [u32; 4] {
        let run = &self.figures[self.run.clone()];
        let x0 = run.iter().map(|f| f.bbox[0]).min().unwrap_or(0);
        let y0 = run.iter().map(|f| f.bbox[1]).min().unwrap_or(0);
        let x1 = run.iter().map(|f| f.bbox[0] + f.bbox[2]).max().unwrap_or(0);
        let y1 = run.iter().map(|f| f.bbox[1] + f.bbox[3]).max().unwrap_or(0);
        [x0, y0, x1 - x0, y1 - y0]
    }

    /// What the run reads.
    pub fn digits(&self) -> String {
        self.figures[self.run.clone()]
            .iter()
            .map(|f| f.ch)
            .collect()
    }
}

/// The run of two or more neighbouring figures of `figures` whose median height is furthest
/// from the median of the other figures (two or more), less half the spread of heights
/// within each (so that the split leaving two even parts wins over one that leaves a retyped
/// figure among the rest); `None` for fewer than four figures. With its step as a share and
/// in pixels.
pub fn tallest_step(heights: &[f32]) -> Option<(std::ops::Range<usize>, f32, f32)> {
    let n = heights.len();
    let mut best: Option<(std::ops::Range<usize>, f32, f32, f32)> = None;
    for start in 0..n {
        for end in start + 2..=n {
            if n - (end - start) < 2 {
                continue;
            }
            let mut run = heights[start..end].to_vec();
            let mut rest: Vec<f32> = heights[..start]
                .iter()
                .chain(&heights[end..])
                .copied()
                .collect();
            let spread = |v: &[f32]| v[v.len() - 1] - v[0];
            let (a, b) = (median(&mut run), median(&mut rest));
            let score = (a - b).abs() - (spread(&run) + spread(&rest)) / 2.0;
            // On a tie, the shorter run: the fewer figures are the ones set apart.
            if best.as_ref().is_none_or(|(r, s, ..)| {
                score > *s || (score == *s && end - start < r.end - r.start)
            }) {
                best = Some((start..end, score, a / b - 1.0, a - b));
            }
        }
    }
    best.map(|(run, _, step, pixels)| (run, step, pixels))
}

/// Each figure's height over the page's usual height for it: a face's figures are not all
/// of one height (a round one overshoots, a serif «1» stands short). A figure's height is
/// taken as its field's size times the figure's own share, and the two are found in turn,
/// three times over: each field's size, the median of its figures' heights over their
/// shares; each figure's share, the median of its heights over their fields' sizes, from
/// the page's other changed-prone fields (so that a field's own retyped figures do not teach
/// their height) where it is printed there three times or more.
fn evened(fields: &[Vec<Figure>]) -> Vec<Vec<f32>> {
    let digit = |f: &Figure| f.ch.to_digit(10).map_or(0, |d| d as usize);
    let height = |f: &Figure| f.bbox[3] as f32;
    let usable: Vec<bool> = fields.iter().map(|f| f.len() >= 4).collect();
    // Per field (left out in turn), each figure's share.
    let mut shares: Vec<[f32; 10]> = vec![[1.0; 10]; fields.len()];
    let mut size = vec![0.0f32; fields.len()];
    for _ in 0..3 {
        for (k, figures) in fields.iter().enumerate() {
            let mut h: Vec<f32> = figures
                .iter()
                .map(|f| height(f) / shares[k][digit(f)])
                .collect();
            size[k] = if h.is_empty() { 0.0 } else { median(&mut h) };
        }
        for (k, share) in shares.iter_mut().enumerate() {
            let mut by_digit: Vec<Vec<f32>> = vec![Vec::new(); 10];
            for (j, figures) in fields.iter().enumerate() {
                if j == k || !usable[j] {
                    continue;
                }
                for f in figures {
                    by_digit[digit(f)].push(height(f) / size[j]);
                }
            }
            for (d, v) in by_digit.iter_mut().enumerate() {
                share[d] = if v.len() >= 3 { median(v) } else { 1.0 };
            }
        }
    }
    fields
        .iter()
        .enumerate()
        .map(|(k, figures)| {
            figures
                .iter()
                .map(|f| height(f) / shares[k][digit(f)])
                .collect()
        })
        .collect()
}

/// Each changed-prone field of the scan with four or more figures, and its run of figures
/// that stands out most in height (evened for each figure's usual height).
pub fn steps(scan: &Scan) -> Vec<Step> {
    let mut out = Vec::new();
    for text in &scan.reading.pages {
        let Some(page) = scan.pages.get(text.page.saturating_sub(1)) else {
            continue;
        };
        let fields: Vec<(&'static str, Vec<Figure>)> = FIELDS
            .iter()
            .filter_map(|&field| {
                let f = scan.reading.fields.get(field)?;
                (f.page == text.page).then(|| (field, figures(page, &inside(&text.words, f.bbox))))
            })
            .collect();
        let lists: Vec<Vec<Figure>> = fields.iter().map(|(_, f)| f.clone()).collect();
        for ((field, figures), heights) in fields.into_iter().zip(evened(&lists)) {
            if let Some((run, step, pixels)) = tallest_step(&heights) {
                out.push(Step {
                    page: text.page,
                    field,
                    figures,
                    run,
                    step,
                    pixels,
                });
            }
        }
    }
    out
}

/// `edit.font`: a field whose figures stand at two heights.
pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let sha = &scan.reading.file.sha256;
    for s in steps(scan) {
        if !is_retyped(s.step, s.pixels) {
            continue;
        }
        let value = scan
            .reading
            .fields
            .get(s.field)
            .map(|f| f.value.clone())
            .unwrap_or_default();
        let percent = |v: f32| json!((f64::from(v) * 1000.0).round() / 10.0);
        out.push(
            Finding::new(
                "edit.font",
                Severity::Critical,
                [
                    ("field", json!(s.field)),
                    ("value", json!(value)),
                    ("figures", json!(s.digits())),
                    ("step_percent", percent(s.step)),
                    (
                        "step_pixels",
                        json!((f64::from(s.pixels) * 10.0).round() / 10.0),
                    ),
                    ("max_percent", percent(MAX_HEIGHT_STEP)),
                ],
            )
            .at(sha, s.page, s.bbox()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(heights: &[u32]) -> Vec<f32> {
        heights.iter().map(|&h| h as f32).collect()
    }

    #[test]
    fn a_figure_broken_in_two_leaves_its_word_unmeasured() {
        // Four figures, 8 × 20 px of ink; the third with a gap that cuts off its top.
        let page = |broken: bool| {
            let mut img = GrayImage::from_pixel(100, 60, image::Luma([240]));
            for k in 0..4u32 {
                for y in 20..40u32 {
                    for x in 10 + 20 * k..18 + 20 * k {
                        if !(broken && k == 2 && (26..28).contains(&y)) {
                            img.put_pixel(x, y, image::Luma([20]));
                        }
                    }
                }
            }
            img
        };
        let word = Word {
            text: "1234".into(),
            confidence: 0.9,
            bbox: [8, 18, 74, 24],
            line: 1,
        };
        let whole = figures(&page(false), &[&word]);
        assert_eq!(whole.len(), 4);
        assert!(whole.iter().all(|f| f.bbox[3] == 20), "{whole:?}");
        assert!(figures(&page(true), &[&word]).is_empty());
    }

    #[test]
    fn each_figures_usual_height_is_learnt_from_the_page() {
        // A serif face's «1» stands two pixels under its «0» wherever it is printed.
        let field = |chars: &str| -> Vec<Figure> {
            chars
                .chars()
                .enumerate()
                .map(|(i, ch)| {
                    let h = if ch == '1' { 20 } else { 22 };
                    Figure {
                        ch,
                        bbox: [i as u32 * 14, 100 - h, 11, h],
                    }
                })
                .collect()
        };
        let fields = [
            field("01102012"),
            field("2011"),
            field("1200"),
            field("21102010"),
        ];
        let raw: Vec<f32> = fields[1].iter().map(|f| f.bbox[3] as f32).collect();
        assert!(tallest_step(&raw).is_some_and(|(_, s, p)| is_retyped(s, p)));
        for heights in evened(&fields) {
            let (_, step, pixels) = tallest_step(&heights).expect("a run");
            assert!(
                step.abs() < 0.01 && !is_retyped(step, pixels),
                "{heights:?}"
            );
        }
    }

    #[test]
    fn a_run_set_larger_stands_out_and_one_short_figure_does_not() {
        // Seven figures of 21 px with their last three retyped at 24 px.
        let (run, step, pixels) = tallest_step(&at(&[21, 21, 20, 21, 24, 24, 24])).expect("a run");
        assert_eq!(run, 4..7);
        assert!((step - 3.0 / 21.0).abs() < 1e-4, "{step}");
        assert!(is_retyped(step, pixels));
        // One serif «1» two pixels short, and round figures a pixel over: no run stands out.
        let (_, step, pixels) = tallest_step(&at(&[22, 20, 22, 21, 22, 22, 21])).expect("a run");
        assert!(!is_retyped(step, pixels), "{step}");
        // Small figures a pixel apart: not a retyping, though a run of the smaller retyped
        // two pixels shorter is.
        let (_, step, pixels) = tallest_step(&at(&[19, 17, 18, 17, 18])).expect("a run");
        assert!(!is_retyped(step, pixels), "{step} {pixels}");
        let (run, step, pixels) = tallest_step(&at(&[19, 18, 19, 16, 16])).expect("a run");
        assert_eq!(run, 3..5);
        assert!(is_retyped(step, pixels), "{step} {pixels}");
        // Fewer than four figures cannot be split into two runs of two.
        assert!(tallest_step(&at(&[21, 24, 24])).is_none());
    }
}
