//! Zip archives as inputs: listed with limits (entry count, total size) so a zip bomb is
//! refused before anything is unpacked, and read with the declared size enforced while
//! streaming.

use std::io::{Read, Seek};

use crate::error::{Error, Position, Result};
use crate::models::{Root, SourceFile};

/// How much an archive may hold. Defaults suit real releases; raise them for huge ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries.
    pub max_entries: usize,
    /// Most bytes of all entries together, uncompressed.
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits { max_entries: 50_000, max_total_bytes: 16 << 30 }
    }
}

/// Opens the zip archive `name` and lists its files as a root, refusing archives over
/// `limits` by their declared sizes.
pub fn list_zip<R: Read + Seek>(name: &str, reader: R, limits: &ArchiveLimits) -> Result<(Root, zip::ZipArchive<R>)> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| Error::unsupported(format!("{name}: not a readable zip archive ({e})")))?;
    if archive.len() > limits.max_entries {
        return Err(Error::limit(
            Position::Whole,
            format!("{name}: {} entries, more than the limit of {}; raise it to read this archive", archive.len(), limits.max_entries),
        ));
    }
    let mut files = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let e = archive.by_index_raw(i).map_err(|e| Error::unsupported(format!("{name}: entry {i}: {e}")))?;
        if e.is_dir() {
            continue;
        }
        let path = e.name().map_err(|e| Error::unsupported(format!("{name}: entry {i}: {e}")))?.replace('\\', "/");
        total = total.saturating_add(e.size());
        if total > limits.max_total_bytes {
            return Err(Error::limit(
                Position::Whole,
                format!(
                    "{name}: unpacks to more than {} GiB (a zip bomb?); raise the archive size limit to read it",
                    limits.max_total_bytes >> 30
                ),
            ));
        }
        files.push(SourceFile { path, size: e.size() });
    }
    let root = Root { name: name.rsplit(['/', '\\']).next().unwrap_or(name).to_string(), files, loose: false };
    Ok((root, archive))
}

/// Hands the entry `path` of `archive` to `consume`, refusing to deliver more bytes than
/// the entry declares (a lying header is how zip bombs slip past size checks).
pub fn read_entry<R: Read + Seek, T>(
    archive: &mut zip::ZipArchive<R>,
    path: &str,
    consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T>,
) -> Result<T> {
    let mut entry = archive.by_name(path).map_err(|e| Error::from(std::io::Error::other(format!("{path}: {e}"))))?;
    let declared = entry.size();
    let mut bounded = Bounded { inner: &mut entry, left: declared, path };
    consume(&mut bounded, Some(declared))
}

struct Bounded<'a, R> {
    inner: R,
    left: u64,
    path: &'a str,
}

impl<R: Read> Read for Bounded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One more byte means the data runs past its declared size.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(format!("{}: holds more data than its declared size: a damaged or hostile archive", self.path))),
            };
        }
        let cap = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..cap])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
            for (name, data) in entries {
                z.start_file(*name, opts).unwrap();
                z.write_all(data).unwrap();
            }
            z.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn listing_and_reading_entries() {
        let bytes = zip_with(&[("a/b.stl", b"solid"), ("c.txt", b"hello")]);
        let (root, mut archive) = list_zip("x.zip", std::io::Cursor::new(bytes), &ArchiveLimits::default()).unwrap();
        assert_eq!(root.files.iter().map(|f| (f.path.as_str(), f.size)).collect::<Vec<_>>(), [("a/b.stl", 5), ("c.txt", 5)]);
        let text = read_entry(&mut archive, "c.txt", |r, size| {
            let mut s = String::new();
            r.read_to_string(&mut s)?;
            Ok((s, size))
        })
        .unwrap();
        assert_eq!(text, ("hello".to_string(), Some(5)));
    }

    #[test]
    fn a_zip_bomb_is_refused_by_its_declared_size() {
        // 64 MiB of zeros deflate to a few dozen KiB; the limit here is 16 MiB.
        let zeros = vec![0u8; 64 << 20];
        let bytes = zip_with(&[("bomb.stl", &zeros)]);
        assert!(bytes.len() < 1 << 20);
        let limits = ArchiveLimits { max_total_bytes: 16 << 20, ..ArchiveLimits::default() };
        let e = list_zip("bomb.zip", std::io::Cursor::new(bytes), &limits).unwrap_err();
        assert_eq!(e.code(), "limit");
        assert!(e.to_string().contains("zip bomb"), "{e}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let entries: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}.txt"), vec![b'x'])).collect();
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let limits = ArchiveLimits { max_entries: 10, ..ArchiveLimits::default() };
        let e = list_zip("many.zip", std::io::Cursor::new(zip_with(&refs)), &limits).unwrap_err();
        assert!(e.to_string().contains("20 entries"), "{e}");
    }

    #[test]
    fn an_entry_longer_than_declared_is_an_error() {
        let mut r = Bounded { inner: &b"0123456789"[..], left: 4, path: "liar.stl" };
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert!(e.to_string().contains("more data than its declared size"), "{e}");
        assert_eq!(out, b"0123");
    }
}
