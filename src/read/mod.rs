//! The readers: bytes in, welded meshes out. The format is told from the first bytes
//! ([`sniff`]), never from the name; each format's reader fills a [`Reading`] with meshes.

use std::io::Read;
use std::sync::mpsc::SyncSender;

mod feed;
mod format;
mod obj;
mod reading;
mod sniff;
mod stl;
mod text;
#[cfg(feature = "read3mf")]
pub(crate) mod threemf;

pub use feed::BinaryStlFeed;
pub use format::Format;
pub use reading::Input;
pub use sniff::is_binary_stl;

use crate::error::Result;
#[cfg(feature = "read3mf")]
use crate::error::{Error, Position};
use crate::options::Options;
use crate::write::chunk::{EarlyChunks, Sealed};
use reading::{read_full, Counted, Reading};
pub(crate) use sniff::misnamed;
use sniff::sniff;

/// Reads one STL, OBJ or 3MF, recognised by content (never by extension), and welds its meshes.
/// A 3MF gives one mesh per build item, its components flattened (re-encoding).
///
/// `name` names the input in messages and gives objects without a name of their own
/// their name (the file stem). `size_hint`, the input's length if known, only sizes
/// allocations.
pub fn read_input<R: Read>(name: &str, reader: R, size_hint: Option<u64>, options: &Options) -> Result<Input> {
    read(name, reader, size_hint, options, Early::None)
}

/// Reads one input as [`read_input`] does and, when `options` allow more than one thread,
/// compresses most of its model XML on the other threads while this one reads: give the
/// input to [`write_3mf_inputs`], which writes the same bytes as [`write_3mf`] sooner.
pub fn read_input_compressing<R: Read>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    options: &Options,
) -> Result<Input> {
    read(name, reader, size_hint, options, Early::Threads)
}

/// Reads one input as [`read_input`] does and sends a copy of each chunk of model XML
/// that becomes final while a mesh is read to `sealed`, when it has room (the reader never
/// waits), so that they can be compressed elsewhere meanwhile; give the input to
/// [`split_inputs`], whose [`Split::chunk_of`] says where each belongs.
pub fn read_input_sealing<R: Read>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    options: &Options,
    sealed: SyncSender<Sealed>,
) -> Result<Input> {
    read(name, reader, size_hint, options, Early::To(sealed))
}

/// Where chunks that become final while reading go.
enum Early {
    None,
    /// To other threads, which compress them.
    Threads,
    /// To the caller.
    To(SyncSender<Sealed>),
}

fn read<R: Read>(name: &str, mut reader: R, size_hint: Option<u64>, options: &Options, early: Early) -> Result<Input> {
    let mut head = vec![0u8; sniff::HEAD];
    let got = read_full(&mut reader, &mut head)?;
    head.truncate(got);
    // UTF-16 text (a BOM first) is read as the UTF-8 it transcodes to.
    if let Some(big_endian) = match head.get(..2) {
        Some([0xfe, 0xff]) => Some(true),
        Some([0xff, 0xfe]) => Some(false),
        _ => None,
    } {
        let rest: Box<dyn Read + '_> = Box::new(reader);
        let text = text::Utf16 {
            inner: std::io::BufReader::new(std::io::Cursor::new(head).chain(rest)),
            big_endian,
            out: Vec::new(),
            at: 0,
        };
        // Boxed, so that this call does not make another copy of this function for its type.
        let text: Box<dyn Read + '_> = Box::new(text);
        let mut input = read(name, text, size_hint.map(|s| s / 2), options, early)?;
        input.report.warnings.insert(0, "UTF-16 text: read as UTF-8".to_string());
        return Ok(input);
    }
    let format = match sniff(&head) {
        // Text that is no mesh, named as a 3MF.
        Err(e) if text::is_text(&head) && name.to_ascii_lowercase().ends_with(".3mf") => {
            return Err(sniff::misnamed(name, e))
        }
        r => r?,
    };
    let mut counted = Counted { inner: reader, count: got as u64 };
    let mut reading = Reading::new(name, format, size_hint, options);
    let threads = options.threads();
    let early = if let Early::To(tx) = early {
        reading.early = Some(tx);
        read_format(format, &head, &mut counted, &mut reading)?;
        reading.early = None;
        EarlyChunks::default()
    } else if matches!(early, Early::Threads) && threads > 1 {
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        {
            let (result, done) = crate::write::chunk::compress_while(threads, options.compression_level.min(9), |tx| {
                reading.early = Some(tx);
                let result = read_format(format, &head, &mut counted, &mut reading);
                // The compressing threads stop once every sender is gone.
                reading.early = None;
                result
            });
            result?;
            crate::write::chunk::by_mesh(done, &reading.serials, options.compression_level.min(9))
        }
        #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
        unreachable!("one thread only")
    } else {
        read_format(format, &head, &mut counted, &mut reading)?;
        EarlyChunks::default()
    };
    reading.finish(counted.count, early)
}

/// Reads the meshes of one input of a known format; `head` was taken from `counted`.
fn read_format<R: Read>(format: Format, head: &[u8], counted: &mut Counted<R>, reading: &mut Reading) -> Result<()> {
    match format {
        Format::BinaryStl => stl::read_binary(head, counted, reading).map_err(|e| misnamed(&reading.report.name, e)),
        Format::AsciiStl => stl::read_ascii(head, counted, reading),
        #[cfg(feature = "read3mf")]
        Format::ThreeMf => {
            // A zip needs seeking: the package is held in memory (it is compressed).
            let max = reading.options.max_package_bytes;
            let mut bytes = head.to_vec();
            counted.take(max.saturating_add(1).saturating_sub(head.len() as u64)).read_to_end(&mut bytes).map_err(
                |e| match e.kind() {
                    std::io::ErrorKind::OutOfMemory => crate::mesh::no_memory(
                        Position::Whole,
                        format!("the 3MF package ({} MiB read)", bytes.len() >> 20),
                    ),
                    _ => e.into(),
                },
            )?;
            if bytes.len() as u64 > max {
                return Err(Error::limit(
                    Position::Whole,
                    format!("a 3MF package over {} MiB; raise the package size limit to read it", max >> 20),
                ));
            }
            threemf::read(std::io::Cursor::new(bytes), reading)
        }
        // `sniff` names no 3MF in a build that does not read them.
        #[cfg(not(feature = "read3mf"))]
        Format::ThreeMf => unreachable!("sniffed as 3MF without the read3mf feature"),
        Format::Obj => obj::read(head, counted, reading),
    }
}
