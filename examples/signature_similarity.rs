//! Measures how the enrolled-signature comparison separates one official's signature from
//! another's: the generator draws each signatory's own signature (from their name, varied a
//! little at every signing), so in a `tanba forensics generate` set the diplomas one official
//! signed carry "the same signature" under different scans and phone photos. Each signatory's
//! first scan that is not a phone photo becomes their reference; every other genuine diploma
//! is compared with its own signatory's reference (the same hand) and with every other
//! signatory's (another hand).
//!
//! ```sh
//! tanba forensics generate --out /tmp/set --count 40 --seed 120001
//! cargo run --release --example signature_similarity -- /tmp/set [/tmp/crops]
//! ```

use std::collections::BTreeMap;
use tanba::forensics::signature::{MIN_SIMILARITY, find, similarity};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: signature_similarity DIR [CROPS_DIR]")?;
    // Where to save each signature as found, to look at.
    let crops = std::env::args().nth(2);
    let genuine = tanba::ocr::synth::genuine_scans(std::path::Path::new(&dir))?;
    let mut reader = tanba::ocr::Reader::new("rus+kaz+eng")?;
    let options = tanba::ocr::preprocess::Options::default();
    // (signatory, condition, descriptor) of every genuine scan whose signature was found.
    let mut found = Vec::new();
    for path in &genuine {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path.with_extension("json"))?)?;
        let signer = truth["fields"]["signed_by"]
            .as_str()
            .ok_or("ground truth without signed_by")?
            .to_string();
        let condition = truth["condition"].as_str().unwrap_or("?").to_string();
        let received =
            tanba::intake::Received::check(&path.display().to_string(), std::fs::read(path)?)?;
        let read = tanba::forensics::read(&mut reader, &received, None, &options)?;
        match find(&read.reading, &read.pages) {
            Some(s) => {
                if let Some(out) = &crops {
                    let [x, y, w, h] = s.bbox;
                    let name = path.file_stem().unwrap_or_default().to_string_lossy();
                    image::imageops::crop_imm(&read.pages[s.page], x, y, w, h)
                        .to_image()
                        .save(std::path::Path::new(out).join(format!("{name}-signature.png")))?;
                }
                found.push((path.clone(), signer, condition, s.descriptor))
            }
            None => println!("{} ({condition}): no signature found", path.display()),
        }
    }
    let mut references: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (path, signer, condition, _)) in found.iter().enumerate() {
        if condition != "phone" && !references.contains_key(signer) {
            println!("reference of {signer}: {}", path.display());
            references.insert(signer.clone(), i);
        }
    }
    let (mut same, mut other) = (Vec::new(), Vec::new());
    for (i, (path, signer, condition, d)) in found.iter().enumerate() {
        if references.values().any(|&r| r == i) {
            continue;
        }
        for (whose, &r) in &references {
            let sim = similarity(&found[r].3, d);
            if whose == signer {
                println!("{} ({condition}): same hand {sim:.3}", path.display());
                same.push(sim);
            } else {
                if sim >= MIN_SIMILARITY {
                    println!(
                        "{} ({condition}): {signer} like {whose}'s reference at {sim:.3}",
                        path.display()
                    );
                }
                other.push(sim);
            }
        }
    }
    let min = same.iter().copied().fold(f32::MAX, f32::min);
    let max = other.iter().copied().fold(f32::MIN, f32::max);
    println!(
        "same hand: {} of {} at or above {MIN_SIMILARITY} (lowest {min:.3}); another hand: {} of {} below (highest {max:.3})",
        same.iter().filter(|s| **s >= MIN_SIMILARITY).count(),
        same.len(),
        other.iter().filter(|s| **s < MIN_SIMILARITY).count(),
        other.len(),
    );
    Ok(())
}
