//! One error type for the whole crate.
//!
//! Messages say who complained, what was expected, what arrived and, where it
//! helps, what to do: "`n_samples` of swiss_roll must be ≥ 1; got 0".

use std::path::PathBuf;

/// Everything that can go wrong in `lowdim`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its valid range.
    #[error("`{name}` {message}")]
    Param { name: &'static str, message: String },

    /// The data handed in cannot be used as it is (shape, NaN/Inf, labels).
    #[error("invalid data: {0}")]
    Data(String),

    /// Reading or writing a file failed, or the file holds what cannot be read;
    /// `source` is the underlying error where there is one.
    #[error("{path}: {message}")]
    Io {
        path: PathBuf,
        message: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A broken internal invariant of lowdim: a bug, never the caller's input.
    /// Please report it with the message.
    #[error("internal error (a bug in lowdim; please report it): {0}")]
    Internal(String),

    /// An error raised by linfa.
    #[error(transparent)]
    Linfa(#[from] linfa::Error),

    /// Training stopped: the loss diverged, or the model failed on the data.
    #[error("training failed: {0}")]
    Training(String),

    /// The user interrupted the cell (Ctrl-C, or the stop button of a notebook);
    /// the message says what was running and what is kept.
    #[error("interrupted during {0}")]
    Interrupted(String),

    /// An error raised by libtorch.
    #[cfg(feature = "torch")]
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A parameter error: `Error::param("n_samples", format!("must be ≥ 1; got {n}"))`.
    pub fn param(name: &'static str, message: impl Into<String>) -> Self {
        Error::Param { name, message: message.into() }
    }

    /// A data error.
    pub fn data(message: impl Into<String>) -> Self {
        Error::Data(message.into())
    }

    /// A failed read or write of `path`, keeping the error that caused it.
    pub fn io(path: impl Into<PathBuf>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Io { path: path.into(), message: source.to_string(), source: Some(Box::new(source)) }
    }

    /// A file whose content cannot be used, naming the path and what is wrong.
    pub fn file_content(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Io { path: path.into(), message: message.into(), source: None }
    }

    /// A broken internal invariant (a bug), not bad input.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }
}

impl From<ndarray::ShapeError> for Error {
    /// Arrays whose shapes do not fit together (e.g. concatenating rows of different counts).
    fn from(e: ndarray::ShapeError) -> Self {
        Error::data(e.to_string())
    }
}

/// Fails unless every entry is finite, naming `what` and the first bad position.
pub fn check_finite<S, D>(what: &str, a: &ndarray::ArrayBase<S, D>) -> Result<()>
where
    S: ndarray::Data<Elem = f64>,
    D: ndarray::Dimension,
{
    match a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some((idx, v)) => {
            Err(Error::data(format!("{what} holds a non-finite value {v} at index {:?}; remove or impute NaN/Inf first", idx)))
        }
    }
}
