//! Measures how the enrolled-seal comparison separates the same seal from another: every
//! genuine diploma of a `tanba forensics generate` set (the generator draws one seal design,
//! so all are "the same seal" under different scans and phone photos) against the first one
//! scanned flat, and each again with its seal replaced by another office's stamp.
//!
//! ```sh
//! tanba forensics generate --out /tmp/set --count 20 --seed 77001
//! cargo run --release --example seal_similarity -- /tmp/set
//! ```

use image::GrayImage;
use tanba::forensics::enrolled::{MIN_SIMILARITY, descriptor, similarity};
use tanba::forensics::marks::{Seal, seals};
use tanba::ocr::synth::other_stamp;

/// Another office's stamp over the seal, its rim half as wide again as the ring found.
fn replace_seal(page: &mut GrayImage, s: &Seal) {
    let r = (s.r as f32 * 1.5) as i32;
    other_stamp(page, s.cx as i32, s.cy as i32, r, 235);
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: seal_similarity DIR")?;
    let genuine = tanba::ocr::synth::genuine_scans(std::path::Path::new(&dir))?;
    let mut reference = None;
    let (mut same, mut other) = (Vec::new(), Vec::new());
    for path in &genuine {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.with_extension("json"))?)?;
        let received =
            tanba::intake::Received::check(&path.display().to_string(), std::fs::read(path)?)?;
        let page = received.pages()?.remove(0).image;
        let Some(s) = seals(&page).first().copied() else {
            println!("{}: no seal found", path.display());
            continue;
        };
        let d = descriptor(&page, &s);
        let Some(r) = &reference else {
            if truth["condition"] == "clean" {
                println!("reference: {}", path.display());
                reference = Some(d);
            }
            continue;
        };
        let sim = similarity(r, &d);
        let mut forged = page.clone();
        replace_seal(&mut forged, &s);
        let f = seals(&forged)
            .first()
            .map(|fs| similarity(r, &descriptor(&forged, fs)));
        println!(
            "{} ({}): same seal {sim:.3}, another seal {}",
            path.display(),
            truth["condition"].as_str().unwrap_or("?"),
            f.map_or("not found".into(), |f| format!("{f:.3}"))
        );
        same.push(sim);
        if let Some(f) = f {
            other.push(f);
        }
    }
    let min = same.iter().copied().fold(f32::MAX, f32::min);
    let max = other.iter().copied().fold(f32::MIN, f32::max);
    println!(
        "same seal: {} of {} at or above {MIN_SIMILARITY} (lowest {min:.3}); another seal: {} of {} below (highest {max:.3})",
        same.iter().filter(|s| **s >= MIN_SIMILARITY).count(),
        same.len(),
        other.iter().filter(|s| **s < MIN_SIMILARITY).count(),
        other.len(),
    );
    Ok(())
}
