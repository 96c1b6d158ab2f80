//! Page orientation by tesseract's orientation and script detection (OSD, Debian's
//! `osd.traineddata`, installed with `tesseract-ocr`), through its C API: the `tesseract`
//! crate does not expose it. An engine loaded with the `osd` model alone tells which of the
//! four quarter turns a page's text stands in.

use image::GrayImage;
use std::ffi::{CStr, CString};
use tesseract_sys as sys;

/// An OSD engine, reused page after page by one thread at a time.
pub struct Osd {
    handle: *mut sys::TessBaseAPI,
}

// SAFETY: the engine is owned by one `Osd` and used through `&mut self` only, so it is never
// touched by two threads at once; tesseract engines may move between threads.
unsafe impl Send for Osd {}

/// What OSD found: how far the page's text is turned, and how sure it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Orientation {
    /// How far the image must be turned clockwise for its text to stand upright: 0, 90, 180
    /// or 270.
    pub rotate_clockwise: u16,
    /// tesseract's confidence in it; below about 2 it is a guess.
    pub confidence: f32,
}

impl Osd {
    /// Loads the `osd` model; `None` when it is not installed.
    pub fn new() -> Option<Osd> {
        // SAFETY: creates an engine that this value owns and deletes on drop.
        let handle = unsafe { sys::TessBaseAPICreate() };
        if handle.is_null() {
            return None;
        }
        let osd = Osd { handle };
        let lang = CString::new("osd").expect("no NUL");
        // SAFETY: a live handle; a null datapath means tesseract's own default (or
        // TESSDATA_PREFIX); `lang` outlives the call.
        let rc = unsafe { sys::TessBaseAPIInit3(osd.handle, std::ptr::null(), lang.as_ptr()) };
        (rc == 0).then_some(osd)
    }

    /// The orientation of a page's text, or `None` when OSD finds too little text to tell.
    pub fn orientation(&mut self, img: &GrayImage, dpi: i32) -> Option<Orientation> {
        let (w, h) = (img.width() as i32, img.height() as i32);
        let (mut deg, mut conf) = (0i32, 0f32);
        let mut script: *const std::os::raw::c_char = std::ptr::null();
        let mut script_conf = 0f32;
        // SAFETY: the image buffer (one byte per pixel, `w` bytes per row) lives until the
        // detection returns, and the engine's copy of the pointer is cleared before we return;
        // the out-pointers point at locals. The script name points into the engine's tables.
        let ok = unsafe {
            sys::TessBaseAPISetImage(self.handle, img.as_raw().as_ptr(), w, h, 1, w);
            sys::TessBaseAPISetSourceResolution(self.handle, dpi);
            let ok = sys::TessBaseAPIDetectOrientationScript(
                self.handle,
                &mut deg,
                &mut conf,
                &mut script,
                &mut script_conf,
            );
            sys::TessBaseAPIClear(self.handle);
            ok
        };
        if ok == 0 {
            return None;
        }
        if !script.is_null() {
            // SAFETY: a NUL-terminated name from tesseract's static tables.
            let name = unsafe { CStr::from_ptr(script) };
            tracing::debug!(script = ?name, script_conf, "osd script");
        }
        // tesseract reports how far the text has been turned clockwise; undoing it is the
        // rest of the full turn.
        Some(Orientation {
            rotate_clockwise: ((360 - deg.rem_euclid(360)) % 360) as u16,
            confidence: conf,
        })
    }
}

impl Drop for Osd {
    fn drop(&mut self) {
        // SAFETY: the handle was created by TessBaseAPICreate and is deleted once.
        unsafe { sys::TessBaseAPIDelete(self.handle) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::imageops::{rotate90, rotate180, rotate270};

    #[test]
    fn each_quarter_turn_of_a_page_is_told() {
        let Some(mut osd) = Osd::new() else {
            panic!("the osd model is not installed: install tesseract-ocr (osd.traineddata)");
        };
        let page = image::open(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples/foreign/diploma-0004.jpg"),
        )
        .unwrap()
        .to_luma8();
        let upright = osd.orientation(&page, 150).unwrap();
        assert_eq!(upright.rotate_clockwise, 0, "{upright:?}");
        // Turned clockwise by 90°, it needs 270° more clockwise to stand up again.
        for (turned, undo) in [
            (rotate90(&page), 270),
            (rotate180(&page), 180),
            (rotate270(&page), 90),
        ] {
            let o = osd.orientation(&turned, 150).unwrap();
            assert_eq!(o.rotate_clockwise, undo, "{o:?}");
        }
    }
}
