//! Outputs written under a dot-name in the output folder (which Manyfold ignores: its
//! default `model_ignored_files` skips any path component starting with `.`), then renamed
//! into place whole, never over an existing name: a clash gets `-2`, `-3`, ...

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use to3mf::manyfold::folder::Sink;
use to3mf::unique_name;

/// Writes each file of a model into a folder, each through a temporary file renamed into
/// place; with `durable`, each file is flushed to the disk first (so a power cut after the
/// folder is renamed cannot leave it holding empty or short files; [`sync_tree`] then
/// flushes the folders' entries once).
pub struct FolderSink {
    pub dir: PathBuf,
    pub durable: bool,
}

impl Sink for FolderSink {
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> to3mf::Result<()>) -> to3mf::Result<()> {
        let target = self.dir.join(path);
        let parent = target.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let tmp = tempfile::Builder::new().prefix(".to3mf-").tempfile_in(&parent)?;
        let mut w = std::io::BufWriter::new(tmp);
        write(&mut w)?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        if self.durable {
            tmp.as_file().sync_all()?;
        }
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Renames `from` to `dir/wanted`, or to the first free of `wanted-2`, `wanted-3`, ...
/// (numbered before the extension); returns the name it got. Never replaces anything.
pub fn place(from: &Path, dir: &Path, wanted: &str) -> std::io::Result<String> {
    loop {
        let name = free_name(dir, wanted, &[]);
        match rename_noreplace(from, &dir.join(&name)) {
            // Taken between the look and the rename (another writer): try the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            r => return r.map(|()| name),
        }
    }
}

/// `wanted`, or the first of `wanted-2`, `wanted-3`, ... neither in `dir` nor in `taken`.
pub fn free_name(dir: &Path, wanted: &str, taken: &[String]) -> String {
    unique_name(wanted, |c| taken.iter().any(|t| t == c) || dir.join(c).symlink_metadata().is_ok())
}

/// `rename`, failing with `AlreadyExists` instead of replacing `to` (a plain rename would
/// replace a file, or an empty folder).
pub fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
        let (f, t) = (c(from)?, c(to)?);
        // SAFETY: both are NUL-terminated paths that outlive the call. The raw syscall, since
        // musl's libc has no renameat2 wrapper.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                f.as_ptr(),
                libc::AT_FDCWD,
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        // Filesystems without the flag (some network mounts) fall through to look-then-rename.
        if !matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
            return Err(e);
        }
    }
    if to.symlink_metadata().is_ok() {
        return Err(std::io::ErrorKind::AlreadyExists.into());
    }
    std::fs::rename(from, to)
}

/// Flushes a folder's entries (names made, renamed or removed in it) to the disk.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Flushes the entries of `dir` and of every folder in it.
pub fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            sync_tree(&e.path())?;
        }
    }
    sync_dir(dir)
}

/// Removes a staged output (a folder or a file), if it is there.
pub fn remove(path: &Path) -> std::io::Result<()> {
    let r = match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}
