//! Measures how the copy-move check (`edit.copy_move`) separates a character copied within
//! the page from characters printed twice: for every genuine diploma of a
//! `tanba forensics generate` set and its `copy-move` twin, each character of the fields a
//! forger changes is matched with the likest character of its page, and their difference is
//! set against the most a copy may differ (a share: at most 1 is a copy). On the twin, the
//! character the generator pasted over (`distortions.copied_to`) or its source should be
//! within the limit; on the genuine scans, and elsewhere on the twins, no character should.
//! `COPY_MOVE_VERBOSE=1` prints every match.
//!
//! ```sh
//! tanba forensics generate --out /tmp/set --count 40 --seed 130001
//! cargo run --release --example copy_move -- /tmp/set
//! ```

use tanba::forensics::copymove::{Likest, Smoothed, difference, likest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: copy_move DIR")?;
    let genuine = tanba::ocr::synth::genuine_scans(std::path::Path::new(&dir))?;
    let mut reader = tanba::ocr::Reader::new("rus+kaz+eng")?;
    let options = tanba::ocr::preprocess::Options::default();
    // The highest correlation on each genuine scan, and on each twin at the pasted character.
    let (mut printed_twice, mut copied) = (Vec::new(), Vec::new());
    let mut check_ms = 0.0;
    for path in &genuine {
        let twin = path.with_file_name(format!(
            "{}-copy-move.jpg",
            path.file_stem().unwrap_or_default().to_string_lossy()
        ));
        for (p, is_twin) in [(path.clone(), false), (twin, true)] {
            if !p.is_file() {
                continue;
            }
            let truth: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p.with_extension("json"))?)?;
            let condition = truth["condition"].as_str().unwrap_or("?").to_string();
            let pasted: Option<[u32; 4]> =
                serde_json::from_value(truth["distortions"]["copied_to"].clone()).ok();
            let received =
                tanba::intake::Received::check(&p.display().to_string(), std::fs::read(&p)?)?;
            let read = tanba::forensics::read(&mut reader, &received, None, &options)?;
            let t = std::time::Instant::now();
            let pairs = likest(&read.scan());
            check_ms += t.elapsed().as_secs_f64() * 1000.0;
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let hit = |b: [u32; 4], r: [u32; 4]| {
                b[0] < r[0] + r[2] && r[0] < b[0] + b[2] && b[1] < r[1] + r[3] && r[1] < b[1] + b[3]
            };
            let from: Option<[u32; 4]> =
                serde_json::from_value(truth["distortions"]["copied_from"].clone()).ok();
            // The copy is found from either end: at the character pasted over, or at its
            // source matched with it.
            let (at, elsewhere): (Vec<&Likest>, Vec<&Likest>) = pairs.iter().partition(|m| {
                pasted.is_some_and(|r| hit(m.character, r))
                    || (from.is_some_and(|r| hit(m.character, r))
                        && pasted.is_some_and(|r| hit(m.source, r)))
            });
            if std::env::var_os("COPY_MOVE_VERBOSE").is_some() {
                for m in &pairs {
                    println!(
                        "  {} {:?} ~ {:?}: {:.2} (at most {:.2})",
                        m.field, m.character, m.source, m.difference, m.max
                    );
                }
            }
            let top = elsewhere.iter().map(|m| m.share()).fold(f32::MAX, f32::min);
            printed_twice.push(top);
            if let (true, Ok(from)) = (
                is_twin,
                serde_json::from_value::<[u32; 4]>(truth["distortions"]["copied_from"].clone()),
            ) && let Some(to) = pasted
            {
                // The regions as copied (the marks less the blur's spread, as `copy_moved` cuts them).
                let m = 1;
                let shrink = |r: [u32; 4]| [r[0] + m, r[1] + m, r[2] - 2 * m, r[3] - 2 * m];
                let page = &read.pages[0];
                println!(
                    "  the copied regions themselves: {:?}",
                    difference(page, &Smoothed::of(page), shrink(to), shrink(from))
                );
            }
            if is_twin {
                let c = at.iter().map(|m| m.share()).fold(f32::MAX, f32::min);
                copied.push(c);
                println!(
                    "{name} ({condition}): copy {c:.2} ({} matches), elsewhere {top:.2}",
                    at.len()
                );
            } else {
                println!("{name} ({condition}): least {top:.2} of {}", pairs.len());
            }
        }
    }
    let over = |v: &[f32]| v.iter().filter(|&&c| c <= 1.0).count();
    println!(
        "copies found: {}/{}; scans with a character printed twice taken for a copy: {}/{}; \
         {:.0} ms a scan",
        over(&copied),
        copied.len(),
        over(&printed_twice),
        printed_twice.len(),
        check_ms / printed_twice.len().max(1) as f64
    );
    Ok(())
}
