//! Archives as inputs: zip (and 7z with the `sevenz` feature), listed with limits (entry
//! count, total size) so a bomb is refused before anything is unpacked, read with each
//! entry's declared size enforced while streaming, and archives inside archives opened too.

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};

use super::plan::{Root, SourceFile};
use crate::error::{Error, Position, Result};
use crate::name::unique_name;

/// How much an archive may hold. Defaults suit real releases; raise them for huge ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most entries, nested archives' included.
    pub max_entries: usize,
    /// Most bytes of all entries together, uncompressed, nested archives' included.
    pub max_total_bytes: u64,
    /// Deepest nesting of archives opened (a zip in a zip is depth 1); deeper ones are kept
    /// as files, with a warning.
    pub max_depth: usize,
    /// Most bytes of nested archives held in memory to be read; larger ones are kept as files.
    pub max_nested_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> ArchiveLimits {
        ArchiveLimits { max_entries: 50_000, max_total_bytes: 16 << 30, max_depth: 4, max_nested_bytes: 1 << 30 }
    }
}

/// An open zip archive, with the zips found inside it (to `max_depth`) opened too: their
/// files appear in the root under a folder named after the inner archive.
#[derive(Debug)]
pub struct Archive<R> {
    outer: Store<R>,
    /// Nested archives, held in memory, by the folder their files appear under (`a/b/`).
    nested: Vec<(String, Store<Cursor<Vec<u8>>>)>,
    /// What the user should know: archives not opened, and why.
    pub warnings: Vec<String>,
}

/// Where an archive's files are read from.
#[derive(Debug)]
enum Store<R> {
    /// A zip, read entry by entry.
    Zip(Listed<R>),
    /// Files unpacked into memory (a 7z: its solid blocks cannot be read file by file).
    #[cfg_attr(not(feature = "sevenz"), allow(dead_code))]
    Memory(Vec<(String, Vec<u8>)>),
}

/// A zip and where each listed path is in it: names are listed `/`-separated, and a name
/// that repeats is listed with a suffix, so entries are found by index, never by name.
#[derive(Debug)]
struct Listed<R> {
    zip: zip::ZipArchive<R>,
    index: HashMap<String, usize>,
}

/// Opens the archive `name` (zip, or 7z with the `sevenz` feature) and lists its files as a
/// root, nested archives included, refusing archives over `limits` by their declared sizes.
pub fn list_archive<R: Read + Seek>(name: &str, reader: R, limits: &ArchiveLimits) -> Result<(Root, Archive<R>)> {
    let mut count = Count { entries: 0, dirs: 0, bytes: 0, nested_bytes: 0, limits, name };
    let mut outer = Store::open(name, reader, &mut count)?;
    let mut queue = vec![(String::new(), outer.files(), 0usize)];
    let mut archive = Archive { outer, nested: Vec::new(), warnings: Vec::new() };
    let mut files = Vec::new();
    // (prefix, files, depth): the outer archive first, nested ones as they are found.
    while let Some((prefix, listed, depth)) = queue.pop() {
        let paths: Vec<String> = listed.iter().map(|f| format!("{prefix}{}", f.path)).collect();
        for file in listed {
            let path = format!("{prefix}{}", file.path);
            let Some(ext) = archive_extension(&path).filter(|_| !super::plan::ignored(&path)) else {
                files.push(SourceFile { path, size: file.size });
                continue;
            };
            // `gear.zip` shows as the folder `gear/`, unless that folder exists beside it.
            let mut folder = format!("{}/", &path[..path.len() - ext.len()]);
            if paths.iter().any(|p| p.starts_with(&folder)) {
                folder = format!("{path}/");
            }
            let why_not = if depth >= limits.max_depth {
                Some(format!("archives nested more than {} deep", limits.max_depth))
            } else if count.nested_bytes.saturating_add(file.size) > limits.max_nested_bytes {
                Some(format!("nested archives over {} in all", size_text(limits.max_nested_bytes)))
            } else {
                None
            };
            let opened = match why_not {
                Some(why) => Err(why),
                // Past a limit, the whole archive is refused (a bomb stays a bomb one level
                // down); an inner archive that cannot be read is kept as a file.
                None => match archive.open_nested(&path, file.size, &mut count) {
                    Err(e) if e.code() == "limit" => return Err(e),
                    other => other.map_err(|e| e.to_string()),
                },
            };
            match opened {
                Ok(mut inner) => {
                    queue.push((folder.clone(), inner.files(), depth + 1));
                    archive.nested.push((folder, inner));
                }
                Err(why) => {
                    archive.warnings.push(format!("{name}: {path} is kept as a file, not opened: {why}"));
                    files.push(SourceFile { path, size: file.size });
                }
            }
        }
    }
    if files.is_empty() {
        let what = match count.dirs {
            0 => "nothing at all".to_string(),
            1 => "only an empty folder".to_string(),
            n => format!("only {n} empty folders"),
        };
        return Err(Error::no_geometry(format!(
            "{name}: the archive holds no files ({what}): there is nothing to make a model of; check that this is \
             the archive you meant, or that it was not damaged when it was made or downloaded"
        )));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let root = Root { name: name.rsplit(['/', '\\']).next().unwrap_or(name).to_string(), files, loose: false };
    Ok((root, archive))
}

/// Running totals of a listing against the limits.
struct Count<'a> {
    entries: usize,
    /// Directory entries (not files), to say what an archive without files holds.
    dirs: usize,
    bytes: u64,
    nested_bytes: u64,
    limits: &'a ArchiveLimits,
    name: &'a str,
}

