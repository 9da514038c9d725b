//! The Manyfold layer, on top of the converter: downloads (folders, zip and 7z archives) into
//! model folders that Manyfold imports with their metadata.
//!
//! [`roots`] groups dropped inputs, [`archive`] lists and opens archives with limits, [`plan`]
//! groups their files into models, [`edit`] applies the user's changes to that plan,
//! [`meta`] holds each model's metadata with its sources, [`gather`] fills it from the files
//! (with [`readme`] for the texts), [`package`] makes the model's [`datapackage`] from it with
//! only values Manyfold accepts, [`crate::write::thumbnail`] renders a picture for a model without one, and
//! [`folder`] writes each model through a [`folder::Sink`], naming and placing its files by
//! Manyfold's rules ([`names`], [`placement`]).

pub mod archive;
pub mod datapackage;
pub mod edit;
pub mod folder;
pub mod gather;
pub mod meta;
pub mod names;
pub mod package;
pub mod placement;
pub mod plan;
pub mod readme;
pub mod roots;
