//! The estimator contract: how every estimator of the crate declares its
//! parameters, checks them and names what is wrong.
//!
//! An estimator declares its parameters once, with `params!`:
//!
//! ```ignore
//! params! {
//!     /// Checked Isomap parameters; see [`Isomap::params`].
//!     Isomap("Isomap") => IsomapParams, IsomapValidParams {
//!         /// Neighbours per point (the point itself not counted).
//!         n_neighbors: usize = 5 => 1..,
//!         /// The output dimension.
//!         n_components: usize = 2 => 1..,
//!         seed: u64 = 0,
//!     }
//! }
//! ```
//!
//! and gets, as linfa's `ParamGuard` pattern has them:
//! - `IsomapValidParams`, the checked parameters, with one getter per field;
//! - `IsomapParams`, the unchecked builder, with one consuming setter per field
//!   whose docs state the default and the valid values;
//! - `Isomap::params()`, the defaults, with a table of every parameter in its docs;
//! - the `ParamGuard` that checks each field's rule in the order declared, then
//!   the optional cross-field `check` block, and reports the first broken rule
//!   as `Error::Param` naming the field: "`n_neighbors` of Isomap must be ≥ 1; got 0".
//!
//! A field's rule is a range over its value (`1..`, `0.0..=1.0`, `0.0..1.0`) or
//! one of [`above`], [`open`], [`left_open`], [`finite`]. Rules on floats also
//! reject NaN and ±∞. `Option` fields are checked when set. A field declared
//! `; from T` has a setter taking `T` (for `Option<T>` fields, set with the value).
//!
//! Rules that depend on the data (`n_neighbors < n_samples`) are checked at fit,
//! with the same message shape.

use std::ops::{Range, RangeFrom, RangeInclusive};

use crate::error::{Error, Result};

/// A bound of a [`Rule`]: the value and whether it is allowed itself.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bound {
    value: f64,
    inclusive: bool,
}

/// The values a parameter may take: an interval, open or closed at either end,
/// possibly unbounded; on floats, finite values only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

impl Rule {
    fn new(lo: Option<(f64, bool)>, hi: Option<(f64, bool)>) -> Rule {
        let bound = |(value, inclusive)| Bound { value, inclusive };
        Rule { lo: lo.map(bound), hi: hi.map(bound) }
    }

    fn admits(&self, v: f64) -> bool {
        let above_lo = self.lo.is_none_or(|b| if b.inclusive { v >= b.value } else { v > b.value });
        let below_hi = self.hi.is_none_or(|b| if b.inclusive { v <= b.value } else { v < b.value });
        v.is_finite() && above_lo && below_hi
    }

    /// "≥ 2", "a finite number > 0", "in [0, 1)" or "finite".
    fn describe(&self, integral: bool) -> String {
        match (self.lo, self.hi) {
            (Some(lo), None) => {
                let rel = if lo.inclusive { "≥" } else { ">" };
                let number = if integral { "" } else { "a finite number " };
                format!("{number}{rel} {}", lo.value)
            }
            (None, Some(hi)) => format!("{} {}", if hi.inclusive { "≤" } else { "<" }, hi.value),
            (Some(lo), Some(hi)) => {
                let (open, close) = (if lo.inclusive { '[' } else { '(' }, if hi.inclusive { ']' } else { ')' });
                format!("in {open}{}, {}{close}", lo.value, hi.value)
            }
            (None, None) => "finite".to_owned(),
        }
    }

    /// Checks one parameter value: `Ok` when it is admitted (or an unset
    /// `Option`), else the `Error::Param` naming `name`, `who` and the value.
    pub fn check<V: ParamValue + ?Sized>(&self, who: &str, name: &'static str, value: &V) -> Result<()> {
        match value.as_f64() {
            Some(v) if !self.admits(v) => {
                let must = if self.lo.is_none() && self.hi.is_none() {
                    "be finite".to_owned()
                } else {
                    format!("be {}", self.describe(V::INTEGRAL))
                };
                Err(Error::param(name, format!("of {who} must {must}; got {}", value.shown())))
            }
            _ => Ok(()),
        }
    }

    /// A value of the parameter's type that this rule refuses, if the type has one.
    pub fn violation<V: ParamValue>(&self) -> Option<V> {
        V::violating(self)
    }
}

