//! Models as plain JSON files that load back bit for bit.
//!
//! serde_json (built without its `float_roundtrip` feature) parses about one
//! float in seven a unit in the last place off, so a saved model would not
//! load back equal. Writing stays plain serde_json (shortest round-trip
//! digits); reading first turns every float literal into a marked string,
//! lets serde_json build the value tree, and parses the marked strings with
//! Rust's correctly rounded `str::parse::<f64>`.

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Number, Value};

use crate::error::{Error, Result};

/// Marks a float literal carried as a string (a control character, which no
/// serialised string of ours holds).
const MARK: &str = "\u{1}f64:";

/// Writes `value` as JSON to `path`.
pub(crate) fn save_json<T: Serialize>(value: &T, path: &str) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer(&mut writer, value).map_err(|e| Error::io(path, e))?;
    std::io::Write::flush(&mut writer).map_err(|e| Error::io(path, e))
}

/// Reads a `T` written by [`save_json`], floats exact.
pub(crate) fn load_json<T: DeserializeOwned>(path: &str, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut value: Value = serde_json::from_slice(&quote_floats(text.as_bytes()))
        .map_err(|e| Error::io(path, format!("not a saved {what}: {e}")))?;
    unquote_floats(&mut value);
    serde_json::from_value(value).map_err(|e| Error::io(path, format!("not a saved {what}: {e}")))
}

/// Rewrites every number token with a fraction or exponent as a marked string.
fn quote_floats(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 4);
    let mut i = 0;
    let mut in_string = false;
    while i < text.len() {
        let c = text[i];
        if in_string {
            out.push(c);
            if c == b'\\' && i + 1 < text.len() {
                out.push(text[i + 1]);
                i += 2;
                continue;
            }
            in_string = c != b'"';
            i += 1;
        } else if c == b'"' {
            in_string = true;
            out.push(c);
            i += 1;
        } else if c == b'-' || c.is_ascii_digit() {
            let start = i;
            while i < text.len() && matches!(text[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            }
            let token = &text[start..i];
            if token.iter().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                out.extend_from_slice(b"\"\\u0001f64:");
                out.extend_from_slice(token);
                out.push(b'"');
            } else {
                out.extend_from_slice(token);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Turns marked strings back into numbers, parsing them exactly.
fn unquote_floats(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(number) = s.strip_prefix(MARK).and_then(|t| t.parse::<f64>().ok()).and_then(Number::from_f64) {
                *value = Value::Number(number);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unquote_floats),
        Value::Object(map) => map.values_mut().for_each(unquote_floats),
        _ => {}
    }
}

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
        let path = path.to_str().unwrap_or("lowdim-persist.json");
        save_json(&value, path).unwrap();
        let back: (Vec<f64>, Vec<usize>, String, i64) = load_json(path, "test value").unwrap();
        std::fs::remove_file(path).ok();
        assert!(back.0.iter().zip(&floats).all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!((back.1, back.2, back.3), (value.1, value.2, value.3));
    }
}
