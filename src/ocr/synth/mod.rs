//! Synthetic foreign documents with their ground truth, for the OCR's evaluation
//! (`tanba ocr generate`, `tanba ocr eval`): apostille certificates of the Hague 1961 model,
//! as the countries most often seen in Kazakhstan issue them — bilingual (English and
//! Russian) or English only, with the French title, in varied fonts and sizes — each with a
//! seal and a signature, then put through what scanning does to paper: a turned page, blur,
//! sensor noise and JPEG compression, in a strength that varies from sample to sample.
//!
//! Deterministic: a sample is a function of its seed. Fonts are Debian's DejaVu
//! (`fonts-dejavu-core`, which every Kazakh and Cyrillic letter is in).

use ab_glyph::{FontVec, PxScale};
use image::{GrayImage, Luma, Rgb, RgbImage};
use imageproc::drawing::{
    draw_filled_circle_mut, draw_hollow_circle_mut, draw_line_segment_mut, draw_text_mut,
};
use imageproc::geometric_transformations::{Border, Interpolation, rotate_about_center};
use serde_json::{Value, json};

const FONT_DIR: &str = "/usr/share/fonts/truetype/dejavu";
const FONTS: [&str; 4] = [
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-Bold.ttf",
];

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("font {0} is missing: scripts/setup.sh installs fonts-dejavu-core")]
    Font(String),
    #[error("encoding the sample: {0}")]
    Encode(String),
}

/// SplitMix64: samples must not change between runs or machines.
#[derive(Clone)]
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// (ISO code, name in English, name in Russian, cities, issuing authorities in English and
/// Russian, universities whose documents get apostilled).
type Country = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    (&'static str, &'static str),
    &'static [&'static str],
);

const COUNTRIES: [Country; 6] = [
    (
        "RU",
        "Russian Federation",
        "Российская Федерация",
        &["Москва", "Новосибирск", "Казань"],
        (
            "Ministry of Science and Higher Education",
            "Министерство науки и высшего образования",
        ),
        &[
            "МГУ имени М. В. Ломоносова",
            "Новосибирский государственный университет",
            "Казанский федеральный университет",
        ],
    ),
    (
        "KG",
        "Kyrgyz Republic",
        "Кыргызская Республика",
        &["Бишкек", "Ош"],
        (
            "Ministry of Education and Science",
            "Министерство образования и науки",
        ),
        &[
            "Кыргызский национальный университет",
            "Ошский государственный университет",
        ],
    ),
    (
        "UZ",
        "Republic of Uzbekistan",
        "Республика Узбекистан",
        &["Ташкент", "Самарканд"],
        ("Ministry of Justice", "Министерство юстиции"),
        &[
            "Национальный университет Узбекистана",
            "Самаркандский государственный университет",
        ],
    ),
    (
        "TJ",
        "Republic of Tajikistan",
        "Республика Таджикистан",
        &["Душанбе", "Худжанд"],
        (
            "Ministry of Education and Science",
            "Министерство образования и науки",
        ),
        &["Таджикский национальный университет"],
    ),
    (
        "BY",
        "Republic of Belarus",
        "Республика Беларусь",
        &["Минск", "Гомель"],
        ("Ministry of Education", "Министерство образования"),
        &[
            "Белорусский государственный университет",
            "Гомельский государственный университет",
        ],
    ),
    (
        "TR",
        "Republic of Türkiye",
        "Турецкая Республика",
        &["Ankara", "Istanbul"],
        ("Governorship of the Province", "Губернаторство провинции"),
        &["Ankara Üniversitesi", "Istanbul Üniversitesi"],
    ),
];

