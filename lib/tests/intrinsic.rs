//! Intrinsic-dimension estimators: scikit-dimension's estimates on four sets
//! (fixtures/intrinsic, see its README), the known answers on the benchmark
//! manifolds (issue 4, "Correctness"), determinism, duplicates, and one test
//! per kind of bad input.

// Everything sits in `mod intrinsic` so that `cargo test intrinsic` selects it.
mod intrinsic {
    use lowdim::prelude::*;
    use ndarray_npy::read_npy;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/intrinsic");

    fn fixture(name: &str) -> Array2<f64> {
        read_npy(format!("{FIXTURES}/{name}.npy")).unwrap_or_else(|e| panic!("{name}.npy: {e}"))
    }

    /// scikit-dimension 0.5.0 on the fixtures (shared golden/manifest.json, "intrinsic"):
    /// (set, MLE(K=20) with n_neighbors 20, TwoNN(), lPCA() FO α = 0.05, CorrInt(k1=10, k2=20)).
    /// Same definitions and exact neighbours, so the tolerance is a relative 1e-9
    /// (lPCA's count exactly).
    const GOLDEN: [(&str, f64, f64, f64, f64); 4] = [
        ("ball5_in_10", 4.549049937818028, 4.366868905851333, 5.0, 4.4878894527966775),
        ("sphere3_in_6", 3.945917361760698, 3.8749428268097974, 5.0, 3.9461373133537156),
        ("swissroll", 1.9432733155955064, 1.8829367253512663, 3.0, 1.9359484017864053),
        ("gauss12", 9.964201615542434, 11.053466157488835, 12.0, 8.671596837655896),
    ];

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs()
    }

    #[test]
    fn golden_estimates_match_scikit_dimension() {
        for (name, mle, twonn, lpca, corrint) in GOLDEN {
            let x = fixture(name);
            let ours_mle = Mle::params().n_neighbors(20).fit_records(x.view()).unwrap().dimension();
            let ours_twonn = TwoNn::params().decimation(1).fit_records(x.view()).unwrap().dimension();
            let ours_lpca = Lpca::params().fit_records(x.view()).unwrap().dimension();
            let ours_corrint = CorrInt::params().fit_records(x.view()).unwrap().dimension();
            println!(
                "{name:>13}: MLE {ours_mle:.12} ({:.1e}) | TwoNN {ours_twonn:.12} ({:.1e}) | lPCA {ours_lpca} vs {lpca} | CorrInt {ours_corrint:.12} ({:.1e})",
                rel(ours_mle, mle),
                rel(ours_twonn, twonn),
                rel(ours_corrint, corrint)
            );
            assert!(rel(ours_mle, mle) < 1e-9, "{name}: MLE {ours_mle} vs {mle}");
            assert!(rel(ours_twonn, twonn) < 1e-9, "{name}: TwoNN {ours_twonn} vs {twonn}");
            assert_eq!(ours_lpca, lpca, "{name}: lPCA");
            assert!(rel(ours_corrint, corrint) < 1e-9, "{name}: CorrInt {ours_corrint} vs {corrint}");
        }
    }

    /// scikit-dimension 0.5.0 `MiND_ML` on the fixtures (see the fixtures README):
    /// (set, MLk with k = 20, D = 10; MLi; MLk with D = 20; the exact maximiser
    /// of the MLk likelihood at D = 10, from scipy's brentq on its gradient).
    const GOLDEN_MIND_ML: [(&str, f64, f64, f64, f64); 4] = [
        ("ball5_in_10", 4.5745484533056295, 5.0, 4.5745484533056295, 4.574548416208821),
        ("sphere3_in_6", 3.936617545431259, 4.0, 3.936617545431259, 3.9366175454235357),
        ("swissroll", 2.0, 2.0, 2.0, 1.94517418003994),
        ("gauss12", 10.0, 10.0, 10.279857047455414, 10.0),
    ];

    /// MiND-ML against scikit-dimension. The likelihood and neighbours are the
    /// same, so MLi must agree exactly; MLk is the maximiser of a concave
    /// function, which we find to machine precision while scikit-dimension's
    /// L-BFGS-B stops within its tolerance (a relative 1e-8 here), hence 1e-6.
    /// On the swiss roll L-BFGS-B stops at its integer start 2.0 (the gradient
    /// there is 123, not 0): we match the true maximiser, 1.9452, instead.
    #[test]
    fn golden_mind_ml_matches_scikit_dimension() {
        for (name, mlk, mli, mlk_d20, exact) in GOLDEN_MIND_ML {
            let x = fixture(name);
            let ours = MindMl::params().fit_records(x.view()).unwrap().dimension();
            let ours_mli = MindMl::params().version(MindMlVersion::Mli).fit_records(x.view()).unwrap().dimension();
            let ours_d20 = MindMl::params().d_max(20).fit_records(x.view()).unwrap().dimension();
            println!(
                "{name:>13}: MLk {ours:.10} (skdim {mlk}, exact {exact}) | MLi {ours_mli} | MLk D=20 {ours_d20:.10} (skdim {mlk_d20})"
            );
            assert_eq!(ours_mli, mli, "{name}: MLi");
            assert!(rel(ours, exact) < 1e-9, "{name}: MLk {ours} vs exact maximiser {exact}");
            if name != "swissroll" {
                assert!(rel(ours, mlk) < 1e-6, "{name}: MLk {ours} vs {mlk}");
                assert!(rel(ours_d20, mlk_d20) < 1e-6, "{name}: MLk D = 20 {ours_d20} vs {mlk_d20}");
            }
        }
    }

    /// Issue 4: low-ID benchmark manifolds within ±0.3 of the truth for MLE and TwoNN.
    const LOW_ID: [(Benchmark, usize); 5] = [
        (Benchmark::M5aHelix1d, 1),
        (Benchmark::M7Roll, 2),
        (Benchmark::M13aScurve, 2),
        (Benchmark::M11Moebius, 2),
        (Benchmark::M2Affine3to5, 3),
    ];

    #[test]
    fn low_dimensional_benchmarks_within_0_3_of_the_truth() {
        for (b, truth) in LOW_ID {
            assert_eq!(b.intrinsic_dim(), truth);
            let x = benchmark_manifold(b, 2000, 1).unwrap();
            let mle = Mle::params().fit_records(x.view()).unwrap().dimension();
            let twonn = TwoNn::params().decimation(1).fit_records(x.view()).unwrap().dimension();
            let corrint = CorrInt::params().fit_records(x.view()).unwrap().dimension();
            let local = Lpca::params().local(50).fit_records(x.view()).unwrap().dimension();
            println!("{:>16} (ID {truth}): MLE {mle:.3}  TwoNN {twonn:.3}  CorrInt {corrint:.3}  local PCA(50) {local:.3}", b.name());
            assert!((mle - truth as f64).abs() <= 0.3, "{}: MLE {mle}", b.name());
            assert!((twonn - truth as f64).abs() <= 0.3, "{}: TwoNN {twonn}", b.name());
        }
    }

    /// Issue 4: higher-ID manifolds are under-estimated, monotonically in the
    /// true ID. The hypercube surfaces M10a–d share one construction (10, 17,
    /// 24 and 70 dimensions).
    #[test]
    fn high_dimensional_benchmarks_are_underestimated_monotonically() {
        let family = [Benchmark::M10aCubic, Benchmark::M10bCubic, Benchmark::M10cCubic, Benchmark::M10dCubic];
        let mut last = (0.0, 0.0);
        for b in family {
            let x = benchmark_manifold(b, 2000, 1).unwrap();
            let truth = b.intrinsic_dim() as f64;
            let mle = Mle::params().fit_records(x.view()).unwrap().dimension();
            let twonn = TwoNn::params().decimation(1).fit_records(x.view()).unwrap().dimension();
            println!("{:>12} (ID {truth}): MLE {mle:.3}  TwoNN {twonn:.3}", b.name());
            assert!(mle < truth && twonn < truth, "{}: MLE {mle}, TwoNN {twonn}", b.name());
            assert!(mle > last.0 && twonn > last.1, "{}: not monotone ({mle}, {twonn}) after {last:?}", b.name());
            last = (mle, twonn);
        }
        for b in [Benchmark::M1Sphere, Benchmark::M9Affine, Benchmark::M12Norm, Benchmark::M8Nonlinear] {
            let x = benchmark_manifold(b, 2000, 1).unwrap();
            let mle = Mle::params().fit_records(x.view()).unwrap().dimension();
            let twonn = TwoNn::params().decimation(1).fit_records(x.view()).unwrap().dimension();
            println!("{:>12} (ID {}): MLE {mle:.3}  TwoNN {twonn:.3}", b.name(), b.intrinsic_dim());
        }
    }

    /// The curves: MLE's estimate at every k (read off at k), CorrInt's and
    /// TwoNN's against the scale, lPCA's spectrum; each draws as a figure.
    #[test]
    fn curves_and_figures() {
        let ds = swiss_roll(600, 0.0, 3).unwrap();
        let x = ds.records();
        let mle = Mle::params().n_neighbors(10).fit(&ds).unwrap();
        let c = mle.curve();
        assert_eq!(c.x(), (2..=20).map(|k| k as f64).collect::<Vec<_>>().as_slice());
        assert!((c.y()[8] - mle.dimension()).abs() < 1e-12);
        assert_eq!(c.marked(), Some((10.0, mle.dimension())));
        let fig = mle.figure().unwrap();
        assert_eq!(fig.n_traces(), 3); // curve, reference line, marked k
        assert!(fig.title_text().unwrap().starts_with("MLE (k = 10)"));
        assert!(fig.to_json()["data"][0]["y"].as_array().unwrap().iter().all(|v| v.is_number()));

        // MacKay–Ghahramani: the global estimate is the inverse of the mean inverse.
        let p = mle.pointwise().unwrap();
        assert_eq!(p.len(), 600);
        let mean_inverse = p.iter().map(|v| 1.0 / v).sum::<f64>() / 600.0;
        assert!((1.0 / mean_inverse - mle.dimension()).abs() < 1e-9);

        let twonn = TwoNn::params().fit_records(x.view()).unwrap();
        assert_eq!(twonn.curve().x(), &[75.0, 150.0, 300.0, 600.0]);
        assert_eq!(twonn.curve().y().last(), Some(&twonn.dimension()));
        assert!(twonn.pointwise().is_none());

        let corr = CorrInt::params().fit_records(x.view()).unwrap();
        let xs = corr.curve().x();
        assert_eq!(xs.len(), 20);
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "scales ascend");

        let pca = Lpca::params().fit_records(x.view()).unwrap();
        assert_eq!(pca.curve().y()[0], 1.0);
        assert_eq!(pca.curve().reference(), Some(("α = 0.05", 0.05)));
        let local = Lpca::params().local(40).fit_records(x.view()).unwrap();
        assert_eq!(local.curve().x(), &[5.0, 10.0, 20.0, 40.0]);
        for est in [&mle, &twonn, &corr, &pca, &local] {
            assert!(est.figure().unwrap().n_traces() >= 2, "{est}");
            assert!(est.curve().y().iter().all(|v| v.is_finite()));
        }
        // Through linfa's trait, on the checked parameters too.
        let via_trait = linfa::traits::Fit::fit(&TwoNn::params().decimation(1), &ds).unwrap();
        assert_eq!(via_trait.dimension(), twonn.dimension());
        let checked = CorrInt::params().check().unwrap();
        assert_eq!(checked.fit(&ds).unwrap(), corr);
    }

    /// Same bits at 1 and 2 threads, and for a repeated fit.
    #[test]
    fn deterministic_across_thread_counts() {
        let x = benchmark_manifold(Benchmark::M11Moebius, 800, 4).unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                (
                    Mle::params().fit_records(x.view()).unwrap(),
                    TwoNn::params().fit_records(x.view()).unwrap(),
                    CorrInt::params().fit_records(x.view()).unwrap(),
                    Lpca::params().local(30).fit_records(x.view()).unwrap(),
                )
            })
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one, two);
        assert_eq!(one, run(2));
    }

    /// Exact duplicates are merged before the neighbour-based methods run
    /// (zero distances break MLE and TwoNN): the estimates equal those of the
    /// distinct points, duplicates get their first copy's per-point estimate.
    #[test]
    fn duplicates_are_merged() {
        let x = benchmark_manifold(Benchmark::M7Roll, 500, 2).unwrap();
        let mut rows: Vec<usize> = (0..500).collect();
        rows.extend([3, 3, 7, 499, 0]);
        let dup = x.select(Axis(0), &rows);
        let clean = Mle::params().fit_records(x.view()).unwrap();
        let merged = Mle::params().fit_records(dup.view()).unwrap();
        assert_eq!(merged.n_duplicates(), 5);
        assert_eq!(merged.n_samples(), 505);
        assert_eq!(merged.dimension(), clean.dimension());
        let p = merged.pointwise().unwrap();
        assert_eq!(p[500], p[3]);
        assert_eq!(p[504], p[0]);
        assert!(p.iter().all(|v| v.is_finite()));
        let clean = TwoNn::params().decimation(1).fit_records(x.view()).unwrap().dimension();
        assert_eq!(TwoNn::params().decimation(1).fit_records(dup.view()).unwrap().dimension(), clean);
        let clean = CorrInt::params().fit_records(x.view()).unwrap().dimension();
        assert_eq!(CorrInt::params().fit_records(dup.view()).unwrap().dimension(), clean);
        assert!(format!("{merged}").contains("5 duplicates merged"));

        // k must stay below the number of distinct points, and the message says so.
        let few = Array2::from_shape_fn((30, 2), |(i, j)| ((i % 5) * (j + 1)) as f64);
        let err = Mle::params().n_neighbors(5).fit_records(few.view()).unwrap_err();
        assert!(matches!(err, Error::Param { name: "n_neighbors", .. }), "{err}");
        assert!(err.to_string().contains("n_distinct = 5 (n_samples = 30 with 25 duplicate rows merged)"), "{err}");
    }

    /// Label sharpness: the largest label change per unit distance over all
    /// pairs of the sample, checked by brute force.
    #[test]
    fn label_sharpness_is_the_largest_pairwise_ratio() {
        let ds = swiss_roll(300, 0.1, 5).unwrap();
        let x = ds.records().clone();
        let labels: Array1<usize> = ds.targets().mapv(|t| usize::from(t > 10.0));
        let ks = LabelSharpness::params().fit_labels(x.view(), labels.view()).unwrap();
        let mut brute: f64 = 0.0;
        for i in 0..300 {
            for j in 0..i {
                if labels[i] != labels[j] {
                    let d = (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum().sqrt();
                    brute = brute.max(1.0 / d);
                }
            }
        }
        assert!((ks.k_f() - brute).abs() < 1e-12 * brute, "{} vs {brute}", ks.k_f());
        let (a, b) = ks.pair();
        assert_ne!(labels[a], labels[b]);
        assert!((1.0 / ks.distance() - ks.k_f()).abs() < 1e-12);
        assert_eq!(ks.n_used(), 300);
        let ys = ks.curve().y();
        assert!(ys.windows(2).all(|w| w[0] <= w[1]) && ys.last() == Some(&ks.k_f()));
        assert!(ks.figure().is_ok());
        // Real-valued targets through linfa's Fit: |y_j − y_k| / distance.
        let values = LabelSharpness::params().fit(&ds).unwrap();
        assert!(values.k_f() > 0.0 && values.k_f().is_finite());
        // A sample of M points: deterministic per seed, never above the full value.
        let sub = LabelSharpness::params().n_samples(100).seed(9).fit_labels(x.view(), labels.view()).unwrap();
        assert_eq!(sub.n_used(), 100);
        assert!(sub.k_f() <= ks.k_f());
        assert_eq!(sub, LabelSharpness::params().n_samples(100).seed(9).fit_labels(x.view(), labels.view()).unwrap());
    }

    // ---- bad input: one test per error path ----

    fn small() -> Array2<f64> {
        benchmark_manifold(Benchmark::M7Roll, 50, 0).unwrap()
    }

    #[test]
    fn non_finite_input_is_rejected() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut x = small();
            x[[7, 1]] = bad;
            assert!(matches!(Mle::params().fit_records(x.view()), Err(Error::Data(_))));
            assert!(matches!(TwoNn::params().fit_records(x.view()), Err(Error::Data(_))));
            assert!(matches!(Lpca::params().fit_records(x.view()), Err(Error::Data(_))));
            assert!(matches!(Lpca::params().local(5).fit_records(x.view()), Err(Error::Data(_))));
            assert!(matches!(CorrInt::params().fit_records(x.view()), Err(Error::Data(_))));
            let labels = Array1::<usize>::zeros(50);
            assert!(matches!(LabelSharpness::params().fit_labels(x.view(), labels.view()), Err(Error::Data(_))));
        }
        let x = small();
        let mut y = Array1::<f64>::zeros(50);
        y[3] = f64::NAN;
        assert!(matches!(LabelSharpness::params().fit_values(x.view(), y.view()), Err(Error::Data(_))));
    }

    #[test]
    fn k_at_least_n_is_rejected() {
        let x = small();
        let err = Mle::params().n_neighbors(50).fit_records(x.view()).unwrap_err();
        assert!(matches!(err, Error::Param { name: "n_neighbors", .. }));
        assert_eq!(err.to_string(), "`n_neighbors` of MLE must be in [2, n_samples = 50); got 50");
        assert!(Mle::params().n_neighbors(49).fit_records(x.view()).is_ok());
        assert!(matches!(CorrInt::params().k1(10).k2(50).fit_records(x.view()), Err(Error::Param { name: "k2", .. })));
        assert!(matches!(Lpca::params().local(50).fit_records(x.view()), Err(Error::Param { name: "local", .. })));
    }

    #[test]
    fn bad_parameters_are_rejected_before_the_data_is_read() {
        let x = small();
        assert!(matches!(Mle::params().n_neighbors(1).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(
            Mle::params().n_neighbors(10).curve_k_max(5).fit_records(x.view()),
            Err(Error::Param { name: "curve_k_max", .. })
        ));
        assert!(matches!(TwoNn::params().discard_fraction(1.0).fit_records(x.view()), Err(Error::Param { name: "discard_fraction", .. })));
        assert!(matches!(TwoNn::params().decimation(0).fit_records(x.view()), Err(Error::Param { name: "decimation", .. })));
        assert!(matches!(Lpca::params().alpha(0.0).fit_records(x.view()), Err(Error::Param { name: "alpha", .. })));
        assert!(matches!(Lpca::params().local(1).fit_records(x.view()), Err(Error::Param { name: "local", .. })));
        assert!(matches!(CorrInt::params().k1(0).fit_records(x.view()), Err(Error::Param { name: "k1", .. })));
        assert!(matches!(CorrInt::params().k1(20).k2(10).fit_records(x.view()), Err(Error::Param { name: "k2", .. })));
        let labels = Array1::<usize>::zeros(50);
        assert!(matches!(
            LabelSharpness::params().n_samples(1).fit_labels(x.view(), labels.view()),
            Err(Error::Param { name: "n_samples", .. })
        ));
    }

    #[test]
    fn empty_or_too_small_input_is_rejected() {
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(Mle::params().fit_records(empty.view()), Err(Error::Data(_))));
        assert!(matches!(Lpca::params().fit_records(Array2::<f64>::zeros((5, 0)).view()), Err(Error::Data(_))));
        let same = Array2::<f64>::ones((10, 2));
        assert!(matches!(TwoNn::params().fit_records(same.view()), Err(Error::Data(_))));
        assert!(matches!(Mle::params().n_neighbors(2).fit_records(same.view()), Err(Error::Param { name: "n_neighbors", .. })));
        let x = small();
        let short = Array1::<usize>::zeros(49);
        assert!(matches!(LabelSharpness::params().fit_labels(x.view(), short.view()), Err(Error::Data(_))));
    }

    /// Unit squares far apart: every point's two nearest neighbours are both
    /// at distance exactly 1, so MLE at k = 2 and TwoNN are unbounded; both say
    /// so instead of returning ∞ or NaN. Likewise CorrInt when r₁ = r₂.
    #[test]
    fn equidistant_neighbours_are_reported() {
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
        let x = Array2::from_shape_fn((40, 2), |(i, j)| {
            let (cx, cy) = corners[i % 4];
            if j == 0 {
                cx + 100.0 * (i / 4) as f64
            } else {
                cy
            }
        });
        let err = Mle::params().n_neighbors(2).fit_records(x.view()).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
        assert!(err.to_string().contains("equidistant"), "{err}");
        // At k = 3 the third neighbour (the far corner) bounds it again.
        assert!(Mle::params().n_neighbors(3).fit_records(x.view()).unwrap().dimension().is_finite());
        let err = TwoNn::params().decimation(1).fit_records(x.view()).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
        // On an exact lattice line (integer steps) the equal distances are exact.
        let line = Array2::from_shape_fn((30, 1), |(i, _)| i as f64);
        let err = CorrInt::params().k1(1).k2(2).fit_records(line.view()).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
    }
}