impl<R: Read + Seek> Listed<R> {
    /// Lists the files of `zip` (directories left out), counted against the limits.
    fn new(mut zip: zip::ZipArchive<R>, count: &mut Count) -> Result<Listed<R>> {
        let (name, limits) = (count.name, count.limits);
        count.entries += zip.len();
        if count.entries > limits.max_entries {
            return Err(Error::limit(
                Position::Whole,
                format!(
                    "{name}: {} entries, more than the limit of {}; raise it to read this archive",
                    count.entries, limits.max_entries
                ),
            ));
        }
        let mut index = HashMap::new();
        for i in 0..zip.len() {
            let e = zip.by_index_raw(i).map_err(|e| Error::unsupported(format!("{name}: entry {i}: {e}")))?;
            if e.is_dir() {
                count.dirs += 1;
                continue;
            }
            count.bytes = count.bytes.saturating_add(e.size());
            if count.bytes > limits.max_total_bytes {
                return Err(Error::limit(
                    Position::Whole,
                    format!(
                        "{name}: unpacks to more than {} (a zip bomb?); raise the archive size limit to read it",
                        size_text(limits.max_total_bytes)
                    ),
                ));
            }
            let raw = e.name().map_err(|e| Error::unsupported(format!("{name}: entry {i}: {e}")))?.replace('\\', "/");
            index.insert(unique_name(&raw, |p| index.contains_key(p)), i);
        }
        Ok(Listed { zip, index })
    }

    fn files(&mut self) -> Vec<SourceFile> {
        let mut files: Vec<SourceFile> = self
            .index
            .iter()
            .map(|(path, &i)| SourceFile { path: path.clone(), size: self.zip.by_index_raw(i).map_or(0, |e| e.size()) })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    /// Hands the entry listed as `path` to `consume`, refusing to deliver more bytes than
    /// it declares (a lying header is how zip bombs slip past size checks).
    fn read<T>(
        &mut self,
        path: &str,
        shown: &str,
        consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T>,
    ) -> Result<T> {
        let missing = || Error::from(std::io::Error::other(format!("{shown}: not in the archive")));
        let i = *self.index.get(path).ok_or_else(missing)?;
        let mut entry =
            self.zip.by_index(i).map_err(|e| Error::from(std::io::Error::other(format!("{shown}: {e}"))))?;
        let declared = entry.size();
        let mut bounded = Bounded { inner: &mut entry, left: declared, path: shown };
        consume(&mut bounded, Some(declared))
    }
}

impl<R: Read + Seek> Archive<R> {
    /// Reads the nested archive at `path` into memory and opens it.
    fn open_nested(&mut self, path: &str, size: u64, count: &mut Count) -> Result<Store<Cursor<Vec<u8>>>> {
        count.nested_bytes += size;
        let bytes = self.read(path, |r, _| {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes)?;
            Ok(bytes)
        })?;
        Store::open(path, Cursor::new(bytes), count)
    }