const SURNAMES: [&str; 8] = [
    "Иванова",
    "Петров",
    "Сидоренко",
    "Абдуллаев",
    "Токтогулова",
    "Назаров",
    "Юсупова",
    "Karimov",
];
const GIVEN: [&str; 8] = [
    "Мария",
    "Алексей",
    "Гульнара",
    "Бахтиёр",
    "Айгерим",
    "Сергей",
    "Дилноза",
    "Rustam",
];
const CAPACITIES: [(&str, &str); 4] = [
    ("rector", "ректора"),
    ("dean", "декана"),
    ("head of registry", "начальника отдела"),
    ("director", "директора"),
];

pub mod diploma;
pub mod supplement;

/// The genuine scans a `tanba forensics generate` directory holds (`NAME.jpg`, not its
/// twins `NAME-<class>.jpg`), in order.
pub fn genuine_scans(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "jpg")
                && p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().matches('-').count() == 1)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// One generated sample: the scan as JPEG, and what is on it.
pub struct Sample {
    pub jpeg: Vec<u8>,
    pub truth: Value,
}

fn font(name: &str) -> Result<FontVec, SynthError> {
    let path = format!("{FONT_DIR}/{name}");
    let bytes = std::fs::read(&path).map_err(|_| SynthError::Font(path.clone()))?;
    FontVec::try_from_vec(bytes).map_err(|_| SynthError::Font(path))
}

/// A seal: two rings and a star-like centre, in stamp blue, slightly off its place.
fn seal(img: &mut RgbImage, cx: i32, cy: i32, r: i32, rng: &mut Mix) {
    let ink = Rgb([40, 60, 170]);
    for k in 0..3 {
        draw_hollow_circle_mut(img, (cx, cy), r - k, ink);
        draw_hollow_circle_mut(img, (cx, cy), r * 7 / 10 - k, ink);
    }
    for i in 0..24 {
        let a = i as f32 / 24.0 * std::f32::consts::TAU + rng.range(0.0, 0.1);
        let (s, c) = a.sin_cos();
        let inner = r as f32 * 0.74;
        let outer = r as f32 * 0.95;
        draw_line_segment_mut(
            img,
            (cx as f32 + c * inner, cy as f32 + s * inner),
            (cx as f32 + c * outer, cy as f32 + s * outer),
            ink,
        );
    }
    draw_filled_circle_mut(img, (cx, cy), r / 6, ink);
}

/// Another office's stamp pasted over a seal at (`cx`, `cy`) of radius `r` (its rim): the old
/// seal painted out with paper of level `paper`, then one thick ring, letters as dashes and a
/// five-pointed star — a forged seal, for the reference-seal check's tests and measurement.
pub fn other_stamp(page: &mut GrayImage, cx: i32, cy: i32, r: i32, paper: u8) {
    let ink = Luma([70]);
    draw_filled_circle_mut(page, (cx, cy), r + 6, Luma([paper]));
    for k in 0..5 {
        draw_hollow_circle_mut(page, (cx, cy), r - k, ink);
    }
    for i in 0..40 {
        let (s, c) = (i as f32 / 40.0 * std::f32::consts::TAU).sin_cos();
        let rho = r as f32 * 0.82;
        let p = (cx as f32 + c * rho, cy as f32 + s * rho);
        draw_line_segment_mut(page, p, (p.0 - s * 8.0, p.1 + c * 8.0), ink);
    }
    for i in 0..5 {
        let a = i as f32 / 5.0 * std::f32::consts::TAU;
        let b = (i + 2) as f32 / 5.0 * std::f32::consts::TAU;
        let rho = r as f32 * 0.55;
        draw_line_segment_mut(
            page,
            (cx as f32 + a.cos() * rho, cy as f32 + a.sin() * rho),
            (cx as f32 + b.cos() * rho, cy as f32 + b.sin() * rho),
            ink,
        );
    }
}

