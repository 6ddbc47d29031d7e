//! The common estimator checks, as scikit-learn's `check_estimator`: one line
//! per estimator of the crate, each line a module of tests.
//!
//! For every estimator: the defaults are valid; each broken parameter rule is an
//! `Error::Param` naming that parameter, at `check` and at fit; NaN, ±∞, no rows
//! and no columns are typed errors; one row, constant columns, duplicate rows and
//! too few points for the neighbour count are typed errors or finite results,
//! never a panic; new points of the wrong width are an error; labels of the wrong
//! length are an error where targets are kept; 1 and 4 threads give the same bits;
//! a fitted model saved and loaded is equal to itself.
//!
//! An estimator declared with `params!` but missing here fails
//! `every_estimator_is_checked`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use linfa::ParamGuard;
use lowdim::prelude::*;
use serde::Serialize;

/// The points most checks fit on: a noisy swiss roll, 60 × 3.
fn points() -> Array2<f64> {
    swiss_roll(60, 0.05, 7).expect("a valid swiss roll").records().to_owned()
}

/// Runs `f`, turning a panic into a test failure that names the case.
fn no_panic<R>(case: &str, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("{case}: panicked instead of returning a typed error"))
}

/// Every float the fitted `value` holds (as serde sees it) is finite.
fn all_finite(value: &impl Serialize) -> bool {
    // serde_json writes a non-finite float as null. The parameters a model
    // keeps may hold unset options (null too), so they are skipped.
    fn walk(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Null => false,
            serde_json::Value::Array(a) => a.iter().all(walk),
            serde_json::Value::Object(o) => o.iter().all(|(key, v)| key.contains("params") || walk(v)),
            _ => true,
        }
    }
    walk(&serde_json::to_value(value).expect("fitted models serialise"))
}

/// The inputs no estimator can use: each must be a typed `Err`.
fn unusable_inputs() -> Vec<(&'static str, Array2<f64>)> {
    let x = points();
    let with = |v: f64| {
        let mut y = x.clone();
        y[[7, 1]] = v;
        y
    };
    vec![
        ("NaN", with(f64::NAN)),
        ("+inf", with(f64::INFINITY)),
        ("-inf", with(f64::NEG_INFINITY)),
        ("no rows", Array2::zeros((0, 3))),
        ("no columns", Array2::zeros((60, 0))),
    ]
}

/// The awkward inputs an estimator may accept: each must be a typed `Err` or
/// a fit with finite numbers.
fn awkward_inputs() -> Vec<(&'static str, Array2<f64>)> {
    let x = points();
    let mut constant = x.clone();
    constant.column_mut(2).fill(3.5);
    let duplicated = ndarray::concatenate![Axis(0), x.slice(s![..30, ..]), x.slice(s![..30, ..])];
    vec![
        ("one row", x.slice(s![..1, ..]).to_owned()),
        ("three rows (fewer than the neighbour count)", x.slice(s![..3, ..]).to_owned()),
        ("a constant column", constant),
        ("every row twice", duplicated),
    ]
}

/// `f` under a rayon pool of `threads` threads.
fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool").install(f)
}

/// A scratch path for one estimator's saved model.
fn scratch(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("lowdim-checks-{name}-{}.json", std::process::id()));
    path.to_str().expect("the temp dir is a UTF-8 path").to_owned()
}

