//! The bridge between ndarray and libtorch, and the guard that turns a libtorch
//! failure inside a model into an `Err` instead of a panic.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, Once, PoisonError};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use tch::{Device, Kind, Tensor};

use crate::error::{check_finite, Error, Result};

/// `a` as an `n × d` float32 tensor on `device` (NaN/Inf rejected, naming `what`).
pub fn to_tensor(what: &str, a: ArrayView2<f64>, device: Device) -> Result<Tensor> {
    check_finite(what, &a)?;
    let (n, d) = a.dim();
    let flat: Vec<f32> = a.iter().map(|&v| v as f32).collect(); // row-major whatever the layout
    Ok(Tensor::f_from_slice(&flat)?.f_view([n as i64, d as i64])?.f_to_device(device)?)
}

/// Class labels as an int64 tensor on `device`.
pub fn labels_to_tensor(labels: ArrayView1<usize>, device: Device) -> Result<Tensor> {
    let flat: Vec<i64> = labels.iter().map(|&v| v as i64).collect();
    Ok(Tensor::f_from_slice(&flat)?.f_to_device(device)?)
}

/// A tensor of any shape as `rows × (numel / rows)` in f64, on the CPU.
pub fn to_array2(t: &Tensor) -> Result<Array2<f64>> {
    let t = t.f_detach()?.f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?;
    let size = t.size();
    let rows = size.first().copied().unwrap_or(1).max(0) as usize;
    let flat: Vec<f64> = Vec::<f64>::try_from(&t.f_flatten(0, -1)?)?;
    let cols = flat.len().checked_div(rows).unwrap_or(0);
    Array2::from_shape_vec((rows, cols), flat).map_err(|e| Error::data(e.to_string()))
}

/// A tensor of any shape flattened to f64, on the CPU.
pub fn to_array1(t: &Tensor) -> Result<Array1<f64>> {
    let t = t.f_detach()?.f_to_device(Device::Cpu)?.f_to_kind(Kind::Double)?.f_flatten(0, -1)?;
    Ok(Array1::from(Vec::<f64>::try_from(&t)?))
}

/// The scalar value of a one-element tensor.
pub fn scalar(t: &Tensor) -> Result<f64> {
    Ok(t.f_double_value(&[])?)
}

/// Runs `f`, turning a panic (tch's infallible calls panic on a libtorch
/// error, e.g. a shape mismatch inside a user's model) into `Error::Training`
/// that quotes libtorch's message. The default panic report is silenced for
/// the call, so a notebook shows the `Err` alone.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    install_quiet_hook();
    let was = QUIET.with(|q| q.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    outcome.map_err(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        // libtorch appends a C++ backtrace; the first lines say what happened.
        let short: Vec<&str> = message.lines().take(3).collect();
        Error::Training(format!("{what}: {}", short.join(" ")))
    })
}

/// Runs `f` right after seeding libtorch's generator with `seed`, holding a
/// crate-wide lock. libtorch has one generator per process: without the lock,
/// a model built on another thread between the seeding and `f`'s draws would
/// take some of them, and initial weights would depend on scheduling.
pub(crate) fn with_torch_seed<T>(seed: u64, f: impl FnOnce() -> T) -> T {
    static LOCK: Mutex<()> = Mutex::new(());
    // A poisoned lock only means another build panicked; the generator is
    // reseeded here anyway.
    let _held = LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    tch::manual_seed(seed as i64);
    f()
}

thread_local! {
    /// Whether this thread is inside [`guarded`], whose panics become errors.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Wraps the panic hook once: panics on a thread inside [`guarded`] are not
/// reported (they come back as `Err`); every other panic goes to the hook
/// that was there before, as usual.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn round_trip_keeps_values_and_layout() {
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        let t = to_tensor("x", a.t(), Device::Cpu).unwrap(); // a transposed view
        assert_eq!(t.size(), vec![3, 2]);
        assert_eq!(to_array2(&t).unwrap(), a.t().to_owned());
    }

    #[test]
    fn nan_is_an_error_naming_the_input() {
        let a = array![[1.0, f64::NAN]];
        let e = to_tensor("inputs", a.view(), Device::Cpu).unwrap_err();
        assert!(e.to_string().contains("inputs"), "{e}");
    }

    #[test]
    fn guarded_turns_a_shape_mismatch_into_an_error() {
        let e = guarded("forward", || {
            Tensor::zeros([2, 3], (Kind::Float, Device::Cpu)).matmul(&Tensor::zeros([4, 1], (Kind::Float, Device::Cpu)))
        })
        .unwrap_err();
        assert!(matches!(e, Error::Training(_)));
        assert!(e.to_string().contains("forward"), "{e}");
    }
}
