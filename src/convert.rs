//! Converting inputs into one package: read each, report each, write those that were read.

use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::options::Options;
use crate::read::{read_input, Input};
use crate::report::{InputReport, PackageStats, Report};
use crate::write::write_3mf;

/// Reads every input and writes the meshes of those that could be read into one package.
/// An input that fails is reported and left out; the others are still written. When no
/// package could be written, `Report::error` says why and `out` may hold a partial package
/// (write to a temporary file and keep it only when the report has no error).
pub fn convert<R: Read, W: Write>(
    inputs: impl IntoIterator<Item = (String, R, Option<u64>)>,
    out: W,
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Report {
    let read = inputs.into_iter().map(|(name, reader, size)| {
        let input = read_input(&name, reader, size, options);
        (name, input)
    });
    let (mut report, read) = gather(read);
    let options = &with_own_metadata(options, &read.iter().collect::<Vec<_>>());
    let meshes: Vec<&Mesh> = read.iter().flat_map(|i| i.meshes.iter()).collect();
    match write_3mf(out, &meshes, None, options, progress) {
        Ok(stats) => report.written(stats),
        Err(e) => report.error = Some((&e).into()),
    }
    report
}

/// Writes the meshes of `inputs` as [`write_3mf`] does, the same bytes, taking the chunks
/// of model XML that [`read_input_compressing`](crate::read_input_compressing) compressed
/// while reading instead of making them again.
pub fn write_3mf_inputs<W: Write>(
    out: W,
    inputs: &[&Input],
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    let meshes: Vec<&Mesh> = inputs.iter().flat_map(|i| i.meshes.iter()).collect();
    let owner: Vec<(usize, usize)> =
        inputs.iter().enumerate().flat_map(|(j, i)| (0..i.meshes.len()).map(move |m| (j, m))).collect();
    let level = options.compression_level.min(9);
    let early = |m: usize, key: (bool, usize)| {
        let (j, local) = owner[m];
        let early = &inputs[j].early;
        early.chunks.get(&(local, key.0, key.1)).filter(|_| early.level == level)
    };
    crate::write::write(out, &meshes, None, options, &early, progress)
}

/// `options` with the empty metadata fields filled from the one input's own (a 3MF's Title,
/// Designer...): a package made of one file keeps what that file said of itself.
pub fn with_own_metadata(options: &Options, inputs: &[&Input]) -> Options {
    let mut options = options.clone();
    if let [input] = inputs {
        options.metadata.fill_from(&input.metadata);
    }
    options
}

/// The reports of inputs read (or not), and those that were.
pub(crate) fn gather(inputs: impl IntoIterator<Item = (String, Result<Input>)>) -> (Report, Vec<Input>) {
    let mut report = Report::default();
    let mut read = Vec::new();
    for (name, input) in inputs {
        match input {
            Ok(input) => {
                report.inputs.push(input.report.clone());
                read.push(input);
            }
            Err(e) => report.inputs.push(failed_report(&name, &e)),
        }
    }
    (report, read)
}

/// The report for an input that could not be read.
pub fn failed_report(name: &str, error: &Error) -> InputReport {
    InputReport { name: name.to_string(), error: Some(error.into()), ..InputReport::default() }
}
