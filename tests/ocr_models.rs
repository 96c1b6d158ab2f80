//! The installed tesseract models are the ones `ocr-models/tessdata.json` lists: same bytes,
//! same hash. The OCR's measured accuracy holds for those models only.

use sha2::{Digest, Sha256};

#[test]
fn installed_models_match_the_manifest() {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/ocr-models/tessdata.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let dirs = tanba::ocr::tessdata_dirs();
    let models = manifest["models"].as_array().unwrap();
    assert!(models.len() >= 3);
    for m in models {
        let file = m["file"].as_str().unwrap();
        let path = dirs
            .iter()
            .map(|d| d.join(file))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "{file} is not installed: scripts/setup.sh installs {}",
                    m["package"]
                )
            });
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, m["bytes"].as_u64().unwrap(), "{file}");
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            m["sha256"].as_str().unwrap(),
            "{} differs from the model the figures were measured with",
            path.display()
        );
    }
    // And the default languages are all among them.
    for lang in tanba::ocr::DEFAULT_LANGS.split('+') {
        assert!(models.iter().any(|m| m["lang"] == lang), "{lang}");
    }
}