/// The checks every estimator with `fit_records` gets, one module per line.
///
/// `check_estimator!(module: Estimator [=> Fitted], Params, ValidParams = params_expr; extras)`,
/// where the extras name what else the fitted model offers: `transform`
/// (new points through `transform(ArrayView2)`), `predict` (labels through
/// `predict(ArrayView2)`), `targets` (the fit keeps the dataset's targets).
macro_rules! check_estimator {
    ($name:ident: $est:ident $(=> $fitted_ty:ty)?, $params_ty:ty, $valid:ty = $params:expr $(; $($extra:ident),*)?) => {
        mod $name {
            use super::*;

            /// What a fit returns: the estimator's own type unless named after `=>`.
            #[allow(dead_code)]
            type Fitted = check_estimator!(@fitted $est $(, $fitted_ty)?);

            fn params() -> $params_ty {
                $params
            }

            /// Valid, or (for a parameter with no default, such as a number
            /// of clusters) an error saying which one must be set.
            #[test]
            fn defaults_are_valid() {
                match $est::params().check() {
                    Ok(_) => {}
                    Err(e @ Error::Param { .. }) if e.to_string().contains("must be set") => {}
                    Err(e) => panic!("the defaults fail their own check: {e}"),
                }
            }

            #[test]
            fn each_broken_rule_names_its_parameter() {
                let x = points();
                for (name, bad) in <$valid>::rule_violations() {
                    match bad.clone().check() {
                        Err(Error::Param { name: got, .. }) => assert_eq!(got, name, "check of a broken `{name}`"),
                        other => panic!("a broken `{name}` passed check: {other:?}"),
                    }
                    match no_panic(name, || bad.fit_records(x.view())) {
                        Err(Error::Param { name: got, .. }) => assert_eq!(got, name, "fit with a broken `{name}`"),
                        Err(e) => panic!("fit with a broken `{name}` failed with another error: {e}"),
                        Ok(_) => panic!("fit with a broken `{name}` succeeded"),
                    }
                }
            }

            #[test]
            fn unusable_data_is_a_typed_error() {
                for (case, x) in unusable_inputs() {
                    let fitted = no_panic(case, || params().fit_records(x.view()));
                    assert!(fitted.is_err(), "{case}: fit succeeded");
                }
            }

            #[test]
            fn awkward_data_is_an_error_or_finite() {
                for (case, x) in awkward_inputs() {
                    if let Ok(m) = no_panic(case, || params().fit_records(x.view())) {
                        assert!(all_finite(&m), "{case}: the fit holds non-finite numbers");
                    }
                }
            }

            #[test]
            fn threads_do_not_change_the_bits() {
                let x = points();
                let one = with_threads(1, || params().fit_records(x.view())).expect("fits on the swiss roll");
                let four = with_threads(4, || params().fit_records(x.view())).expect("fits on the swiss roll");
                assert!(all_finite(&one), "the fit holds non-finite numbers");
                assert!(one == four, "1 and 4 threads differ");
            }

            #[test]
            fn save_then_load_gives_the_same_model() {
                let m = params().fit_records(points().view()).expect("fits on the swiss roll");
                let path = scratch(stringify!($name));
                m.save(&path).expect("saves");
                let back = Fitted::load(&path).expect("loads");
                std::fs::remove_file(&path).ok();
                assert!(back == m, "the loaded model differs");
            }

            $($(check_estimator!(@$extra);)*)?
        }
    };
    (@fitted $est:ident) => { $est };
    (@fitted $est:ident, $fitted:ty) => { $fitted };
    (@transform) => {
        #[test]
        fn new_points_of_the_wrong_width_are_an_error() {
            let m = params().fit_records(points().view()).expect("fits on the swiss roll");
            let err = no_panic("transform", || m.transform(Array2::<f64>::zeros((4, 2)).view()));
            assert!(err.is_err(), "transform took 2 columns from a 3-column fit");
            let nan = no_panic("transform", || m.transform(Array2::<f64>::from_elem((4, 3), f64::NAN).view()));
            assert!(nan.is_err(), "transform took NaN");
        }
    };
    (@predict) => {
        #[test]
        fn new_points_of_the_wrong_width_are_an_error() {
            let m = params().fit_records(points().view()).expect("fits on the swiss roll");
            let err = no_panic("predict", || m.predict(Array2::<f64>::zeros((4, 2)).view()));
            assert!(err.is_err(), "predict took 2 columns from a 3-column fit");
        }
    };
    (@targets) => {
        #[test]
        fn labels_of_the_wrong_length_are_an_error() {
            let x = points();
            let short = Dataset::new(x.clone(), Array1::<usize>::zeros(x.nrows() - 1));
            let fitted = no_panic("fit", || params().fit(&short));
            assert!(matches!(fitted, Err(Error::Data(_))), "59 labels for 60 points: {:?}", fitted.err());
        }
    };
}

