//! Training data as tensors, and the minibatches a loss sees.

use linfa::Dataset;
use ndarray::Ix1;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::seq::SliceRandom;
use tch::{Device, Kind, Tensor};

use super::tensor::{labels_to_tensor, to_tensor};
use crate::error::{Error, Result};
use crate::rng;

/// Inputs and targets held as tensors on one device. Targets are class labels
/// (int64), regression targets (float), or the inputs themselves (autoencoders).
#[derive(Debug)]
pub struct TensorData {
    x: Tensor,
    y: Tensor,
    classes: Option<usize>,
}

impl Clone for TensorData {
    /// A second handle on the same tensors (no copy).
    fn clone(&self) -> Self {
        TensorData { x: self.x.shallow_clone(), y: self.y.shallow_clone(), classes: self.classes }
    }
}

impl TensorData {
    /// Classification data: `x` (n × d) with labels `0..n_classes`.
    pub fn classification(x: ArrayView2<f64>, labels: ArrayView1<usize>, device: Device) -> Result<Self> {
        check_rows(x.nrows(), labels.len(), "labels")?;
        let classes = labels.iter().max().map_or(0, |m| m + 1);
        Ok(TensorData { x: to_tensor("inputs", x, device)?, y: labels_to_tensor(labels, device)?, classes: Some(classes) })
    }

    /// Classification data from a linfa dataset with `usize` targets.
    pub fn from_dataset(ds: &Dataset<f64, usize, Ix1>, device: Device) -> Result<Self> {
        Self::classification(ds.records().view(), ds.targets().view(), device)
    }

    /// Regression data: inputs `x` (n × d), float targets `y` (n × t).
    pub fn regression(x: ArrayView2<f64>, y: ArrayView2<f64>, device: Device) -> Result<Self> {
        check_rows(x.nrows(), y.nrows(), "targets")?;
        Ok(TensorData { x: to_tensor("inputs", x, device)?, y: to_tensor("targets", y, device)?, classes: None })
    }

    /// Unsupervised data whose target is the input (autoencoders).
    pub fn unsupervised(x: ArrayView2<f64>, device: Device) -> Result<Self> {
        check_rows(x.nrows(), x.nrows(), "inputs")?;
        let x = to_tensor("inputs", x, device)?;
        Ok(TensorData { y: x.shallow_clone(), x, classes: None })
    }

    /// Data from tensors already built (first dimensions must agree).
    pub fn from_tensors(x: Tensor, y: Tensor) -> Result<Self> {
        let (n, m) = (x.size().first().copied().unwrap_or(0), y.size().first().copied().unwrap_or(0));
        check_rows(n as usize, m as usize, "targets")?;
        let classes = (y.kind() == Kind::Int64).then(|| y.max().int64_value(&[]) as usize + 1);
        Ok(TensorData { x, y, classes })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.x.size()[0] as usize
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inputs (n × …).
    pub fn x(&self) -> &Tensor {
        &self.x
    }

    /// The targets.
    pub fn y(&self) -> &Tensor {
        &self.y
    }

    /// Number of classes for classification data.
    pub fn n_classes(&self) -> Option<usize> {
        self.classes
    }

    /// Width of one input row (product of the non-batch dimensions).
    pub fn input_width(&self) -> usize {
        self.x.size().iter().skip(1).product::<i64>() as usize
    }

    /// The same data on another device.
    pub fn to_device(&self, device: Device) -> TensorData {
        TensorData { x: self.x.to_device(device), y: self.y.to_device(device), classes: self.classes }
    }

    /// The rows `index` as one batch.
    pub fn batch(&self, index: &[i64]) -> Batch {
        let idx = Tensor::from_slice(index);
        let idx = if self.x.device() == Device::Cpu { idx } else { idx.to_device(self.x.device()) };
        Batch { x: self.x.index_select(0, &idx), y: self.y.index_select(0, &idx) }
    }

    /// The whole data set as one batch (no copy).
    pub fn all(&self) -> Batch {
        Batch { x: self.x.shallow_clone(), y: self.y.shallow_clone() }
    }

    /// Labels as an array (classification data only).
    pub fn labels(&self) -> Option<Array1<usize>> {
        self.classes?;
        let v = Vec::<i64>::try_from(&self.y.to_device(Device::Cpu)).ok()?;
        Some(v.into_iter().map(|l| l as usize).collect())
    }

    /// The inputs as an array (for metrics and plots).
    pub fn x_array(&self) -> Result<Array2<f64>> {
        super::tensor::to_array2(&self.x)
    }
}

fn check_rows(n: usize, m: usize, what: &str) -> Result<()> {
    if n == 0 {
        return Err(Error::data("the training data has no samples"));
    }
    if n != m {
        return Err(Error::data(format!("{what} have {m} rows but the inputs have {n}")));
    }
    Ok(())
}

/// One minibatch: what a loss sees besides the model's output.
#[derive(Debug)]
pub struct Batch {
    x: Tensor,
    y: Tensor,
}

impl Batch {
    /// A batch from tensors (for calling a loss by hand).
    pub fn new(x: Tensor, y: Tensor) -> Self {
        Batch { x, y }
    }

    /// The inputs.
    pub fn x(&self) -> &Tensor {
        &self.x
    }

    /// The targets (the inputs again for unsupervised data).
    pub fn y(&self) -> &Tensor {
        &self.y
    }

    /// Number of samples in the batch.
    pub fn len(&self) -> usize {
        self.x.size()[0] as usize
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The batches of one epoch: row indices in a seeded random order (or in
/// order), cut into runs of `batch_size`; the last one may be shorter.
pub(crate) fn epoch_batches(n: usize, batch_size: usize, shuffle: bool, seed: u64, epoch: usize) -> Vec<Vec<i64>> {
    let mut order: Vec<i64> = (0..n as i64).collect();
    if shuffle {
        order.shuffle(&mut rng::xoshiro(rng::derive(seed, rng::stream::BATCHES, epoch as u64)));
    }
    order.chunks(batch_size.max(1)).map(<[i64]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn batches_cover_every_row_once_and_depend_on_the_epoch() {
        let a = epoch_batches(10, 4, true, 3, 0);
        assert_eq!(a.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let mut all: Vec<i64> = a.concat();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(a, epoch_batches(10, 4, true, 3, 0));
        assert_ne!(a, epoch_batches(10, 4, true, 3, 1));
        assert_eq!(epoch_batches(5, 2, false, 3, 7).concat(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn mismatched_rows_and_empty_data_are_errors() {
        let x = array![[1.0], [2.0]];
        assert!(TensorData::classification(x.view(), array![0usize].view(), Device::Cpu).is_err());
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(TensorData::unsupervised(empty.view(), Device::Cpu).is_err());
        let d = TensorData::classification(x.view(), array![0usize, 2].view(), Device::Cpu).unwrap();
        assert_eq!(d.n_classes(), Some(3));
        assert_eq!(d.labels().unwrap(), array![0usize, 2]);
    }
}