/// A signature by `signer`: the pen's path is theirs — drawn from their name, so every
/// document one official signs carries the same signature, as on paper — and each signing
/// varies as a hand does (a little larger or smaller, taller or flatter, slanted), from three
/// draws of `rng`. Two pixels wide, in blue-black ink, starting at (`x`, `y`).
fn signature(img: &mut RgbImage, x: f32, y: f32, signer: &str, rng: &mut Mix) {
    let ink = Rgb([20, 30, 90]);
    for (a, b) in signature_path(x, y, signer, rng)
        .windows(2)
        .map(|w| (w[0], w[1]))
    {
        draw_line_segment_mut(img, a, b, ink);
        draw_line_segment_mut(img, (a.0, a.1 + 1.0), (b.0, b.1 + 1.0), ink);
    }
}

/// `signer`'s signature as the generator draws it, the `signing`-th time: the points of its
/// stroke from (`x`, `y`) — for the reference-signature check's tests and measurement.
pub fn signature_stroke(x: f32, y: f32, signer: &str, signing: u64) -> Vec<(f32, f32)> {
    signature_path(x, y, signer, &mut Mix(signing))
}

/// The points of [`signature`]'s stroke.
fn signature_path(x: f32, y: f32, signer: &str, rng: &mut Mix) -> Vec<(f32, f32)> {
    // The signer's hand: FNV-1a of the name seeds how the pen loops, sweeps and rises.
    let mut hand = Mix(signer.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }));
    // Round loops, sharp peaks, or a tall capital before smaller loops.
    let style = hand.next() % 3;
    let loops = 2.0 + (hand.next() % 5) as f32;
    let width = hand.range(180.0, 280.0);
    let height = hand.range(30.0, 60.0);
    let sweep = hand.range(10.0, 26.0);
    let fade = hand.range(0.2, 0.7);
    let rise = hand.range(0.0, 35.0);
    let (wobble, wobble_freq, wobble_phase) = (
        hand.range(0.0, 14.0),
        *hand.pick(&[0.5f32, 1.5, 2.5]),
        hand.range(0.0, std::f32::consts::TAU),
    );
    let underline = hand.unit() < 0.5;
    // This signing: three draws, as many as the stroke took before it was the signer's.
    let size = 0.95 + (rng.next() % 1000) as f32 / 10_000.0;
    let tall = rng.range(0.93, 1.07);
    let slant = rng.range(-0.06, 0.06);
    let steps = 240;
    let mut points = Vec::with_capacity(steps + 40);
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let a = t * loops * std::f32::consts::TAU;
        let (wave, capital) = match style {
            1 => (std::f32::consts::FRAC_2_PI * a.sin().asin(), 1.0),
            2 if t < 1.0 / loops => (a.sin(), 1.7),
            _ => (a.sin(), 1.0),
        };
        let dx = t * width + a.cos() * sweep;
        let dy = (wave * capital * height * (1.0 - fade * t)
            + wobble * (a * wobble_freq + wobble_phase).sin())
            * tall
            - t * rise;
        points.push((dx, dy));
    }
    if underline {
        // Back under the name, left, with a slight fall.
        let (ex, ey) = points[steps];
        for i in 1..=40 {
            let t = i as f32 / 40.0;
            points.push((ex - t * width * 0.8, ey + height * 0.9 * t.sqrt()));
        }
    }
    points
        .into_iter()
        .map(|(dx, dy)| (x + (dx + slant * dy) * size, y + dy * size))
        .collect()
}