check_estimator!(isomap: Isomap, IsomapParams, IsomapValidParams = Isomap::params().n_neighbors(8); transform, targets);
check_estimator!(umap: Umap, UmapParams, UmapValidParams = Umap::params().n_neighbors(10).n_epochs(30); transform, targets);
check_estimator!(tsne: Tsne, TsneParams, TsneValidParams = Tsne::params().perplexity(10.0).max_iter(250); targets);
check_estimator!(lle: LocallyLinearEmbedding, LleParams, LleValidParams = LocallyLinearEmbedding::params().n_neighbors(8); transform, targets);
check_estimator!(spectral_embedding: SpectralEmbedding, SpectralEmbeddingParams, SpectralEmbeddingValidParams = SpectralEmbedding::params().n_neighbors(8); targets);
check_estimator!(classical_mds: ClassicalMds, ClassicalMdsParams, ClassicalMdsValidParams = ClassicalMds::params(); targets);
check_estimator!(kernel_pca: KernelPca, KernelPcaParams, KernelPcaValidParams = KernelPca::params(); transform, targets);
check_estimator!(randomized_pca: RandomizedPca, RandomizedPcaParams, RandomizedPcaValidParams = RandomizedPca::params(); transform);
check_estimator!(sparse_random_projection: SparseRandomProjection, SparseRandomProjectionParams, SparseRandomProjectionValidParams = SparseRandomProjection::params().n_components(2); transform);
check_estimator!(fastrp: FastRp, FastRpParams, FastRpValidParams = FastRp::params().dim(8).n_neighbors(5));

check_estimator!(mle: Mle => IdEstimate, MleParams, MleValidParams = Mle::params().n_neighbors(5));
check_estimator!(twonn: TwoNn => IdEstimate, TwoNnParams, TwoNnValidParams = TwoNn::params());
check_estimator!(lpca: Lpca => IdEstimate, LpcaParams, LpcaValidParams = Lpca::params());
check_estimator!(corrint: CorrInt => IdEstimate, CorrIntParams, CorrIntValidParams = CorrInt::params());
check_estimator!(mind_ml: MindMl => IdEstimate, MindMlParams, MindMlValidParams = MindMl::params().n_neighbors(5));

check_estimator!(k_subspaces: KSubspaces, KSubspacesParams, KSubspacesValidParams = KSubspaces::params().n_clusters(2).dim(1); predict);
check_estimator!(ensc: Ensc, EnscParams, EnscValidParams = Ensc::params().n_clusters(2).n_init(2));
check_estimator!(lofkm: Lofkm, LofkmParams, LofkmValidParams = Lofkm::params().n_clusters(2).n_neighbors(5));
check_estimator!(ppp: Ppp, PppParams, PppValidParams = Ppp::params().k_range(2, 4));
check_estimator!(spectral_clustering: SpectralClustering, SpectralClusteringParams, SpectralClusteringValidParams = SpectralClustering::params().n_clusters(2));
check_estimator!(kmeans_elbow: KMeansElbow, KMeansElbowParams, KMeansElbowValidParams = KMeansElbow::params().k_range(2, 5));

check_estimator!(volume_sampling: VolumeSampling => RowSample, VolumeSamplingParams, VolumeSamplingValidParams = VolumeSampling::params().n(5));
check_estimator!(lp_sampling: LpSampling => RowSample, LpSamplingParams, LpSamplingValidParams = LpSampling::params().p(1.0).m(20));

/// The estimators whose input is not one matrix, checked by hand on the same
/// points:
/// - checked by hand: LabelSharpness (records and required targets)
/// - checked by hand: Dsir (two lists of documents)
/// - checked by hand: SlicedWasserstein (two point clouds)
mod by_hand {
    use super::*;

    fn labels() -> Array1<usize> {
        Array1::from_shape_fn(60, |i| i % 3)
    }