    /// Hands the file at `path` (as listed in the root) to `consume`, refusing to deliver
    /// more bytes than its entry declares.
    pub fn read<T>(&mut self, path: &str, consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T>) -> Result<T> {
        // The deepest nested archive whose folder holds the path.
        let nested = self
            .nested
            .iter_mut()
            .filter(|(folder, _)| path.starts_with(folder.as_str()))
            .max_by_key(|(folder, _)| folder.len());
        match nested {
            Some((folder, inner)) => inner.read(&path[folder.len()..], path, consume),
            None => self.outer.read(path, path, consume),
        }
    }
}

/// A limit in words: `16 GiB`, `512 MiB`.
fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes % (1 << 30) == 0 {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

/// The extension of a path that names an archive this build opens (`.zip`, `.7z`).
fn archive_extension(path: &str) -> Option<&'static str> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        Some(".zip")
    } else if cfg!(feature = "sevenz") && lower.ends_with(".7z") {
        Some(".7z")
    } else {
        None
    }
}

impl<R: Read + Seek> Store<R> {
    /// Opens an archive by its content: a 7z by its signature, a zip otherwise.
    fn open(name: &str, mut reader: R, count: &mut Count) -> Result<Store<R>> {
        let mut magic = [0u8; 6];
        let got = reader.read(&mut magic)?;
        reader.seek(std::io::SeekFrom::Start(0))?;
        if got == 6 && magic == *b"7z\xbc\xaf\x27\x1c" {
            return seven_zip(name, reader, count);
        }
        let zip = zip::ZipArchive::new(reader)
            .map_err(|e| Error::unsupported(format!("{name}: not a readable zip archive ({e})")))?;
        Ok(Store::Zip(Listed::new(zip, count)?))
    }

    fn files(&mut self) -> Vec<SourceFile> {
        match self {
            Store::Zip(listed) => listed.files(),
            Store::Memory(files) => {
                files.iter().map(|(path, bytes)| SourceFile { path: path.clone(), size: bytes.len() as u64 }).collect()
            }
        }
    }

    fn read<T>(
        &mut self,
        path: &str,
        shown: &str,
        consume: impl FnOnce(&mut dyn Read, Option<u64>) -> Result<T>,
    ) -> Result<T> {
        match self {
            Store::Zip(listed) => listed.read(path, shown, consume),
            Store::Memory(files) => {
                let (_, bytes) = files
                    .iter()
                    .find(|(p, _)| p == path)
                    .ok_or_else(|| Error::from(std::io::Error::other(format!("{shown}: not in the archive"))))?;
                consume(&mut &bytes[..], Some(bytes.len() as u64))
            }
        }
    }
}