/// The `seed`-th apostille certificate, scanned at 200 dpi.
pub fn apostille(seed: u64) -> Result<Sample, SynthError> {
    let mut rng = Mix(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5A17);
    let face = FONTS[(rng.next() % 3) as usize];
    let regular = font(face)?;
    let bold = font(FONTS[3])?;
    let country = *rng.pick(&COUNTRIES);
    let (code, name_en, name_ru, cities, authority, universities) = country;
    let bilingual = rng.unit() < 0.7;
    let signed_by = format!("{} {}", rng.pick(&SURNAMES), rng.pick(&GIVEN));
    let capacity = *rng.pick(&CAPACITIES);
    let seal_of = *rng.pick(universities);
    let place = *rng.pick(cities);
    let year = 2019 + (rng.next() % 7) as i32;
    let month = 1 + (rng.next() % 12) as u8;
    let day = 1 + (rng.next() % 28) as u8;
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).expect("1..=12"), day)
            .expect("a real date");
    let number = format!(
        "{:02}-{:05}/{:02}",
        rng.next() % 90 + 10,
        rng.next() % 100_000,
        year % 100
    );

    // What is printed: (label in English, label in Russian, value).
    let value_lang = |en: &'static str, ru: &'static str| if bilingual { ru } else { en };
    let lines: Vec<(String, String)> = vec![
        ("1. Country:".into(), value_lang(name_en, name_ru).into()),
        ("This public document".into(), String::new()),
        ("2. has been signed by".into(), signed_by.clone()),
        (
            "3. acting in the capacity of".into(),
            value_lang(capacity.0, capacity.1).into(),
        ),
        ("4. bears the seal/stamp of".into(), seal_of.into()),
        ("Certified".into(), String::new()),
        ("5. at".into(), place.into()),
        ("6. the".into(), format!("{day:02}.{month:02}.{year}")),
        ("7. by".into(), value_lang(authority.0, authority.1).into()),
        ("8. No".into(), number.clone()),
        ("9. Seal/stamp:".into(), String::new()),
        ("10. Signature:".into(), String::new()),
    ];
    let ru_label = |en: &str| -> &'static str {
        match en {
            "1. Country:" => "Страна:",
            "This public document" => "Настоящий официальный документ",
            "2. has been signed by" => "подписан",
            "3. acting in the capacity of" => "выступающим в качестве",
            "4. bears the seal/stamp of" => "скреплен печатью",
            "Certified" => "Удостоверено",
            "5. at" => "в",
            "6. the" => "дата",
            "7. by" => "кем",
            "8. No" => "за №",
            "9. Seal/stamp:" => "Печать:",
            "10. Signature:" => "Подпись:",
            _ => "",
        }
    };

    let paper = 246 + (rng.next() % 8) as u8;
    let mut img = RgbImage::from_pixel(1654, 2339, Rgb([paper, paper, paper.saturating_sub(3)]));
    let ink = Rgb([25, 25, 30]);
    let size = rng.range(28.0, 34.0);
    let scale = PxScale::from(size);
    let left = rng.range(170.0, 230.0) as i32;
    let mut y = rng.range(220.0, 300.0) as i32;
    draw_text_mut(
        &mut img,
        ink,
        left + 380,
        y,
        PxScale::from(size * 1.6),
        &bold,
        "APOSTILLE",
    );
    y += (size * 2.4) as i32;
    draw_text_mut(
        &mut img,
        ink,
        left + 160,
        y,
        scale,
        &regular,
        "(Convention de La Haye du 5 octobre 1961)",
    );
    y += (size * 2.6) as i32;
    let mut label_rows = Vec::new();
    for (en, value) in &lines {
        let label = if bilingual {
            format!("{en} / {}", ru_label(en))
        } else {
            en.clone()
        };
        let text = if value.is_empty() {
            label
        } else {
            format!("{label} {value}")
        };
        draw_text_mut(&mut img, ink, left, y, scale, &regular, &text);
        label_rows.push((en.clone(), y));
        y += (size * rng.range(1.9, 2.3)) as i32;
    }
    let row = |name: &str| {
        label_rows
            .iter()
            .find(|(l, _)| l == name)
            .map(|r| r.1)
            .unwrap_or(y)
    };
    // One certificate in six lacks its seal, and one in six its signature: the check must
    // see absence as well as presence.
    let has_seal = rng.unit() >= 1.0 / 6.0;
    let has_signature = rng.unit() >= 1.0 / 6.0;
    if has_seal {
        let seal_x = left + 700 + rng.range(0.0, 80.0) as i32;
        seal(&mut img, seal_x, row("9. Seal/stamp:") + 20, 110, &mut rng);
    }
    if has_signature {
        let y = row("10. Signature:") as f32 + 30.0;
        signature(&mut img, left as f32 + 980.0, y, &signed_by, &mut rng);
    }
    // The certificate's frame.
    for k in 0..3 {
        let (x0, y0, x1, y1) = (
            left as f32 - 60.0 - k as f32,
            160.0 - k as f32,
            1500.0 + k as f32,
            y as f32 + 120.0 + k as f32,
        );
        for (a, b) in [
            ((x0, y0), (x1, y0)),
            ((x1, y0), (x1, y1)),
            ((x1, y1), (x0, y1)),
            ((x0, y1), (x0, y0)),
        ] {
            draw_line_segment_mut(&mut img, a, b, ink);
        }
    }

    let strength = rng.unit();
    let (jpeg, distortions) = scan(img, paper, strength, &mut rng)?;
    let country_field = code.to_string();
    let truth = json!({
        "kind": "apostille",
        "country": code,
        "fields": {
            "apostille_country": country_field,
            "apostille_signed_by": signed_by,
            "apostille_capacity": value_lang(capacity.0, capacity.1),
            "apostille_seal_of": seal_of,
            "apostille_place": place,
            "apostille_date": date.to_string(),
            "apostille_authority": value_lang(authority.0, authority.1),
            "apostille_number": number,
            "seal": if has_seal { "present" } else { "absent" },
            "signature": if has_signature { "present" } else { "absent" },
        },
        "condition": condition(strength),
        "distortions": distortions,
        "languages": if bilingual { "en+ru" } else { "en" },
        "font_px": size,
    });
    Ok(Sample { jpeg, truth })
}

