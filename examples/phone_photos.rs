//! Makes the phone-photo samples of `samples/photos/`: printed demo documents as a phone
//! camera sees them — the page at an angle on a desk (perspective), a slight tilt, defocus
//! blur, a glare patch from a lamp, sensor noise and JPEG compression, in varying strength.
//!
//! ```sh
//! tanba demo --no-serve --data /tmp/photo-demo
//! cargo run --release --example phone_photos -- /tmp/photo-demo samples/photos
//! ```
//!
//! Each page is rasterised from the document's PDF at 150 dpi with poppler's `pdftoppm` (the
//! test suite's PDF reader; the paper a phone would photograph). `photos.json` lists every
//! photo with its document's expected status and the distortions applied. The output is
//! deterministic: the distortions come from a fixed-seed generator.

use image::{Rgb, RgbImage};
use imageproc::geometric_transformations::{Border, Interpolation, Projection, warp_into};
use serde_json::{Value, json};
use std::path::Path;

/// A small deterministic generator (SplitMix64): the samples must not change between runs.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.next()
    }
}

fn rasterise(pdf: &Path, dir: &Path) -> RgbImage {
    let stem = dir.join("page");
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-f", "1", "-l", "1", "-png", "-singlefile"])
        .arg(pdf)
        .arg(&stem)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/setup.sh");
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    image::open(stem.with_extension("png"))
        .expect("pdftoppm wrote a PNG")
        .to_rgb8()
}

/// One photo of `page` with the strength `s` in 0..1 (0: a careful shot, 1: a hasty one).
fn photograph(page: &RgbImage, rng: &mut Mix, s: f32) -> (RgbImage, Value) {
    let (w, h) = (page.width() as f32, page.height() as f32);
    // The camera frame: a little larger than the page, the desk around it.
    let (fw, fh) = (1200u32, 1600u32);
    let desk = Rgb([
        (110.0 + rng.range(-20.0, 20.0)) as u8,
        (90.0 + rng.range(-20.0, 20.0)) as u8,
        70,
    ]);
    let mut frame = RgbImage::from_pixel(fw, fh, desk);
    // Where the page's corners land: inset, each corner pushed by up to 14% (perspective),
    // and the whole turned by up to 8 degrees.
    let push = 0.14 * s;
    let (cx, cy) = (fw as f32 / 2.0, fh as f32 / 2.0);
    let (pw, ph) = (fw as f32 * 0.86, fh as f32 * 0.86);
    let angle = rng.range(-8.0, 8.0).to_radians() * s;
    let corners = [(-0.5f32, -0.5f32), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map(|(x, y)| {
        let (x, y) = (
            x * pw + rng.range(-push, push) * pw,
            y * ph + rng.range(-push, push) * ph,
        );
        (
            cx + x * angle.cos() - y * angle.sin(),
            cy + x * angle.sin() + y * angle.cos(),
        )
    });
    let projection =
        Projection::from_control_points([(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)], corners)
            .expect("four corners in general position");
    // Paint the page over the desk: warp onto a copy, then keep the desk outside the page.
    let mut warped = RgbImage::new(fw, fh);
    warp_into(
        page,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Rgb([1, 2, 3])),
        &mut warped,
    );
    for (f, p) in frame.pixels_mut().zip(warped.pixels()) {
        if *p != Rgb([1, 2, 3]) {
            *f = *p;
        }
    }
    // Lamp glare: a bright soft disc somewhere on the page.
    let (gx, gy) = (
        rng.range(0.2, 0.8) * fw as f32,
        rng.range(0.2, 0.8) * fh as f32,
    );
    let radius = rng.range(0.15, 0.35) * fw as f32;
    let glare = rng.range(0.3, 0.85) * s;
    for (x, y, px) in frame.enumerate_pixels_mut() {
        let d = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)).sqrt() / radius;
        let g = glare * (1.0 - d).max(0.0).powi(2);
        for c in px.0.iter_mut() {
            *c = (*c as f32 + (255.0 - *c as f32) * g) as u8;
        }
    }
    // Uneven light: one side darker.
    let shade = rng.range(0.0, 0.35) * s;
    for (x, _, px) in frame.enumerate_pixels_mut() {
        let k = 1.0 - shade * (x as f32 / fw as f32);
        for c in px.0.iter_mut() {
            *c = (*c as f32 * k) as u8;
        }
    }
    let blur = 0.6 + 2.2 * s * rng.next();
    let frame = imageproc::filter::gaussian_blur_f32(&frame, blur);
    let noise = 2.0 + 8.0 * s;
    let frame =
        imageproc::noise::gaussian_noise(&frame, 0.0, noise as f64, (rng.next() * 1e6) as u64);
    let quality = (85.0 - 30.0 * s) as u8;
    let r = |x: f32, k: f64| ((x as f64) * k).round() / k;
    let info = json!({
        "strength": r(s, 100.0),
        "perspective_max_corner_shift": r(push, 100.0),
        "rotation_degrees": r(angle.to_degrees(), 10.0),
        "blur_sigma": r(blur, 100.0),
        "glare": r(glare, 100.0),
        "shade": r(shade, 100.0),
        "noise_sigma": r(noise, 1.0),
        "jpeg_quality": quality,
    });
    (frame, info)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (data, out) = match args.as_slice() {
        [_, data, out] => (Path::new(data), Path::new(out)),
        _ => {
            eprintln!("usage: phone_photos DEMO_DATA_DIR OUT_DIR");
            std::process::exit(2);
        }
    };
    let demo = data.join("demo");
    let manifest: Vec<Value> = serde_json::from_slice(
        &std::fs::read(demo.join("manifest.json")).expect("a demo data directory"),
    )
    .expect("manifest.json");
    std::fs::create_dir_all(out).unwrap();
    let tmp = std::env::temp_dir().join(format!("tanba-photos-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // Every kind and status, then more of the common case: 12 photos in all.
    let mut picks: Vec<&Value> = Vec::new();
    for want in ["revoked", "superseded"] {
        picks.extend(manifest.iter().find(|e| e["expected_status"] == want));
    }
    for kind in ["attestat", "diploma", "guardianship"] {
        picks.extend(
            manifest
                .iter()
                .filter(|e| e["kind"] == kind && e["expected_status"] == "valid")
                .take(if kind == "guardianship" { 2 } else { 4 }),
        );
    }
    let mut rng = Mix(0x7A4B_A000_2026_1122);
    let mut list = Vec::new();
    for (i, e) in picks.iter().enumerate() {
        let page = rasterise(&demo.join(e["pdf"].as_str().unwrap()), &tmp);
        // Strength climbs from careful to hasty across the set.
        let s = 0.15 + 0.85 * i as f32 / (picks.len() - 1).max(1) as f32;
        let (photo, info) = photograph(&page, &mut rng, s);
        let name = format!("photo-{:02}.jpg", i + 1);
        let mut file = std::fs::File::create(out.join(&name)).unwrap();
        let quality = info["jpeg_quality"].as_u64().unwrap() as u8;
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, quality)
            .encode_image(&photo)
            .unwrap();
        list.push(json!({
            "file": name,
            "kind": e["kind"],
            "expected_status": e["expected_status"],
            "distortions": info,
        }));
        eprintln!("{name}: {} {}", e["kind"], e["expected_status"]);
    }
    std::fs::write(
        out.join("photos.json"),
        serde_json::to_vec_pretty(&list).unwrap(),
    )
    .unwrap();
    let _ = std::fs::remove_dir_all(&tmp);
}
