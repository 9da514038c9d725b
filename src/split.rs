//! Writing one package in two places: the head here, the model XML's chunks elsewhere
//! (another worker, as the browser does for big files), then the end here again.

use std::io::{Read, Write};
use std::sync::mpsc::SyncSender;

use crate::convert::gather;
use crate::error::Result;
use crate::mesh::Mesh;
use crate::options::Options;
use crate::read::{read_input, read_input_sealing, Input};
use crate::report::Report;
use crate::write::{write_3mf_head, ModelChunks, Sealed, SplitPackage};

/// Like [`convert`], with the model XML compressed elsewhere: reads every input (sending
/// the chunks that become final meanwhile to `sealed`, if given, as [`read_input_sealing`]
/// does) and writes the package's head (see [`write_3mf_head`]), unless nothing could be
/// written (then `Report::error` says why). Place the [`Split`]'s chunks after the head, in
/// order, and finish with [`SplitPackage::finish`] and [`Report::written`].
pub fn convert_split<R: Read, W: Write>(
    inputs: impl IntoIterator<Item = (String, R, Option<u64>)>,
    out: W,
    options: &Options,
    sealed: Option<SyncSender<Sealed>>,
) -> (Report, Option<Split<W>>) {
    let read = inputs.into_iter().map(|(name, reader, size)| {
        let input = match &sealed {
            Some(tx) => read_input_sealing(&name, reader, size, options, tx.clone()),
            None => read_input(&name, reader, size, options),
        };
        (name, input)
    });
    split_inputs(read, out, options)
}

/// [`convert_split`] for inputs already read (each with its name, or the error reading it
/// gave), as a [`BinaryStlFeed`] reads them.
pub fn split_inputs<W: Write>(
    inputs: impl IntoIterator<Item = (String, Result<Input>)>,
    out: W,
    options: &Options,
) -> (Report, Option<Split<W>>) {
    let (mut report, read) = gather(inputs);
    let serials = read.iter().flat_map(|i| i.serials.iter().copied()).collect();
    let meshes: Vec<Mesh> = read.into_iter().flat_map(|i| i.meshes).collect();
    let refs: Vec<&Mesh> = meshes.iter().collect();
    // The chunks first: they refuse what cannot be written before the head is.
    let head = |chunks| Ok((chunks, write_3mf_head(out, &refs, None, options)?));
    match ModelChunks::new(&refs, options).and_then(head) {
        Ok((chunks, package)) => (report, Some(Split { package, meshes, chunks, serials })),
        Err(e) => {
            report.error = Some((&e).into());
            (report, None)
        }
    }
}

/// A package whose head is written (see [`convert_split`]): its meshes and the chunks of
/// model XML left to place after the head.
pub struct Split<W: Write> {
    /// The package, to finish once every chunk is placed (and its thumbnail drawn, when
    /// `Options::thumbnail` asks for one: see [`SplitPackage::draw_thumbnail`]).
    pub package: SplitPackage<W>,
    /// Every mesh of the package, in order.
    pub meshes: Vec<Mesh>,
    /// The model XML's chunks.
    pub chunks: ModelChunks,
    serials: Vec<u64>,
}

impl<W: Write> Split<W> {
    /// Which chunk a chunk sealed while reading is (its bytes are then those of its
    /// [`Elements::compress`]), or `None` if its mesh was left out.
    pub fn chunk_of(&self, sealed: &Sealed) -> Option<usize> {
        let mesh = self.serials.iter().position(|&s| s == sealed.serial)?;
        self.chunks.sealed((mesh, sealed.elements.is_triangles(), sealed.k))
    }
}