/// How a sample's strength of distortion is reported: `clean` below 0.35, `degraded` above.
/// Phone photos say `phone`.
fn condition(strength: f32) -> &'static str {
    if strength < 0.35 { "clean" } else { "degraded" }
}

/// Scanning, in a strength from 0 to 1: a page fed askew, optics, the sensor, the file.
/// Returns the JPEG and what was done.
fn scan(
    img: RgbImage,
    paper: u8,
    strength: f32,
    rng: &mut Mix,
) -> Result<(Vec<u8>, Value), SynthError> {
    let (page, quality, distortions) = scanned(img, paper, strength, rng);
    Ok((encode(&page, quality)?, distortions))
}

/// [`scan`] before the file is written: the page and the JPEG quality it is to be saved at.
fn scanned(img: RgbImage, paper: u8, strength: f32, rng: &mut Mix) -> (GrayImage, u8, Value) {
    let angle = rng.range(-3.0, 3.0) * strength;
    let gray: GrayImage = image::DynamicImage::ImageRgb8(img).to_luma8();
    let mut scan = rotate_about_center(
        &gray,
        angle.to_radians(),
        Interpolation::Bilinear,
        Border::Constant(Luma([paper])),
    );
    let sigma = 0.3 + 0.9 * strength;
    scan = imageproc::filter::gaussian_blur_f32(&scan, sigma);
    let noise = 2.0 + 8.0 * strength;
    add_noise(&mut scan, noise, rng);
    let quality = (92.0 - 32.0 * strength) as u8;
    (
        scan,
        quality,
        json!({
            "strength": strength,
            "rotation_degrees": angle,
            "blur_sigma": sigma,
            "noise": noise,
            "jpeg_quality": quality,
        }),
    )
}