/// The value of a parameter that has no default, or the `Error::Param` saying
/// it must be set.
pub fn required<T: Copy>(who: &str, name: &'static str, value: Option<T>) -> Result<T> {
    value.ok_or_else(|| Error::param(name, format!("of {who} must be set (it has no default); got None")))
}
/// `x > lo`, finite.
pub fn above(lo: f64) -> Rule {
    Rule::new(Some((lo, false)), None)
}

/// `lo < x < hi`.
pub fn open(lo: f64, hi: f64) -> Rule {
    Rule::new(Some((lo, false)), Some((hi, false)))
}

/// `lo < x ≤ hi`.
pub fn left_open(lo: f64, hi: f64) -> Rule {
    Rule::new(Some((lo, false)), Some((hi, true)))
}

/// Any finite value.
pub fn finite() -> Rule {
    Rule::new(None, None)
}

impl From<RangeFrom<i32>> for Rule {
    fn from(r: RangeFrom<i32>) -> Rule {
        Rule::new(Some((f64::from(r.start), true)), None)
    }
}

impl From<RangeFrom<f64>> for Rule {
    fn from(r: RangeFrom<f64>) -> Rule {
        Rule::new(Some((r.start, true)), None)
    }
}

impl From<RangeInclusive<i32>> for Rule {
    fn from(r: RangeInclusive<i32>) -> Rule {
        Rule::new(Some((f64::from(*r.start()), true)), Some((f64::from(*r.end()), true)))
    }
}

impl From<RangeInclusive<f64>> for Rule {
    fn from(r: RangeInclusive<f64>) -> Rule {
        Rule::new(Some((*r.start(), true)), Some((*r.end(), true)))
    }
}

impl From<Range<f64>> for Rule {
    fn from(r: Range<f64>) -> Rule {
        Rule::new(Some((r.start, true)), Some((r.end, false)))
    }
}

/// A parameter type a [`Rule`] can check: numbers, and `Option`s of them
/// (unset passes).
pub trait ParamValue {
    /// Whether the values are integers (the message then drops "a finite number").
    const INTEGRAL: bool;
    /// The value as a float; `None` for an unset option.
    fn as_f64(&self) -> Option<f64>;
    /// The value as the message quotes it.
    fn shown(&self) -> String;
    /// A value `rule` refuses, for the common check suite.
    fn violating(rule: &Rule) -> Option<Self>
    where
        Self: Sized;
}

macro_rules! integral_param_value {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            const INTEGRAL: bool = true;
            fn as_f64(&self) -> Option<f64> {
                Some(*self as f64)
            }
            fn shown(&self) -> String {
                self.to_string()
            }
            fn violating(rule: &Rule) -> Option<$t> {
                let below = rule.lo.filter(|b| b.value >= 1.0 || (b.value == 0.0 && !b.inclusive)).map(|b| b.value as $t + <$t>::from(!b.inclusive) - 1);
                let past = rule.hi.filter(|b| b.value < <$t>::MAX as f64).map(|b| b.value as $t + <$t>::from(b.inclusive));
                below.or(past)
            }
        }
    )*};
}
integral_param_value!(usize, u64, u32);

impl ParamValue for f64 {
    const INTEGRAL: bool = false;
    fn as_f64(&self) -> Option<f64> {
        Some(*self)
    }
    fn shown(&self) -> String {
        self.to_string()
    }
    fn violating(_: &Rule) -> Option<f64> {
        Some(f64::NAN)
    }
}

impl<T: ParamValue> ParamValue for Option<T> {
    const INTEGRAL: bool = T::INTEGRAL;
    fn as_f64(&self) -> Option<f64> {
        self.as_ref().and_then(T::as_f64)
    }
    fn shown(&self) -> String {
        self.as_ref().map_or_else(|| "None".to_owned(), T::shown)
    }
    fn violating(rule: &Rule) -> Option<Option<T>> {
        T::violating(rule).map(Some)
    }
}

