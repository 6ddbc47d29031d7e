//! Reading and writing `.npy` arrays and numeric CSV tables.
//!
//! `.npy` is numpy's binary format (numpy NEP 1, format 1.0–3.0, via the
//! `ndarray-npy` crate): floats and integers of any width are read and widened
//! to `f64`, so arrays saved from numpy load without a cast. CSV goes through
//! the `csv` crate; every value must parse as a number, and a value that does
//! not is reported with the file, line and column. Cost: O(file size).
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let path = std::env::temp_dir().join(format!("lowdim-doc-{}.npy", std::process::id()));
//! let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
//! write_npy(&path, &x)?;
//! let back = read_npy_2d(&path)?;
//! assert_eq!(back.dim(), (2, 3));
//! assert_eq!(back, x);
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), lowdim::Error>(())
//! ```

use crate::error::{Error, Result};
use linfa::Dataset;
use ndarray::{Array, Array1, Array2, Dimension, Ix1, Ix2};
use ndarray_npy::{ReadNpyError, ReadNpyExt};
use std::path::Path;

/// How to read a CSV table; build with `CsvOptions::default()` and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// The first line holds column names (default true); they become the
    /// dataset's feature names.
    pub has_header: bool,
    /// The 0-based column holding the target (default none).
    pub target_column: Option<usize>,
    /// The field separator (default `b','`).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { has_header: true, target_column: None, delimiter: b',' }
    }
}

impl CsvOptions {
    /// `has_header`: bool, default true.
    pub fn has_header(mut self, has_header: bool) -> Self {
        self.has_header = has_header;
        self
    }

    /// `target_column`: usize, 0-based, default none; must be < the number of columns.
    pub fn target_column(mut self, column: usize) -> Self {
        self.target_column = Some(column);
        self
    }

    /// `delimiter`: one ASCII byte, default `b','` (`b'\t'` for TSV, `b';'`, …).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }
}

/// A 2-d `.npy` array of any float or integer type, as `f64`.
pub fn read_npy_2d(path: impl AsRef<Path>) -> Result<Array2<f64>> {
    read_npy_f64::<Ix2>(path.as_ref(), "read_npy_2d")
}

/// A 1-d `.npy` array of any float or integer type, as `f64`.
pub fn read_npy_1d(path: impl AsRef<Path>) -> Result<Array1<f64>> {
    read_npy_f64::<Ix1>(path.as_ref(), "read_npy_1d")
}

/// A 1-d `.npy` array of class labels: integers ≥ 0 of any width, or floats
/// holding such integers.
pub fn read_npy_labels(path: impl AsRef<Path>) -> Result<Array1<usize>> {
    let path = path.as_ref();
    let values = read_npy_f64::<Ix1>(path, "read_npy_labels")?;
    match values.iter().position(|&v| !(v >= 0.0 && v.fract() == 0.0 && v <= usize::MAX as f64)) {
        None => Ok(values.mapv(|v| v as usize)),
        Some(i) => Err(Error::file_content(path, format!("entry {i} is {}; labels must be integers ≥ 0", values[i]))),
    }
}

/// Writes a 2-d `f64` array as `.npy` (little-endian `<f8`, C order),
/// replacing any file there.
pub fn write_npy(path: impl AsRef<Path>, array: &Array2<f64>) -> Result<()> {
    let path = path.as_ref();
    ndarray_npy::write_npy(path, array).map_err(|e| Error::io(path, e))
}

/// Writes a 1-d `f64` array as `.npy`.
pub fn write_npy_1d(path: impl AsRef<Path>, array: &Array1<f64>) -> Result<()> {
    let path = path.as_ref();
    ndarray_npy::write_npy(path, array).map_err(|e| Error::io(path, e))
}

/// Writes labels as a 1-d `.npy` of `int64`, numpy's default integer.
pub fn write_npy_labels(path: impl AsRef<Path>, labels: &Array1<usize>) -> Result<()> {
    let path = path.as_ref();
    let wide: Array1<i64> = labels
        .iter()
        .map(|&l| i64::try_from(l).map_err(|_| Error::data(format!("label {l} does not fit in int64"))))
        .collect::<Result<_>>()?;
    ndarray_npy::write_npy(path, &wide).map_err(|e| Error::io(path, e))
}