/// A 7z archive, unpacked into memory within the limits (held like a nested archive).
#[cfg(feature = "sevenz")]
fn seven_zip<R: Read + Seek>(name: &str, reader: R, count: &mut Count) -> Result<Store<R>> {
    use sevenz_rust2::{ArchiveReader, Password};
    let limits = count.limits;
    let failed = |e: sevenz_rust2::Error| match e {
        sevenz_rust2::Error::PasswordRequired | sevenz_rust2::Error::MaybeBadPassword(_) => {
            Error::unsupported(format!("{name}: a password-protected 7z archive: extract it first"))
        }
        e => Error::unsupported(format!("{name}: not a readable 7z archive ({e})")),
    };
    // Decoder dictionaries are capped too: a header may ask for gigabytes.
    let mut reader = ArchiveReader::new_with_memory_limit(reader, Password::empty(), 256 << 10).map_err(failed)?;
    let entries: Vec<(String, u64)> = reader
        .archive()
        .files
        .iter()
        .filter(|e| e.has_stream && !e.is_directory)
        .map(|e| (e.name.replace('\\', "/"), e.size))
        .collect();
    count.entries += entries.len();
    count.dirs += reader.archive().files.iter().filter(|e| e.is_directory).count();
    let declared: u64 = entries.iter().map(|(_, size)| size).fold(0, |a, b| a.saturating_add(*b));
    count.bytes = count.bytes.saturating_add(declared);
    count.nested_bytes = count.nested_bytes.saturating_add(declared);
    if count.entries > limits.max_entries {
        return Err(Error::limit(
            Position::Whole,
            format!(
                "{name}: {} entries, more than the limit of {}; raise it to read this archive",
                count.entries, limits.max_entries
            ),
        ));
    }
    if count.bytes > limits.max_total_bytes {
        return Err(Error::limit(
            Position::Whole,
            format!(
                "{name}: unpacks to more than {} (a bomb?); raise the archive size limit to read it",
                size_text(limits.max_total_bytes)
            ),
        ));
    }
    if count.nested_bytes > limits.max_nested_bytes {
        return Err(Error::limit(
            Position::Whole,
            format!(
                "{name}: a 7z archive is unpacked in memory and this one holds more than {}: extract it first",
                size_text(limits.max_nested_bytes)
            ),
        ));
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    reader
        .for_each_entries(|entry, data| {
            if entry.has_stream && !entry.is_directory {
                let mut bytes = Vec::new();
                data.take(entry.size.saturating_add(1)).read_to_end(&mut bytes)?;
                if bytes.len() as u64 > entry.size {
                    return Err(std::io::Error::other(format!(
                        "{}: holds more data than its declared size",
                        entry.name
                    ))
                    .into());
                }
                files.push((entry.name.replace('\\', "/"), bytes));
            }
            Ok(true)
        })
        .map_err(failed)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|b, a| a.0 == b.0);
    Ok(Store::Memory(files))
}