/// Declares an estimator's parameters; see the module docs.
///
/// Grammar: doc comments and a fitted type with its display name, the two
/// parameter types, then fields `name: Type = default`, each optionally
/// followed by `=> rule` and `; from SetterType`, and an optional cross-field
/// `check(p) { … }` block run after the field rules, which returns early with
/// `return Err(…)` on a broken rule.
macro_rules! params {
    (
        $(#[doc = $doc:literal])*
        $fitted:ident ($who:literal) => $params:ident, $valid:ident {
            $(
                $(#[doc = $fdoc:literal])*
                $field:ident : $ty:ty = $default:expr $(=> $rule:expr)? $(; from $arg:ty)?
            ),* $(,)?
        }
        $(check($p:ident) $check:block)?
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $valid {
            $(pub(crate) $field: $ty,)*
        }

        #[doc = concat!("Unchecked ", $who, " parameters: a builder with consuming setters. Start from [`", stringify!($fitted), "::params`].")]
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $params(pub(crate) $valid);

        impl Default for $valid {
            fn default() -> $valid {
                $valid { $($field: $default,)* }
            }
        }

        impl Default for $params {
            fn default() -> $params {
                $params($valid::default())
            }
        }

        impl $fitted {
            #[doc = concat!("The parameters of ", $who, ", with their defaults:\n\n| parameter | type | default | valid |\n|---|---|---|---|")]
            $(#[doc = concat!("| `", stringify!($field), "` | `", stringify!($ty), "` | `", stringify!($default), "` | ", $("`", stringify!($rule), "`",)? " |")])*
            pub fn params() -> $params {
                $params::default()
            }
        }

        impl $params {
            $(
                $(#[doc = $fdoc])*
                #[doc = ""]
                #[doc = concat!("Default `", stringify!($default), "`", $("; valid `", stringify!($rule), "`",)? ".")]
                pub fn $field(mut self, $field: $crate::estimator::params!(@arg $ty $(; $arg)?)) -> Self {
                    self.0.$field = $field.into();
                    self
                }
            )*
        }

        impl $valid {
            $(
                $(#[doc = $fdoc])*
                pub fn $field(&self) -> $ty {
                    <$ty as Clone>::clone(&self.$field)
                }
            )*

            /// Checks every field's rule in order, then the cross-field rules.
            fn validate(&self) -> $crate::error::Result<()> {
                $($(
                    $crate::estimator::Rule::from({
                        #[allow(unused_imports)]
                        use $crate::estimator::{above, finite, left_open, open};
                        $rule
                    })
                    .check($who, stringify!($field), &self.$field)?;
                )?)*
                $(
                    let $p = self;
                    $check
                )?
                Ok(())
            }

            /// For the common check suite: one parameter set per field rule,
            /// breaking that rule alone, with the field's name.
            #[doc(hidden)]
            pub fn rule_violations() -> Vec<(&'static str, $params)> {
                #[allow(unused_mut)]
                let mut out = Vec::new();
                $($(
                    let rule = $crate::estimator::Rule::from({
                        #[allow(unused_imports)]
                        use $crate::estimator::{above, finite, left_open, open};
                        $rule
                    });
                    if let Some(bad) = rule.violation::<$ty>() {
                        let mut p = $valid::default();
                        p.$field = bad;
                        out.push((stringify!($field), $params(p)));
                    }
                )?)*
                out
            }
        }

        impl linfa::ParamGuard for $params {
            type Checked = $valid;
            type Error = $crate::error::Error;

            fn check_ref(&self) -> $crate::error::Result<&$valid> {
                self.0.validate()?;
                Ok(&self.0)
            }

            fn check(self) -> $crate::error::Result<$valid> {
                self.0.validate()?;
                Ok(self.0)
            }
        }
    };
    (@arg $ty:ty) => { $ty };
    (@arg $ty:ty; $arg:ty) => { $arg };
}
pub(crate) use params;

/// What a dataset's targets say about its points: class labels (`None`:
/// unlabelled), continuous values, or nothing. Estimators keep them to colour
/// their figures; supervised ones also learn from the labels.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TargetValues {
    None,
    Labels(Vec<Option<usize>>),
    Values(Vec<f64>),
}

impl TargetValues {
    /// One entry per point, or `None` when there are no targets.
    pub fn len(&self) -> Option<usize> {
        match self {
            TargetValues::None => None,
            TargetValues::Labels(l) => Some(l.len()),
            TargetValues::Values(v) => Some(v.len()),
        }
    }

    /// Whether there are no targets at all.
    pub fn is_empty(&self) -> bool {
        self.len().is_none()
    }

    /// Fails unless there are no targets or one per record.
    pub(crate) fn check_len(&self, n_records: usize) -> Result<()> {
        match self.len() {
            Some(m) if m != n_records => {
                Err(Error::data(format!("the dataset has {n_records} records but {m} targets; give one target per point")))
            }
            _ => Ok(()),
        }
    }
}

/// The target types a dataset may carry into a fit: `usize` labels,
/// `Option<usize>` labels (`None`: unlabelled), `f64` values, and `()` (none,
/// what `Dataset::from(x)` gives). Targets colour a fit's figure; only
/// supervised fits (UMAP with `supervised(true)`) learn from them.
pub trait Targets: private::Sealed {
    /// The targets as the estimators read them.
    fn target_values(&self) -> TargetValues;
}

mod private {
    pub trait Sealed {}
    impl Sealed for ndarray::Array1<usize> {}
    impl Sealed for ndarray::Array1<Option<usize>> {}
    impl Sealed for ndarray::Array1<f64> {}
    impl Sealed for ndarray::Array1<()> {}
}

impl Targets for ndarray::Array1<usize> {
    fn target_values(&self) -> TargetValues {
        TargetValues::Labels(self.iter().map(|&l| Some(l)).collect())
    }
}

impl Targets for ndarray::Array1<Option<usize>> {
    fn target_values(&self) -> TargetValues {
        TargetValues::Labels(self.to_vec())
    }
}

impl Targets for ndarray::Array1<f64> {
    fn target_values(&self) -> TargetValues {
        TargetValues::Values(self.to_vec())
    }
}

impl Targets for ndarray::Array1<()> {
    fn target_values(&self) -> TargetValues {
        TargetValues::None
    }
}

/// The `fit` surface of an estimator, written once: linfa's `Fit` on the
/// checked parameters, and inherent `fit` / `fit_records` on both parameter
/// types (the notebook kernel names a cell's types without seeing through
/// linfa's blanket `Fit` for parameter guards, so a cell needs the direct path).
///
/// - `impl_fit!(P, V => F)`: targets are ignored; `V` has
///   `fn fit_impl(&self, ArrayView2<f64>) -> Result<F>`.
/// - `impl_fit!(P, V => F, targets)`: the dataset's [`Targets`] are kept; `V`
///   has `fn fit_impl(&self, ArrayView2<f64>, TargetValues) -> Result<F>`.
macro_rules! impl_fit {
    ($params:ident, $valid:ident => $fitted:ty) => {
        impl<T> linfa::traits::Fit<ndarray::Array2<f64>, T, $crate::error::Error> for $valid {
            type Object = $fitted;

            fn fit(&self, dataset: &linfa::DatasetBase<ndarray::Array2<f64>, T>) -> $crate::error::Result<$fitted> {
                self.fit_impl(dataset.records.view())
            }
        }

        $crate::estimator::impl_fit!(@inherent $params, $valid => $fitted, [T], |v, d| v.fit_impl(d.records.view()), |v, x| v.fit_impl(x));
    };
    ($params:ident, $valid:ident => $fitted:ty, targets) => {
        impl<T: $crate::estimator::Targets> linfa::traits::Fit<ndarray::Array2<f64>, T, $crate::error::Error> for $valid {
            type Object = $fitted;

            fn fit(&self, dataset: &linfa::DatasetBase<ndarray::Array2<f64>, T>) -> $crate::error::Result<$fitted> {
                self.fit_impl(dataset.records.view(), $crate::estimator::Targets::target_values(&dataset.targets))
            }
        }

        $crate::estimator::impl_fit!(@inherent $params, $valid => $fitted, [T: $crate::estimator::Targets],
            |v, d| v.fit_impl(d.records.view(), $crate::estimator::Targets::target_values(&d.targets)),
            |v, x| v.fit_impl(x, $crate::estimator::TargetValues::None));
    };
    (@inherent $params:ident, $valid:ident => $fitted:ty, [$($bound:tt)*], |$v:ident, $d:ident| $on_dataset:expr, |$v2:ident, $x:ident| $on_records:expr) => {
        impl $valid {
            /// Fits on the rows of `records` (no targets).
            pub fn fit_records(&self, records: ndarray::ArrayView2<f64>) -> $crate::error::Result<$fitted> {
                let ($v2, $x) = (self, records);
                $on_records
            }

            /// Fits on the records of `dataset`.
            pub fn fit<$($bound)*>(&self, dataset: &linfa::DatasetBase<ndarray::Array2<f64>, T>) -> $crate::error::Result<$fitted> {
                let ($v, $d) = (self, dataset);
                $on_dataset
            }
        }

        impl $params {
            /// Checks the parameters and fits on the rows of `records` (no targets).
            pub fn fit_records(&self, records: ndarray::ArrayView2<f64>) -> $crate::error::Result<$fitted> {
                linfa::ParamGuard::check_ref(self)?.fit_records(records)
            }

            /// Checks the parameters and fits on the records of `dataset`.
            pub fn fit<$($bound)*>(&self, dataset: &linfa::DatasetBase<ndarray::Array2<f64>, T>) -> $crate::error::Result<$fitted> {
                linfa::ParamGuard::check_ref(self)?.fit(dataset)
            }
        }
    };
}
pub(crate) use impl_fit;

#[cfg(test)]
mod tests {
    use super::*;

    fn message<V: ParamValue>(rule: impl Into<Rule>, v: V) -> String {
        rule.into().check("Thing", "x", &v).unwrap_err().to_string()
    }

    #[test]
    fn messages_name_the_parameter_the_rule_and_the_value() {
        assert_eq!(message(1.., 0usize), "`x` of Thing must be ≥ 1; got 0");
        assert_eq!(message(above(0.0), -1.0), "`x` of Thing must be a finite number > 0; got -1");
        assert_eq!(message(0.0.., f64::NAN), "`x` of Thing must be a finite number ≥ 0; got NaN");
        assert_eq!(message(0.0..=1.0, 2.0), "`x` of Thing must be in [0, 1]; got 2");
        assert_eq!(message(0.0..1.0, 1.0), "`x` of Thing must be in [0, 1); got 1");
        assert_eq!(message(open(0.0, 1.0), 0.0), "`x` of Thing must be in (0, 1); got 0");
        assert_eq!(message(left_open(0.0, 1.0), 0.0), "`x` of Thing must be in (0, 1]; got 0");
        assert_eq!(message(finite(), f64::INFINITY), "`x` of Thing must be finite; got inf");
        assert_eq!(message(2.., Some(1usize)), "`x` of Thing must be ≥ 2; got 1");
    }

    #[test]
    fn admitted_values_and_unset_options_pass() {
        assert!(Rule::from(1..).check("T", "x", &1usize).is_ok());
        assert!(Rule::from(2..).check("T", "x", &None::<usize>).is_ok());
        assert!(Rule::from(0.0..=1.0).check("T", "x", &1.0).is_ok());
        assert!(left_open(0.0, 1.0).check("T", "x", &1.0).is_ok());
    }

    #[test]
    fn violations_are_refused_by_their_rule() {
        let rules: Vec<Rule> = vec![(1..).into(), (2..).into(), (1..=3).into(), above(0.0), (0.0..=1.0).into(), open(0.0, 1.0)];
        for rule in rules {
            if let Some(v) = rule.violation::<usize>() {
                assert!(rule.check("T", "x", &v).is_err(), "{rule:?} admits {v}");
            }
            let f = rule.violation::<f64>().unwrap();
            assert!(rule.check("T", "x", &f).is_err());
        }
        assert_eq!(Rule::from(0..).violation::<usize>(), None);
        assert_eq!(Rule::from(2..).violation::<usize>(), Some(1));
        assert_eq!(Rule::from(1..=3).violation::<usize>(), Some(0));
    }

    struct Demo;

    params! {
        /// Checked demo parameters.
        Demo("Demo") => DemoParams, DemoValidParams {
            /// Neighbours.
            k: usize = 5 => 1..,
            /// A rate.
            rate: f64 = 0.5 => open(0.0, 1.0),
            /// A cap, unset by default.
            cap: Option<usize> = None => 2..; from usize,
            seed: u64 = 0,
        }
        check(p) {
            if p.cap.is_some_and(|c| c < p.k) {
                return Err(Error::param("cap", format!("of Demo must be ≥ k = {}; got {:?}", p.k, p.cap)));
            }
        }
    }

    #[test]
    fn the_macro_builds_checks_and_lists_violations() {
        use linfa::ParamGuard;
        let p = Demo::params().k(3).cap(4).rate(0.25).seed(1).check().unwrap();
        assert_eq!((p.k(), p.rate(), p.cap(), p.seed()), (3, 0.25, Some(4), 1));
        let err = Demo::params().cap(1).check().unwrap_err();
        assert!(matches!(err, Error::Param { name: "cap", .. }), "{err}");
        let err = Demo::params().k(6).cap(5).check().unwrap_err();
        assert_eq!(err.to_string(), "`cap` of Demo must be ≥ k = 6; got Some(5)");
        let names: Vec<_> = DemoValidParams::rule_violations().into_iter().map(|(n, p)| (n, p.check().is_err())).collect();
        assert_eq!(names, vec![("k", true), ("rate", true), ("cap", true)]);
    }
}
