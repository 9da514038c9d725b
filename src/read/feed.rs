//! A binary STL handed over in pieces, as a browser's `File` stream gives them.

use std::sync::mpsc::SyncSender;

use super::format::Format;
use super::reading::{Input, Reading};
use super::sniff::{is_binary_stl, misnamed, sniff, HEAD};
use super::stl::Records;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::write::chunk::{EarlyChunks, Sealed};

/// Reads a binary STL handed over in pieces (as a browser's `File` stream gives them), with
/// the results [`read_input`](super::read_input) gives for the whole file; the chunks that become final go to
/// `sealed`, if given, as [`read_input_sealing`](super::read_input_sealing) sends them. Give it only files that
/// [`is_binary_stl`] says are binary STLs: others are refused.
pub struct BinaryStlFeed {
    reading: Reading,
    /// The first bytes, until there are enough to know the format.
    head: Vec<u8>,
    records: Option<Records>,
    count: u64,
}

impl BinaryStlFeed {
    /// A feed for the file `name`, of `size_hint` bytes if known (only to size allocations
    /// and to check the header's triangle count, as in [`read_input`](super::read_input)).
    pub fn new(
        name: &str,
        size_hint: Option<u64>,
        options: &Options,
        sealed: Option<SyncSender<Sealed>>,
    ) -> BinaryStlFeed {
        let mut reading = Reading::new(name, Format::BinaryStl, size_hint, options);
        reading.early = sealed;
        BinaryStlFeed { reading, head: Vec::new(), records: None, count: 0 }
    }

    /// Reads the next piece of the file. After an error the feed is of no more use.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.count += bytes.len() as u64;
        if self.records.is_none() {
            let n = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.head.len() < HEAD {
                return Ok(());
            }
            self.start()?;
        }
        match &mut self.records {
            Some(records) => records.feed(bytes, &mut self.reading).map_err(|e| misnamed(&self.reading.report.name, e)),
            None => unreachable!("started above"),
        }
    }

    /// Reads the head once it is known to be a binary STL's.
    fn start(&mut self) -> Result<()> {
        if !is_binary_stl(&self.head) {
            sniff(&self.head)?;
            return Err(Error::unsupported("not a binary STL: read it whole instead"));
        }
        let head = std::mem::take(&mut self.head);
        let name = self.reading.report.name.clone();
        let mut records =
            Records::start(&head[..head.len().min(84)], &mut self.reading).map_err(|e| misnamed(&name, e))?;
        records.feed(&head[84..], &mut self.reading).map_err(|e| misnamed(&name, e))?;
        self.records = Some(records);
        Ok(())
    }

    /// Ends the file: its meshes and report, or the error [`read_input`](super::read_input) gives.
    pub fn finish(mut self) -> Result<Input> {
        if self.records.is_none() {
            self.start()?;
        }
        let records = self.records.take().expect("started above");
        records.finish(&mut self.reading).map_err(|e| misnamed(&self.reading.report.name, e))?;
        self.reading.early = None;
        self.reading.finish(self.count, EarlyChunks::default())
    }
}