#[cfg(not(feature = "sevenz"))]
fn seven_zip<R: Read + Seek>(name: &str, _: R, _: &mut Count) -> Result<Store<R>> {
    Err(Error::unsupported(format!("{name}: this is a 7-Zip archive, not read by this build: extract it first")))
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
                _ => Err(std::io::Error::other(format!(
                    "{}: holds more data than its declared size: a damaged or hostile archive",
                    self.path
                ))),
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
        let (root, mut archive) =
            list_archive("x.zip", std::io::Cursor::new(bytes), &ArchiveLimits::default()).unwrap();
        assert_eq!(
            root.files.iter().map(|f| (f.path.as_str(), f.size)).collect::<Vec<_>>(),
            [("a/b.stl", 5), ("c.txt", 5)]
        );
        let text = archive
            .read("c.txt", |r, size| {
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
        let e = list_archive("bomb.zip", std::io::Cursor::new(bytes), &limits).unwrap_err();
        assert_eq!(e.code(), "limit");
        assert!(e.to_string().contains("zip bomb"), "{e}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let entries: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}.txt"), vec![b'x'])).collect();
        let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect();
        let limits = ArchiveLimits { max_entries: 10, ..ArchiveLimits::default() };
        let e = list_archive("many.zip", std::io::Cursor::new(zip_with(&refs)), &limits).unwrap_err();
        assert!(e.to_string().contains("20 entries"), "{e}");
    }

    #[test]
    fn nested_zips_are_opened_as_folders_to_the_depth_limit() {
        // 20 levels: level k holds `part{k}.stl` and `level{k+1}.zip`.
        let mut inner = zip_with(&[("part20.stl", b"solid 20")]);
        for k in (0..20).rev() {
            let stl = format!("solid {k}");
            inner = zip_with(&[(&format!("part{k}.stl"), stl.as_bytes()), (&format!("level{}.zip", k + 1), &inner)]);
        }
        let (root, mut archive) =
            list_archive("deep.zip", std::io::Cursor::new(inner), &ArchiveLimits::default()).unwrap();
        let paths: Vec<&str> = root.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "level1.zip",
                "level1/level2.zip",
                "level1/level2/level3.zip",
                "level1/level2/level3/level4.zip",
                "level1/level2/level3/level4/level5.zip",
                "level1/level2/level3/level4/part4.stl",
                "level1/level2/level3/part3.stl",
                "level1/level2/part2.stl",
                "level1/part1.stl",
                "part0.stl",
            ][..]
                .iter()
                .copied()
                .filter(|p| !p.ends_with(".zip") || p.ends_with("level5.zip"))
                .collect::<Vec<_>>()
        );
        assert_eq!(archive.warnings.len(), 1);
        assert!(
            archive.warnings[0].contains("level5.zip is kept as a file, not opened: archives nested more than 4 deep"),
            "{:?}",
            archive.warnings
        );
        let read = |archive: &mut Archive<_>, p: &str| {
            archive.read(p, |r, _| {
                let mut s = Vec::new();
                r.read_to_end(&mut s)?;
                Ok(s)
            })
        };
        assert_eq!(read(&mut archive, "level1/level2/level3/level4/part4.stl").unwrap(), b"solid 4");
        assert_eq!(read(&mut archive, "part0.stl").unwrap(), b"solid 0");
        assert!(read(&mut archive, "level1/level2/level3/level4/level5.zip").unwrap().starts_with(b"PK"));
    }

    #[test]
    fn a_nested_zip_beside_a_folder_of_its_name_keeps_its_extension_and_bombs_inside_count() {
        let inner = zip_with(&[("a.stl", b"solid a")]);
        let outer = zip_with(&[("gear/readme.txt", b"hi"), ("gear.zip", &inner)]);
        let (root, mut archive) =
            list_archive("x.zip", std::io::Cursor::new(outer), &ArchiveLimits::default()).unwrap();
        let paths: Vec<&str> = root.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["gear.zip/a.stl", "gear/readme.txt"]);
        assert_eq!(archive.read("gear/readme.txt", |r, _| Ok(std::io::read_to_string(r)?)).unwrap(), "hi");
        // A bomb inside a nested archive counts against the same limit.
        let bomb = zip_with(&[("zeros.bin", &vec![0u8; 32 << 20])]);
        let outer = zip_with(&[("inner.zip", &bomb)]);
        let limits = ArchiveLimits { max_total_bytes: 16 << 20, ..ArchiveLimits::default() };
        let e = list_archive("x.zip", std::io::Cursor::new(outer), &limits).unwrap_err();
        assert!(e.to_string().contains("zip bomb"), "{e}");
    }

    #[test]
    fn backslashed_and_repeated_names_are_listed_apart_and_read_by_index() {
        let bytes = zip_with(&[("C:\\Windows\\win.txt", b"one"), ("a/b.txt", b"two"), ("a\\b.txt", b"three")]);
        let (root, mut archive) =
            list_archive("x.zip", std::io::Cursor::new(bytes), &ArchiveLimits::default()).unwrap();
        let paths: Vec<&str> = root.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["C:/Windows/win.txt", "a/b-2.txt", "a/b.txt"]);
        for (path, want) in [("C:/Windows/win.txt", "one"), ("a/b.txt", "two"), ("a/b-2.txt", "three")] {
            assert_eq!(archive.read(path, |r, _| Ok(std::io::read_to_string(r)?)).unwrap(), want);
        }
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
