//! Bytes between the browser and wasm memory: `File`s and `Blob`s read in big slices
//! (`FileRead`), and pieces copied out into buffers the worker keeps (`setBuffers`,
//! `ChunkOut`).

use std::io::Read;

use wasm_bindgen::prelude::*;

thread_local! {
    static TAKE: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
}

/// Where pieces copied out of wasm memory (package pieces, compressed chunks, elements
/// for a helper) go: `take(bytes)` returns a `Uint8Array` of that many bytes, at an
/// offset that is a multiple of 4. The worker keeps the buffers of pieces it is done
/// with, since a fresh `ArrayBuffer` costs a page fault per 4 KiB. Without it (or when
/// it returns anything else), each piece gets a new array.
#[wasm_bindgen(js_name = setBuffers)]
pub fn set_buffers(take: Option<js_sys::Function>) {
    TAKE.with(|t| *t.borrow_mut() = take);
}

/// A `Uint8Array` of `bytes` bytes from `take`, if it gives one.
pub(crate) fn taken(bytes: usize) -> Option<js_sys::Uint8Array> {
    let array =
        TAKE.with(|t| t.borrow().as_ref().and_then(|f| f.call1(&JsValue::NULL, &(bytes as f64).into()).ok()))?;
    array.dyn_into::<js_sys::Uint8Array>().ok().filter(|a| a.length() as usize == bytes && a.byte_offset() % 4 == 0)
}

/// `bytes` copied out of wasm memory.
pub(crate) fn copy_out(bytes: &[u8]) -> js_sys::Uint8Array {
    match taken(bytes.len()) {
        Some(array) => {
            array.copy_from(bytes);
            array
        }
        None => js_sys::Uint8Array::from(bytes),
    }
}

/// Passes each written piece to a JS callback as a `Uint8Array` of its own (see `setBuffers`).
pub(crate) struct ChunkOut(pub(crate) js_sys::Function);

impl std::io::Write for ChunkOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let chunk = copy_out(buf);
        self.0.call1(&JsValue::NULL, &chunk).map_err(|e| std::io::Error::other(format!("onChunk failed: {e:?}")))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The synchronous reader `FileRead` needs, which only a dedicated worker has.
pub(crate) fn reader() -> Result<web_sys::FileReaderSync, JsError> {
    web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))
}

/// Reads a `Blob` (or `File`) in 16 MiB slices through `FileReaderSync` (dedicated
/// workers only), so a large file never sits in memory whole. Each slice is one round
/// trip to the browser's blob store (fewer, bigger ones are faster: 4 MiB slices took
/// half as long again), so slices are read whole and the core's smaller reads are copied
/// straight from them into wasm memory.
pub(crate) struct FileRead<'a> {
    file: web_sys::Blob,
    reader: web_sys::FileReaderSync,
    pos: f64,
    size: f64,
    slice: js_sys::Uint8Array,
    taken: u32,
    progress: &'a dyn Fn(&str, f64, f64),
}

const SLICE: f64 = 16.0 * 1024.0 * 1024.0;

impl<'a> FileRead<'a> {
    pub(crate) fn new(
        file: web_sys::Blob,
        reader: web_sys::FileReaderSync,
        progress: &'a dyn Fn(&str, f64, f64),
    ) -> Self {
        let size = file.size();
        FileRead { file, reader, pos: 0.0, size, slice: js_sys::Uint8Array::new_with_length(0), taken: 0, progress }
    }

    fn left(&self) -> u32 {
        self.slice.length() - self.taken
    }
}

/// The error for a file the browser gives fewer bytes of than its size.
pub(crate) fn short_read(got: f64, size: f64) -> std::io::Error {
    std::io::Error::other(format!(
        "the browser could not read it past byte {got} of {size}: it may have been moved, changed or deleted since it was picked"
    ))
}

/// The error for a file the browser could not read, with the browser's words (Chromium
/// says "network error" of a picked file deleted since).
pub(crate) fn unreadable(browser: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "the browser could not read it ({browser}): it may have been moved, changed or deleted since it was picked"
    ))
}

/// Archives are read with seeks (their directory is at the end).
impl std::io::Seek for FileRead<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let here = self.pos - self.left() as f64;
        let target = match to {
            std::io::SeekFrom::Start(n) => n as f64,
            std::io::SeekFrom::End(d) => self.size + d as f64,
            std::io::SeekFrom::Current(d) => here + d as f64,
        };
        if target < 0.0 {
            return Err(std::io::Error::other("seek before the start of the file"));
        }
        self.pos = target.min(self.size);
        self.slice = js_sys::Uint8Array::new_with_length(0);
        self.taken = 0;
        Ok(self.pos as u64)
    }
}

impl Read for FileRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left() == 0 {
            if self.pos >= self.size {
                return Ok(0);
            }
            let end = (self.pos + SLICE).min(self.size);
            let io = |e: JsValue| unreadable(&js_sys::Error::from(e).message().as_string().unwrap_or_default());
            let blob = self.file.slice_with_f64_and_f64(self.pos, end).map_err(io)?;
            let array = self.reader.read_as_array_buffer(&blob).map_err(io)?;
            self.slice = js_sys::Uint8Array::new(&array);
            self.taken = 0;
            if (self.slice.length() as f64) < end - self.pos {
                return Err(short_read(self.pos + self.slice.length() as f64, self.size));
            }
            self.pos += self.slice.length() as f64;
            (self.progress)("reading", self.pos, self.size);
        }
        let n = (buf.len() as u32).min(self.left());
        self.slice.subarray(self.taken, self.taken + n).copy_to(&mut buf[..n as usize]);
        self.taken += n;
        Ok(n as usize)
    }
}

/// `files` (an array of `File`) as the core's inputs: name, reader and size.
pub(crate) fn inputs<'a>(
    files: &js_sys::Array,
    reader: &web_sys::FileReaderSync,
    progress: &'a dyn Fn(&str, f64, f64),
) -> Result<Vec<(String, FileRead<'a>, Option<u64>)>, JsError> {
    let mut inputs = Vec::new();
    for f in files.iter() {
        let file: web_sys::File = f.dyn_into().map_err(|_| JsError::new("files must be an array of File"))?;
        let size = file.size() as u64;
        inputs.push((file.name(), FileRead::new(file.clone().into(), reader.clone(), progress), Some(size)));
    }
    Ok(inputs)
}