/// A numeric CSV table as a dataset: `options.target_column` becomes the
/// targets, every other column a feature (named from the header if any).
pub fn read_csv(path: impl AsRef<Path>, options: CsvOptions) -> Result<Dataset<f64, f64, Ix1>> {
    let path = path.as_ref();
    let Some(target) = options.target_column else {
        return Err(Error::param(
            "target_column",
            "of read_csv must be set, e.g. CsvOptions::default().target_column(4); \
             use read_csv_records for a table without targets",
        ));
    };
    let table = read_table(path, options)?;
    let names: Vec<String> = table.names.iter().enumerate().filter(|(j, _)| *j != target).map(|(_, n)| n.clone()).collect();
    let ds = Dataset::new(table.records_without(Some(target)), table.column(target));
    Ok(if names.is_empty() { ds } else { ds.with_feature_names(names) })
}

/// A numeric CSV table as a matrix, one row per line; the target column, if
/// `options` names one, is left out.
pub fn read_csv_records(path: impl AsRef<Path>, options: CsvOptions) -> Result<Array2<f64>> {
    let table = read_table(path.as_ref(), options)?;
    Ok(table.records_without(options.target_column))
}

/// The parsed numbers of a CSV file, row-major.
struct Table {
    names: Vec<String>,
    values: Vec<f64>,
    n_cols: usize,
}

impl Table {
    fn n_rows(&self) -> usize {
        self.values.len().checked_div(self.n_cols).unwrap_or(0)
    }

    /// Every column but `skip`.
    fn records_without(&self, skip: Option<usize>) -> Array2<f64> {
        let keep: Vec<usize> = (0..self.n_cols).filter(|&j| Some(j) != skip).collect();
        Array2::from_shape_fn((self.n_rows(), keep.len()), |(i, j)| self.values[i * self.n_cols + keep[j]])
    }

    /// Column `j`, which `read_table` has checked to exist.
    fn column(&self, j: usize) -> Array1<f64> {
        Array1::from_shape_fn(self.n_rows(), |i| self.values[i * self.n_cols + j])
    }
}

fn read_table(path: &Path, options: CsvOptions) -> Result<Table> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(options.has_header)
        .delimiter(options.delimiter)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::io(path, e))?;
    let names: Vec<String> = if options.has_header {
        reader.headers().map_err(|e| Error::io(path, e))?.iter().map(str::to_string).collect()
    } else {
        Vec::new()
    };
    let mut values = Vec::new();
    let mut n_cols = names.len();
    for record in reader.records() {
        let record = record.map_err(|e| Error::io(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        n_cols = record.len();
        for (j, field) in record.iter().enumerate() {
            values.push(parse_field(path, field, line, j, &names)?);
        }
    }
    if values.is_empty() {
        return Err(Error::file_content(path, "holds no data rows; check `has_header` and the delimiter"));
    }
    if let Some(t) = options.target_column.filter(|&t| t >= n_cols) {
        return Err(Error::param(
            "target_column",
            format!("of read_csv must be < the number of columns ({n_cols}) of {}; got {t}", path.display()),
        ));
    }
    Ok(Table { names, values, n_cols })
}

fn parse_field(path: &Path, field: &str, line: u64, column: usize, names: &[String]) -> Result<f64> {
    field.parse::<f64>().map_err(|_| {
        let name = names.get(column).map_or(String::new(), |n| format!(" (`{n}`)"));
        let what = if field.is_empty() { "an empty value".to_string() } else { format!("{field:?}") };
        Error::file_content(path, format!("line {line}, column {}{name}: cannot read {what} as a number", column + 1))
    })
}

/// Reads `path` as an array of dimension `D`, widening any float or integer
/// element type to `f64`.
fn read_npy_f64<D: Dimension>(path: &Path, who: &str) -> Result<Array<f64, D>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut descriptor = String::new();
    // Each element type rejects the others' descriptors; try them in turn.
    macro_rules! try_as {
        ($($t:ty),*) => {$(
            match Array::<$t, D>::read_npy(&bytes[..]) {
                Ok(a) => return Ok(a.mapv(|v| v as f64).as_standard_layout().into_owned()),
                Err(ReadNpyError::WrongDescriptor(d)) if descriptor.is_empty() => descriptor = d.to_string(),
                Err(ReadNpyError::WrongDescriptor(_)) => {}
                Err(e) => return Err(npy_error(path, who, e)),
            }
        )*};
    }
    try_as!(f64, f32, i64, i32, i16, i8, u64, u32, u16, u8);
    Err(Error::file_content(path, format!("holds elements of type {descriptor}; {who} reads float and integer arrays")))
}