/// A forger's paste: where `copy` differs from `page` (by more than noise), its pixels as a
/// JPEG of `pasted_quality` decodes them replace the page's; the page is then saved at
/// `quality`. Returns the file and the pasted region `[x, y, width, height]`.
fn paste_recompressed(
    mut page: GrayImage,
    copy: &GrayImage,
    quality: u8,
    pasted_quality: u8,
) -> Result<(Vec<u8>, [u32; 4]), SynthError> {
    let (w, h) = page.dimensions();
    let [x0, y0, cw, ch] = changed_region(&page, copy)
        .ok_or_else(|| SynthError::Encode("the retyped copy does not differ".into()))?;
    let (x1, y1) = ((x0 + cw + 5).min(w - 1), (y0 + ch + 5).min(h - 1));
    let (x0, y0) = (x0.saturating_sub(6), y0.saturating_sub(6));
    let saved = image::load_from_memory(&encode(copy, pasted_quality)?)
        .map_err(|e| SynthError::Encode(e.to_string()))?
        .to_luma8();
    for y in y0..=y1 {
        for x in x0..=x1 {
            page.put_pixel(x, y, *saved.get_pixel(x, y));
        }
    }
    Ok((encode(&page, quality)?, [x0, y0, x1 - x0 + 1, y1 - y0 + 1]))
}