    /// Each broken rule is an `Error::Param` under its own name at `check`.
    fn rules_name_their_parameter<P: ParamGuard<Error = Error> + Clone>(violations: Vec<(&'static str, P)>) {
        for (name, bad) in violations {
            match bad.check() {
                Err(Error::Param { name: got, .. }) => assert_eq!(got, name),
                Err(e) => panic!("a broken `{name}` failed with another error: {e}"),
                Ok(_) => panic!("a broken `{name}` passed check"),
            }
        }
    }

    #[test]
    fn label_sharpness() {
        rules_name_their_parameter(LabelSharpnessValidParams::rule_violations());
        LabelSharpness::params().check().expect("the defaults are valid");
        let p = LabelSharpness::params().n_samples(200);
        for (case, x) in unusable_inputs() {
            let n = x.nrows();
            let fitted = no_panic(case, || p.fit(&Dataset::new(x, Array1::from_shape_fn(n, |i| i % 3))));
            assert!(fitted.is_err(), "{case}: fit succeeded");
        }
        let short = no_panic("fit", || p.fit(&Dataset::new(points(), Array1::<usize>::zeros(59))));
        assert!(short.is_err(), "59 labels for 60 points");
        let ds = Dataset::new(points(), labels());
        let one = with_threads(1, || p.fit(&ds)).expect("fits");
        let four = with_threads(4, || p.fit(&ds)).expect("fits");
        assert!(one == four && all_finite(&one), "1 and 4 threads differ, or the result is not finite");
    }

    #[test]
    fn dsir() {
        rules_name_their_parameter(DsirValidParams::rule_violations());
        let docs = |words: &[&str]| -> Vec<String> { words.iter().map(|w| format!("{w} {w} text")).collect() };
        let (target, raw) = (docs(&["alpha", "beta"]), docs(&["alpha", "gamma", "beta", "delta"]));
        let p = Dsir::params().k(2);
        assert!(no_panic("fit", || p.fit(&[], &raw)).is_err(), "an empty target is an error");
        assert!(no_panic("fit", || p.fit(&target, &raw[..1])).is_err(), "k above the raw documents is an error");
        let one = with_threads(1, || p.fit(&target, &raw)).expect("selects");
        let four = with_threads(4, || p.fit(&target, &raw)).expect("selects");
        assert_eq!(one.indices(), four.indices());
    }

    #[test]
    fn sliced_wasserstein() {
        rules_name_their_parameter(SlicedWassersteinValidParams::rule_violations());
        let p = SlicedWasserstein::params();
        let x = points();
        let y = x.mapv(|v| v + 0.5);
        for (case, bad) in unusable_inputs() {
            assert!(no_panic(case, || p.estimate(bad.view(), y.view())).is_err(), "{case}: estimate succeeded");
        }
        assert!(no_panic("estimate", || p.estimate(x.view(), y.slice(s![.., ..2]))).is_err(), "widths 3 and 2");
        let one = with_threads(1, || p.estimate(x.view(), y.view())).expect("estimates");
        let four = with_threads(4, || p.estimate(x.view(), y.view())).expect("estimates");
        assert_eq!(one.value.to_bits(), four.value.to_bits());
    }
}

/// Every `params!` block of the crate has a line above: a new estimator
/// without one fails here.
#[test]
fn every_estimator_is_checked() {
    let this = include_str!("estimator_checks.rs");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut missing = Vec::new();
    for file in rust_files(std::path::Path::new(src)) {
        let text = std::fs::read_to_string(&file).expect("a readable source file");
        for fitted in declared_estimators(&text) {
            let line = format!(": {fitted},");
            let returning = format!(": {fitted} =>");
            let special = format!("checked by hand: {fitted}");
            if fitted != "Demo" && !this.contains(&line) && !this.contains(&returning) && !this.contains(&special) {
                missing.push(format!("{fitted} ({})", file.display()));
            }
        }
    }
    assert!(missing.is_empty(), "estimators without a check_estimator! line: {missing:?}");
}

/// The fitted type names of the `params!` blocks in `text` (`Name("Display") =>`).
fn declared_estimators(text: &str) -> Vec<String> {
    text.split("params! {")
        .skip(1)
        .filter_map(|block| {
            let head = block.lines().map(str::trim).find(|l| !l.starts_with("///") && !l.is_empty())?;
            let name = head.split('(').next()?.trim();
            name.chars().all(|c| c.is_ascii_alphanumeric()).then(|| name.to_owned())
        })
        .collect()
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a readable source dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}
