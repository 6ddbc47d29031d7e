//! Fitted models as plain JSON files that load back bit for bit: serde_json is
//! built with `float_roundtrip`, so every float is written with its shortest
//! round-trip digits and parsed back correctly rounded.

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Result};

/// Writes `value` as JSON to `path`.
pub(crate) fn save_json<T: Serialize>(value: &T, path: &str) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value).map_err(|e| Error::io(path, e))?;
    std::io::Write::flush(&mut writer).map_err(|e| Error::io(path, e))
}

/// Reads a `T` written by [`save_json`]; `what` names it when the file is not one.
pub(crate) fn load_json<T: DeserializeOwned>(path: &str, what: &str) -> Result<T> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| Error::file_content(path, format!("not a saved {what}: {e}")))
}

/// `save` / `load` of a fitted model as JSON that loads back bit for bit.
macro_rules! impl_persist {
    ($fitted:ident, $what:expr) => {
        impl $fitted {
            /// Writes the fitted model as JSON to `path`.
            pub fn save(&self, path: &str) -> $crate::error::Result<()> {
                $crate::persist::save_json(self, path)
            }

            /// Reads a model written by `save`; it compares equal to the saved
            /// one, every float bit for bit.
            pub fn load(path: &str) -> $crate::error::Result<$fitted> {
                $crate::persist::load_json(path, $what)
            }
        }
    };
}
pub(crate) use impl_persist;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_come_back_exactly_and_strings_untouched() {
        let mut x: u64 = 99;
        let floats: Vec<f64> = (0..2000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 10f64.powi((x % 40) as i32 - 20)
            })
            .collect();
        let value = (floats.clone(), vec![1usize, 2, 3], "a \"1.5\" string".to_string(), -7i64);
        let path = std::env::temp_dir().join(format!("lowdim-persist-{}.json", std::process::id()));
        let path = path.to_str().expect("the temp dir is a UTF-8 path");
        save_json(&value, path).unwrap();
        let back: (Vec<f64>, Vec<usize>, String, i64) = load_json(path, "test value").unwrap();
        std::fs::remove_file(path).ok();
        assert!(back.0.iter().zip(&floats).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!((back.1, back.2, back.3), (value.1, value.2, value.3));
    }

    #[test]
    fn a_file_of_something_else_is_a_file_error() {
        let path = std::env::temp_dir().join(format!("lowdim-persist-bad-{}.json", std::process::id()));
        let path = path.to_str().expect("the temp dir is a UTF-8 path");
        std::fs::write(path, "[1, 2]").unwrap();
        let err = load_json::<String>(path, "thing").unwrap_err();
        std::fs::remove_file(path).ok();
        assert!(matches!(err, Error::Io { source: None, .. }) && err.to_string().contains("not a saved thing"), "{err}");
    }
}
