//! A small streaming ZIP writer: deflated entries, data descriptors for entries of unknown
//! size, ZIP64 records only when a size, offset or count needs them, fixed timestamps.
//!
//! The `zip` crate's writer compresses each entry itself on one thread; this one accepts
//! raw deflate produced elsewhere, which lets the model XML be compressed on several
//! threads (see `deflate`) while it is written.

use std::io::{Read, Write};

use super::deflate::compress_all;
use crate::name::unique_name;

/// 1980-01-01 00:00:00, the earliest DOS time: the same input gives the same bytes.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
const U32_MAX: u64 = 0xFFFF_FFFF;

struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
    descriptor: bool,
    zip64_local: bool,
    method: u16,
}

/// Compression methods.
pub(crate) const STORED: u16 = 0;
pub(crate) const DEFLATED: u16 = 8;

/// Writes a ZIP archive to any `Write`, without seeking.
pub(crate) struct ZipWriter<W: Write> {
    out: W,
    written: u64,
    entries: Vec<Entry>,
}

impl<W: Write> ZipWriter<W> {
    pub(crate) fn new(out: W) -> ZipWriter<W> {
        ZipWriter { out, written: 0, entries: Vec::new() }
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Adds a whole entry, deflated at `level`.
    pub(crate) fn add(&mut self, name: &str, data: &[u8], level: u32) -> std::io::Result<()> {
        let deflated = compress_all(data, level);
        let crc = crc32fast::hash(data);
        let offset = self.written;
        let zip64 = data.len() as u64 >= U32_MAX || deflated.len() as u64 >= U32_MAX;
        self.local_header(name, crc, deflated.len() as u64, data.len() as u64, false, zip64, DEFLATED)?;
        self.put(&deflated)?;
        self.entries.push(Entry {
            name: name.to_string(),
            crc,
            compressed: deflated.len() as u64,
            uncompressed: data.len() as u64,
            offset,
            descriptor: false,
            zip64_local: zip64,
            method: DEFLATED,
        });
        Ok(())
    }

    /// Starts an entry whose bytes (deflated, or stored as they are) follow through
    /// its [`Write`] implementation. `may_exceed_4gib` must be true if either size can reach
    /// 4 GiB: the local header then carries a ZIP64 field so the data descriptor can hold
    /// 8-byte sizes.
    pub(crate) fn start(&mut self, name: &str, may_exceed_4gib: bool, method: u16) -> std::io::Result<()> {
        let offset = self.written;
        self.local_header(name, 0, 0, 0, true, may_exceed_4gib, method)?;
        self.entries.push(Entry {
            name: name.to_string(),
            crc: 0,
            compressed: 0,
            uncompressed: 0,
            offset,
            descriptor: true,
            zip64_local: may_exceed_4gib,
            method,
        });
        Ok(())
    }

    /// Counts `len` bytes of the entry begun by `start` that were placed in the output by
    /// someone else, right after what this writer wrote so far.
    pub(crate) fn skip(&mut self, len: u64) {
        self.written += len;
    }

    /// Ends the entry begun by `start` with its data descriptor.
    pub(crate) fn finish_entry(&mut self, crc: u32, uncompressed: u64) -> std::io::Result<()> {
        let (offset, zip64) = {
            let e = self.entries.last().expect("finish_entry without start");
            (e.offset, e.zip64_local)
        };
        let header_len = 30 + self.entries.last().map_or(0, |e| e.name.len()) as u64 + if zip64 { 20 } else { 0 };
        let compressed = self.written - offset - header_len;
        if !zip64 && (compressed >= U32_MAX || uncompressed >= U32_MAX) {
            return Err(std::io::Error::other("a ZIP entry grew past 4 GiB without a ZIP64 header"));
        }
        let mut d = Vec::with_capacity(24);
        d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        d.extend_from_slice(&crc.to_le_bytes());
        if zip64 {
            d.extend_from_slice(&compressed.to_le_bytes());
            d.extend_from_slice(&uncompressed.to_le_bytes());
        } else {
            d.extend_from_slice(&(compressed as u32).to_le_bytes());
            d.extend_from_slice(&(uncompressed as u32).to_le_bytes());
        }
        self.put(&d)?;
        let e = self.entries.last_mut().expect("entry");
        e.crc = crc;
        e.compressed = compressed;
        e.uncompressed = uncompressed;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn local_header(
        &mut self,
        name: &str,
        crc: u32,
        comp: u64,
        uncomp: u64,
        descriptor: bool,
        zip64: bool,
        method: u16,
    ) -> std::io::Result<()> {
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes());
        // Bit 3: sizes in a data descriptor; bit 11: the name is UTF-8.
        h.extend_from_slice(&((if descriptor { 1u16 << 3 } else { 0 }) | 1 << 11).to_le_bytes());
        h.extend_from_slice(&method.to_le_bytes());
        h.extend_from_slice(&DOS_TIME.to_le_bytes());
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        let (c32, u32_) = if zip64 { (U32_MAX as u32, U32_MAX as u32) } else { (comp as u32, uncomp as u32) };
        h.extend_from_slice(&c32.to_le_bytes());
        h.extend_from_slice(&u32_.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        if zip64 {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&uncomp.to_le_bytes());
            h.extend_from_slice(&comp.to_le_bytes());
        }
        self.put(&h)
    }

    /// Writes the central directory; returns the underlying writer and the archive's size.
    pub(crate) fn finish(mut self) -> std::io::Result<(W, u64)> {
        let cd_start = self.written;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let mut extra = Vec::new();
            if e.uncompressed >= U32_MAX {
                extra.extend_from_slice(&e.uncompressed.to_le_bytes());
            }
            if e.compressed >= U32_MAX {
                extra.extend_from_slice(&e.compressed.to_le_bytes());
            }
            if e.offset >= U32_MAX {
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            let zip64 = !extra.is_empty();
            let mut h = Vec::with_capacity(46 + e.name.len() + 4 + extra.len());
            h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            let version = if zip64 || e.zip64_local { 45u16 } else { 20 };
            h.extend_from_slice(&version.to_le_bytes()); // made by (MS-DOS attributes)
            h.extend_from_slice(&version.to_le_bytes()); // needed to extract
            h.extend_from_slice(&((if e.descriptor { 1u16 << 3 } else { 0 }) | 1 << 11).to_le_bytes());
            h.extend_from_slice(&e.method.to_le_bytes());
            h.extend_from_slice(&DOS_TIME.to_le_bytes());
            h.extend_from_slice(&DOS_DATE.to_le_bytes());
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&(e.compressed.min(U32_MAX) as u32).to_le_bytes());
            h.extend_from_slice(&(e.uncompressed.min(U32_MAX) as u32).to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&(if zip64 { extra.len() as u16 + 4 } else { 0 }).to_le_bytes());
            h.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
            h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            h.extend_from_slice(&(e.offset.min(U32_MAX) as u32).to_le_bytes());
            h.extend_from_slice(e.name.as_bytes());
            if zip64 {
                h.extend_from_slice(&1u16.to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                h.extend_from_slice(&extra);
            }
            self.put(&h)?;
        }
        let cd_len = self.written - cd_start;
        let count = entries.len() as u64;
        if cd_start >= U32_MAX || cd_len >= U32_MAX || count >= 0xFFFF {
            let eocd64 = self.written;
            let mut z = Vec::with_capacity(76);
            z.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            z.extend_from_slice(&44u64.to_le_bytes());
            z.extend_from_slice(&45u16.to_le_bytes());
            z.extend_from_slice(&45u16.to_le_bytes());
            z.extend_from_slice(&[0; 8]); // this disk, disk with the directory
            z.extend_from_slice(&count.to_le_bytes());
            z.extend_from_slice(&count.to_le_bytes());
            z.extend_from_slice(&cd_len.to_le_bytes());
            z.extend_from_slice(&cd_start.to_le_bytes());
            z.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            z.extend_from_slice(&0u32.to_le_bytes());
            z.extend_from_slice(&eocd64.to_le_bytes());
            z.extend_from_slice(&1u32.to_le_bytes());
            self.put(&z)?;
        }
        let mut z = Vec::with_capacity(22);
        z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        z.extend_from_slice(&[0; 4]);
        z.extend_from_slice(&(count.min(0xFFFF) as u16).to_le_bytes());
        z.extend_from_slice(&(count.min(0xFFFF) as u16).to_le_bytes());
        z.extend_from_slice(&(cd_len.min(U32_MAX) as u32).to_le_bytes());
        z.extend_from_slice(&(cd_start.min(U32_MAX) as u32).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        self.put(&z)?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

/// The bytes of the entry begun by [`ZipWriter::start`] (deflated, or stored as they are).
impl<W: Write> Write for ZipWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Writes a ZIP archive of `entries` (name, reader, size), storing each as it is: for
/// files that are compressed already, such as 3MF packages. Every entry streams through a
/// bounded buffer. Names that repeat get `-2`, `-3`... before their extension. Returns the
/// archive's size.
pub fn write_zip<W: Write, R: Read>(
    out: W,
    entries: impl IntoIterator<Item = (String, R, u64)>,
) -> crate::error::Result<u64> {
    let mut zip = ZipWriter::new(out);
    let mut names = std::collections::HashSet::new();
    let mut buf = vec![0u8; 1 << 20];
    for (name, mut reader, size) in entries {
        let name = unique_name(&name, |n| names.contains(n));
        names.insert(name.clone());
        zip.start(&name, size >= U32_MAX / 2, STORED)?;
        let (mut crc, mut total) = (crc32fast::Hasher::new(), 0u64);
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            crc.update(&buf[..n]);
            total += n as u64;
            zip.write_all(&buf[..n])?;
        }
        zip.finish_entry(crc.finalize(), total)?;
    }
    Ok(zip.finish()?.1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn zip64_entries_and_plain_entries_read_back() {
        let data = b"model bytes ".repeat(1000);
        let mut zip = ZipWriter::new(Vec::new());
        zip.add("small.txt", b"hello", 6).unwrap();
        zip.start("big.model", true, DEFLATED).unwrap();
        zip.write_all(&compress_all(&data, 1)).unwrap();
        zip.finish_entry(crc32fast::hash(&data), data.len() as u64).unwrap();
        let (bytes, size) = zip.finish().unwrap();
        assert_eq!(size, bytes.len() as u64);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut back = Vec::new();
        archive.by_name("big.model").unwrap().read_to_end(&mut back).unwrap();
        assert!(back == data);
        let mut small = String::new();
        archive.by_name("small.txt").unwrap().read_to_string(&mut small).unwrap();
        assert_eq!(small, "hello");
    }

    #[test]
    fn stored_archive_keeps_files_byte_for_byte_and_renames_repeats() {
        let a = b"PK\x03\x04 pretend 3mf".to_vec();
        let b = vec![7u8; 3_000_000];
        let entries = vec![
            ("part.3mf".to_string(), &a[..], a.len() as u64),
            ("big.3mf".to_string(), &b[..], b.len() as u64),
            ("part.3mf".to_string(), &a[..], a.len() as u64),
        ];
        let mut out = Vec::new();
        let size = write_zip(&mut out, entries).unwrap();
        assert_eq!(size, out.len() as u64);
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
        let names: Vec<String> =
            (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names, ["part.3mf", "big.3mf", "part-2.3mf"]);
        let mut back = Vec::new();
        let mut big = archive.by_name("big.3mf").unwrap();
        assert_eq!(big.compression(), zip::CompressionMethod::Stored);
        big.read_to_end(&mut back).unwrap();
        assert!(back == b);
    }
}