fn npy_error(path: &Path, who: &str, e: ReadNpyError) -> Error {
    match e {
        ReadNpyError::WrongNdim(expected, found) => Error::file_content(
            path,
            format!("holds a {found}-d array; {who} expects {}-d", expected.map_or("a different dimension".to_string(), |d| d.to_string())),
        ),
        other => Error::file_content(path, format!("is not a readable .npy file: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use std::path::PathBuf;

    /// A file in the temp dir, unique to this process and test, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> Self {
            TempFile(std::env::temp_dir().join(format!("lowdim-io-{}-{name}", std::process::id())))
        }
        fn with_text(name: &str, text: &str) -> Self {
            let f = TempFile::new(name);
            std::fs::write(&f.0, text).unwrap();
            f
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            std::fs::remove_file(&self.0).ok();
        }
    }

    fn io_message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(e @ Error::Io { .. }) => e.to_string(),
            other => panic!("expected an Io error, got {other:?}"),
        }
    }

    #[test]
    fn npy_round_trips() {
        let f = TempFile::new("rt2.npy");
        let x = array![[1.0, -2.5], [3.0, 4.0], [5.0, 6.0]];
        write_npy(&f.0, &x).unwrap();
        assert_eq!(read_npy_2d(&f.0).unwrap(), x);
        let g = TempFile::new("rt1.npy");
        let v = array![0.5, 1.5, -2.0];
        write_npy_1d(&g.0, &v).unwrap();
        assert_eq!(read_npy_1d(&g.0).unwrap(), v);
        let h = TempFile::new("rtl.npy");
        let labels = array![0usize, 3, 1];
        write_npy_labels(&h.0, &labels).unwrap();
        assert_eq!(read_npy_labels(&h.0).unwrap(), labels);
    }

    #[test]
    fn npy_widens_other_element_types() {
        let f = TempFile::new("f32.npy");
        ndarray_npy::write_npy(&f.0, &array![[1.5f32, 2.0], [3.0, 4.0]]).unwrap();
        assert_eq!(read_npy_2d(&f.0).unwrap(), array![[1.5, 2.0], [3.0, 4.0]]);
        let g = TempFile::new("i32.npy");
        ndarray_npy::write_npy(&g.0, &array![7i32, 0, 2]).unwrap();
        assert_eq!(read_npy_1d(&g.0).unwrap(), array![7.0, 0.0, 2.0]);
        assert_eq!(read_npy_labels(&g.0).unwrap(), array![7, 0, 2]);
        let h = TempFile::new("u8.npy");
        ndarray_npy::write_npy(&h.0, &array![[1u8], [2]]).unwrap();
        assert_eq!(read_npy_2d(&h.0).unwrap(), array![[1.0], [2.0]]);
    }

    #[test]
    fn npy_errors_name_the_path_and_the_problem() {
        let missing = TempFile::new("missing.npy");
        let msg = io_message(read_npy_2d(&missing.0));
        assert!(msg.contains("missing.npy"), "{msg}");

        let one_d = TempFile::new("oned.npy");
        write_npy_1d(&one_d.0, &array![1.0, 2.0]).unwrap();
        let msg = io_message(read_npy_2d(&one_d.0));
        assert!(msg.contains("1-d array") && msg.contains("read_npy_2d expects 2-d"), "{msg}");

        let garbage = TempFile::with_text("garbage.npy", "not an npy file");
        let msg = io_message(read_npy_1d(&garbage.0));
        assert!(msg.contains("not a readable .npy file"), "{msg}");

        let booleans = TempFile::new("bool.npy");
        ndarray_npy::write_npy(&booleans.0, &array![true, false]).unwrap();
        let msg = io_message(read_npy_1d(&booleans.0));
        assert!(msg.contains("|b1"), "{msg}");

        let negative = TempFile::new("neg.npy");
        write_npy_1d(&negative.0, &array![1.0, -1.0]).unwrap();
        let msg = io_message(read_npy_labels(&negative.0));
        assert!(msg.contains("entry 1 is -1"), "{msg}");
        let fractional = TempFile::new("frac.npy");
        write_npy_1d(&fractional.0, &array![0.5]).unwrap();
        assert!(read_npy_labels(&fractional.0).is_err());
    }

    #[test]
    fn fortran_order_is_read_in_the_right_order() {
        let f = TempFile::new("fortran.npy");
        let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        ndarray_npy::write_npy(&f.0, &x.t().as_standard_layout().t()).unwrap();
        let back = read_npy_2d(&f.0).unwrap();
        assert_eq!(back, x);
        assert!(back.is_standard_layout());
    }

    #[test]
    fn csv_with_header_and_target() {
        let f = TempFile::with_text("iris.csv", "a,b,label\n1.0, 2.0,0\n3,4e0,1\n-5,6.5,2\n");
        let ds = read_csv(&f.0, CsvOptions::default().target_column(2)).unwrap();
        assert_eq!(ds.records(), &array![[1.0, 2.0], [3.0, 4.0], [-5.0, 6.5]]);
        assert_eq!(ds.targets(), &array![0.0, 1.0, 2.0]);
        assert_eq!(ds.feature_names(), ["a", "b"]);
        let target_first = read_csv(&f.0, CsvOptions::default().target_column(0)).unwrap();
        assert_eq!(target_first.targets(), &array![1.0, 3.0, -5.0]);
        assert_eq!(target_first.feature_names(), ["b", "label"]);
    }

    #[test]
    fn csv_records_without_header_and_other_delimiter() {
        let f = TempFile::with_text("plain.tsv", "1\t2\t3\n4\t5\t6\n");
        let opts = CsvOptions::default().has_header(false).delimiter(b'\t');
        assert_eq!(read_csv_records(&f.0, opts).unwrap(), array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(read_csv_records(&f.0, opts.target_column(1)).unwrap(), array![[1.0, 3.0], [4.0, 6.0]]);
    }

    #[test]
    fn csv_bad_value_names_path_line_and_column() {
        let f = TempFile::with_text("bad.csv", "x,y\n1,2\n3,abc\n");
        let msg = io_message(read_csv_records(&f.0, CsvOptions::default()));
        assert!(msg.contains("bad.csv"), "{msg}");
        assert!(msg.contains("line 3, column 2 (`y`)") && msg.contains("\"abc\""), "{msg}");
        let g = TempFile::with_text("empty_field.csv", "1,,3\n");
        let msg = io_message(read_csv_records(&g.0, CsvOptions::default().has_header(false)));
        assert!(msg.contains("line 1, column 2: cannot read an empty value"), "{msg}");
    }

    #[test]
    fn csv_structural_errors() {
        let ragged = TempFile::with_text("ragged.csv", "a,b\n1,2\n3\n");
        let msg = io_message(read_csv_records(&ragged.0, CsvOptions::default()));
        assert!(msg.contains("ragged.csv"), "{msg}");
        let header_only = TempFile::with_text("header.csv", "a,b\n");
        let msg = io_message(read_csv_records(&header_only.0, CsvOptions::default()));
        assert!(msg.contains("no data rows"), "{msg}");
        let missing = TempFile::new("missing.csv");
        assert!(io_message(read_csv_records(&missing.0, CsvOptions::default())).contains("missing.csv"));
        let ok = TempFile::with_text("ok.csv", "a,b\n1,2\n");
        assert_param_err!(read_csv(&ok.0, CsvOptions::default()), "target_column");
        assert_param_err!(read_csv(&ok.0, CsvOptions::default().target_column(2)), "target_column");
        assert_param_err!(read_csv_records(&ok.0, CsvOptions::default().target_column(5)), "target_column");
    }
}
