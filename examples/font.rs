//! Measures how the retyped-figures check (`edit.font`) separates figures retyped at another
//! size from figures printed once: for every genuine diploma of a `tanba forensics generate`
//! set and its `font` twin, the changed-prone fields' runs of figures are measured against
//! the rest of their field. On the twin the number's last three figures are retyped
//! (`distortions.retyped`: another face of the same weight, or the page's own a tenth to a
//! sixth larger or smaller). `FONT_VERBOSE=1` prints every field.
//!
//! ```sh
//! tanba forensics generate --out /tmp/set --count 40 --seed 140001
//! cargo run --release --example font -- /tmp/set
//! ```

use std::collections::BTreeMap;
use tanba::forensics::font::{MAX_HEIGHT_STEP, MAX_PIXEL_STEP, Step, is_retyped, steps};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: font DIR")?;
    let verbose = std::env::var_os("FONT_VERBOSE").is_some();
    let genuine = tanba::ocr::synth::genuine_scans(std::path::Path::new(&dir))?;
    let mut reader = tanba::ocr::Reader::new("rus+kaz+eng")?;
    let options = tanba::ocr::preprocess::Options::default();
    // Per kind of retyping: twins caught, twins.
    let mut kinds: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let (mut flagged, mut pages, mut check_ms) = (0, 0, 0.0);
    let mut printed: Vec<f32> = Vec::new();
    for path in &genuine {
        let twin = path.with_file_name(format!(
            "{}-font.jpg",
            path.file_stem().unwrap_or_default().to_string_lossy()
        ));
        for (p, is_twin) in [(path.clone(), false), (twin, true)] {
            if !p.is_file() {
                continue;
            }
            let truth: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p.with_extension("json"))?)?;
            let retyped = &truth["distortions"]["retyped"];
            if is_twin && retyped.is_null() {
                continue;
            }
            let received =
                tanba::intake::Received::check(&p.display().to_string(), std::fs::read(&p)?)?;
            let read = tanba::forensics::read(&mut reader, &received, None, &options)?;
            let t = std::time::Instant::now();
            let found = steps(&read.scan());
            check_ms += t.elapsed().as_secs_f64() * 1000.0;
            pages += 1;
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let over = |s: &&Step| is_retyped(s.step, s.pixels);
            // On a twin, the number's last three figures are retyped: the run that stands out
            // lies among them or among the rest, not across.
            let at_retyped = |s: &Step| {
                let n = s.figures.len();
                is_twin
                    && s.field == "number"
                    && n > 3
                    && (s.run.start >= n - 3 || s.run.end <= n - 3)
            };
            if verbose {
                println!(
                    "{name} ({}) {retyped}",
                    truth["condition"].as_str().unwrap_or("?")
                );
                for s in &found {
                    let heights: Vec<u32> = s.figures.iter().map(|f| f.bbox[3]).collect();
                    println!(
                        "  {:<20} {:?} run {:?} step {:+.3} ({:+.1} px)",
                        s.field, heights, s.run, s.step, s.pixels
                    );
                }
            }
            for s in found.iter().filter(|s| !at_retyped(s)) {
                printed.push(s.step.abs());
                if over(&s) {
                    println!(
                        "flagged a field printed once: {name} {} {:+.3}",
                        s.field, s.step
                    );
                }
            }
            if is_twin {
                let kind = if retyped["scale"].as_f64().unwrap_or(1.0) == 1.0 {
                    "another face, same size"
                } else if retyped["scale"].as_f64().unwrap_or(1.0) > 1.0 {
                    "larger"
                } else {
                    "smaller"
                };
                let hit = found.iter().any(|s| at_retyped(s) && over(&s));
                let e = kinds.entry(kind).or_default();
                e.0 += u32::from(hit);
                e.1 += 1;
                if !hit {
                    println!("missed: {name} {retyped}");
                }
            } else {
                flagged += u32::from(found.iter().any(|s| over(&s)));
            }
        }
    }
    for (kind, (hit, n)) in &kinds {
        println!("retyped, {kind}: {hit}/{n} caught");
    }
    printed.sort_by(f32::total_cmp);
    println!(
        "genuine scans flagged: {flagged}/{}; fields printed once: largest step {:.3} (limit {MAX_HEIGHT_STEP} and {MAX_PIXEL_STEP} px)",
        genuine.len(),
        printed.last().copied().unwrap_or(0.0)
    );
    println!(
        "measuring: {:.2} ms a page",
        check_ms / f64::from(pages.max(1))
    );
    Ok(())
}