/// Where two scans of the same page through the same draws differ by more than noise:
/// `[x, y, width, height]`, or `None` where they do not.
fn changed_region(page: &GrayImage, copy: &GrayImage) -> Option<[u32; 4]> {
    let (w, h) = page.dimensions();
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (x, y, p) in page.enumerate_pixels() {
        if p.0[0].abs_diff(copy.get_pixel(x, y).0[0]) > 24 {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    (x1 >= x0).then(|| [x0, y0, x1 - x0 + 1, y1 - y0 + 1])
}

/// A forger's copy-move: the scan's pixels in `from` (`[x, y, width, height]`), paper grain
/// and all, copied over `to`, centred on it; the page is then saved at `quality`. Both
/// regions are found by where a black mark spread in the scan, so each is first narrowed by
/// a pixel of the 2 px the scan's blur spread it (a forger's cut keeps a hair of margin, so
/// that none of the character under it is left).
fn copy_moved(
    mut page: GrayImage,
    from: [u32; 4],
    to: [u32; 4],
    quality: u8,
) -> Result<Vec<u8>, SynthError> {
    let narrow = |r: [u32; 4]| {
        [
            r[0] + 1,
            r[1] + 1,
            r[2].saturating_sub(2),
            r[3].saturating_sub(2),
        ]
    };
    let (from, to) = (narrow(from), narrow(to));
    let (w, h) = (from[2].min(to[2]), from[3].min(to[3]));
    let (fx, fy) = (from[0] + (from[2] - w) / 2, from[1] + (from[3] - h) / 2);
    let (tx, ty) = (to[0] + (to[2] - w) / 2, to[1] + (to[3] - h) / 2);
    let source = image::imageops::crop_imm(&page, fx, fy, w, h).to_image();
    image::imageops::replace(&mut page, &source, i64::from(tx), i64::from(ty));
    encode(&page, quality)
}

/// Paper and print are not flat: paper has fibres and toner lies unevenly, so no two printed
/// characters are the same pixels, whatever the scan. Two smooth random fields (a grain about
/// 1.5 px across at 200 dpi): the paper's mottle (±3 levels) and the ink's density (±10 levels
/// in full ink). They come from a generator of their own, seeded by the sample's `seed`, so
/// that the sample's other draws are untouched.
fn print_texture(img: &mut RgbImage, seed: u64) {
    let mut rng = Mix(seed.wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x7E47);
    let (w, h) = img.dimensions();
    let mut field = || {
        let white = GrayImage::from_fn(w, h, |_, _| Luma([(rng.next() & 0xFF) as u8]));
        imageproc::filter::gaussian_blur_f32(&white, 1.5)
    };
    let (paper, ink) = (field(), field());
    // Uniform bytes (σ 73.9) blurred at σ 1.5 keep a σ of about 13.9 about 127.5.
    let z = |v: u8| (f32::from(v) - 127.5) / 13.9;
    for (x, y, p) in img.enumerate_pixels_mut() {
        let dark = 1.0 - f32::from(p.0[0]) / 255.0;
        let d = 3.0 * z(paper.get_pixel(x, y).0[0]) + 10.0 * dark * z(ink.get_pixel(x, y).0[0]);
        for c in &mut p.0 {
            *c = (f32::from(*c) + d).clamp(0.0, 255.0) as u8;
        }
    }
}

fn add_noise(img: &mut GrayImage, noise: f32, rng: &mut Mix) {
    for p in img.pixels_mut() {
        // A sum of three uniforms: near enough to Gaussian sensor noise.
        let n = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 2.0 * noise;
        p.0[0] = (p.0[0] as f32 + n).clamp(0.0, 255.0) as u8;
    }
}

fn encode(img: &GrayImage, quality: u8) -> Result<Vec<u8>, SynthError> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(img)
        .map_err(|e| SynthError::Encode(e.to_string()))?;
    Ok(jpeg)
}

/// A phone photo of the printed page: the page lies on a darker desk, seen from a little off
/// its axis (each corner moved by up to 6% of the page's width), lit unevenly, slightly out of
/// focus, with the noise and compression of a phone camera. The photo is 1.15 times the
/// page's size in each direction, so the whole page is in frame.
fn phone_photo(img: RgbImage, rng: &mut Mix) -> Result<(Vec<u8>, Value), SynthError> {
    let (photo, quality, distortions) = photographed(img, rng)?;
    Ok((encode(&photo, quality)?, distortions))
}

/// [`phone_photo`] before the file is written: the photo and the JPEG quality it is saved at.
fn photographed(img: RgbImage, rng: &mut Mix) -> Result<(GrayImage, u8, Value), SynthError> {
    use imageproc::geometric_transformations::{Projection, warp_into};
    let gray: GrayImage = image::DynamicImage::ImageRgb8(img).to_luma8();
    let (w, h) = (gray.width() as f32, gray.height() as f32);
    let (pw, ph) = ((w * 1.15) as u32, (h * 1.15) as u32);
    let desk = 60 + (rng.next() % 60) as u8;
    let (mx, my) = ((pw as f32 - w) / 2.0, (ph as f32 - h) / 2.0);
    let jitter = w * 0.06;
    let mut corner = |x: f32, y: f32| {
        (
            x + rng.range(-jitter, jitter) * 0.8,
            y + rng.range(-jitter, jitter) * 0.8,
        )
    };
    let to = [
        corner(mx, my),
        corner(mx + w, my),
        corner(mx + w, my + h),
        corner(mx, my + h),
    ];
    let from = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let projection = Projection::from_control_points(from, to)
        .ok_or_else(|| SynthError::Encode("degenerate perspective".into()))?;
    let mut photo = GrayImage::from_pixel(pw, ph, Luma([desk]));
    warp_into(
        &gray,
        projection,
        Interpolation::Bilinear,
        Border::Constant(Luma([desk])),
        &mut photo,
    );
    // Light falling off from one side of the page to the other.
    let (lx, ly) = (rng.range(0.0, 1.0), rng.range(0.0, 1.0));
    let fall = rng.range(0.10, 0.30);
    let diag = ((pw * pw + ph * ph) as f32).sqrt();
    for (x, y, p) in photo.enumerate_pixels_mut() {
        let d = ((x as f32 - lx * pw as f32).powi(2) + (y as f32 - ly * ph as f32).powi(2)).sqrt()
            / diag;
        p.0[0] = (p.0[0] as f32 * (1.0 - fall * d)).clamp(0.0, 255.0) as u8;
    }
    let sigma = rng.range(0.5, 1.1);
    photo = imageproc::filter::gaussian_blur_f32(&photo, sigma);
    let noise = rng.range(3.0, 7.0);
    add_noise(&mut photo, noise, rng);
    let quality = rng.range(70.0, 88.0) as u8;
    Ok((
        photo,
        quality,
        json!({
            "phone_photo": true,
            "corners": to.iter().map(|c| [c.0.round(), c.1.round()]).collect::<Vec<_>>(),
            "light_falloff": fall,
            "blur_sigma": sigma,
            "noise": noise,
            "jpeg_quality": quality,
        }),
    ))
}
