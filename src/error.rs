//! Errors with the position they happened at, so every surface can say where.

use std::fmt;

/// Where in an input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum Position {
    /// A 1-based line of a text file.
    Line(u64),
    /// A 1-based triangle (facet) of an STL file.
    Triangle(u64),
    /// A byte offset into the input.
    Byte(u64),
    /// A byte offset into an entry (part) of a zip or 3MF package.
    Entry {
        /// The entry's path in the package.
        entry: String,
        /// Offset into the entry's uncompressed bytes.
        byte: u64,
    },
    /// No particular place: the problem concerns the whole input.
    Whole,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Triangle(n) => write!(f, "triangle {n}"),
            Position::Byte(n) => write!(f, "byte {n}"),
            Position::Entry { entry, byte } => write!(f, "{entry}, byte {byte}"),
            Position::Whole => Ok(()),
        }
    }
}

/// An error from reading or writing, boxed to keep `Result` small (as rust-csv does).
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the input or writing the output failed.
    Io(std::io::Error),
    /// The input's content is malformed at `pos`.
    Syntax {
        /// Where.
        pos: Position,
        /// What is wrong, in words.
        message: String,
    },
    /// A coordinate is NaN or infinite.
    NonFinite {
        /// Where.
        pos: Position,
    },
    /// The input ends before the data it declares.
    Truncated {
        /// Where the data stops.
        pos: Position,
        /// What was expected.
        message: String,
    },
    /// The input is of a kind this tool does not read (with advice on what to do).
    Unsupported {
        /// What it looks like and what to do.
        message: String,
    },
    /// The input was read but holds no triangle that could be written.
    NoGeometry {
        /// Why nothing is left.
        message: String,
    },
    /// The input exceeds a configured limit.
    Limit {
        /// Where.
        pos: Position,
        /// Which limit, and how to raise it.
        message: String,
    },
    /// The options or inputs given to the library are inconsistent.
    Usage(String),
}

impl Error {
    /// Makes an error of the given kind.
    pub fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Where it went wrong, if the error has a place.
    pub fn position(&self) -> Position {
        match &*self.0 {
            ErrorKind::Syntax { pos, .. }
            | ErrorKind::NonFinite { pos }
            | ErrorKind::Truncated { pos, .. }
            | ErrorKind::Limit { pos, .. } => pos.clone(),
            _ => Position::Whole,
        }
    }

    /// A short machine-readable name of the kind, for reports.
    pub fn code(&self) -> &'static str {
        match &*self.0 {
            ErrorKind::Io(_) => "io",
            ErrorKind::Syntax { .. } => "syntax",
            ErrorKind::NonFinite { .. } => "non_finite",
            ErrorKind::Truncated { .. } => "truncated",
            ErrorKind::Unsupported { .. } => "unsupported",
            ErrorKind::NoGeometry { .. } => "no_geometry",
            ErrorKind::Limit { .. } => "limit",
            ErrorKind::Usage(_) => "usage",
        }
    }

    /// The message without the position.
    pub fn message(&self) -> String {
        match &*self.0 {
            ErrorKind::Io(e) => e.to_string(),
            ErrorKind::Syntax { message, .. }
            | ErrorKind::Truncated { message, .. }
            | ErrorKind::Unsupported { message }
            | ErrorKind::NoGeometry { message }
            | ErrorKind::Limit { message, .. }
            | ErrorKind::Usage(message) => message.clone(),
            ErrorKind::NonFinite { .. } => "coordinate is NaN or infinite".to_string(),
        }
    }

    pub(crate) fn syntax(pos: Position, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Syntax { pos, message: message.into() })
    }

    pub(crate) fn truncated(pos: Position, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Truncated { pos, message: message.into() })
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported { message: message.into() })
    }

    pub(crate) fn no_geometry(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::NoGeometry { message: message.into() })
    }

    pub(crate) fn limit(pos: Position, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Limit { pos, message: message.into() })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position() {
            Position::Whole => f.write_str(&self.message()),
            pos => write!(f, "{pos}: {}", self.message()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
