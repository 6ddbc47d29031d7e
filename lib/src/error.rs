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

    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },

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

    /// A file error, naming the path.
    pub fn io(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Error::Io { path: path.into(), message: message.to_string() }
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
        Some((idx, v)) => Err(Error::data(format!(
            "{what} holds a non-finite value {v} at index {:?}; remove or impute NaN/Inf first",
            idx
        ))),
    }
}
