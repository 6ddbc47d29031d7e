//! UMAP against umap-learn's outputs on iris (fixtures/umap_iris, see its
//! README), its own iris quality check, determinism across thread counts,
//! persistence, new points, and one test per kind of bad input.

use lowdim::prelude::*;
use ndarray_npy::read_npy;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/umap_iris");

fn fixture<T: ndarray_npy::ReadableElement, D: ndarray::Dimension>(name: &str) -> ndarray::Array<T, D> {
    read_npy(format!("{FIXTURES}/{name}.npy")).unwrap_or_else(|e| panic!("{name}.npy: {e}"))
}

fn iris() -> Array2<f64> {
    fixture("X")
}

/// Iris classes: the rows come in three blocks of 50.
fn iris_labels() -> Array1<usize> {
    Array1::from_shape_fn(150, |i| i / 50)
}

/// umap-learn's kNN rows without the point itself (it lists itself, or a
/// duplicate, first), as a graph of the 14 others.
fn golden_knn_without_self() -> KnnGraph {
    let idx: Array2<i32> = fixture("knn_indices");
    let dist: Array2<f32> = fixture("knn_dists");
    let mut indices = Array2::<usize>::zeros((150, 14));
    let mut distances = Array2::<f64>::zeros((150, 14));
    for i in 0..150 {
        let row: Vec<(usize, f64)> =
            idx.row(i).iter().zip(dist.row(i)).filter(|(&j, _)| j as usize != i).map(|(&j, &d)| (j as usize, d as f64)).collect();
        for c in 0..14 {
            indices[[i, c]] = row[c].0;
            distances[[i, c]] = row[c].1;
        }
    }
    KnnGraph::new(indices, distances).unwrap()
}

#[test]
fn golden_exact_knn_matches_umap_learn() {
    let x = iris();
    let ours = exact_knn(x.view(), 14, Metric::Euclidean).unwrap();
    let golden = golden_knn_without_self();
    for i in 0..150 {
        for c in 0..14 {
            let (d_ours, d_gold) = (ours.distances()[[i, c]], golden.distances()[[i, c]]);
            assert!((d_ours - d_gold).abs() < 1e-5 * (1.0 + d_gold), "row {i} col {c}: {d_ours} vs {d_gold}");
            // Where umap-learn picked another point of a tie, it lies at our distance.
            let j = golden.indices()[[i, c]];
            let d_j = Metric::Euclidean.distance(x.row(i), x.row(j)).unwrap();
            assert!((d_j - d_ours).abs() < 1e-5 * (1.0 + d_ours), "row {i} col {c}");
        }
    }
}

#[test]
fn golden_smooth_knn_dist_matches_umap_learn() {
    let (sigmas, rhos) = smooth_knn_dist(&golden_knn_without_self(), 1.0).unwrap();
    let want_sigma: Array1<f32> = fixture("sigmas");
    let want_rho: Array1<f32> = fixture("rhos");
    for i in 0..150 {
        assert!((rhos[i] - want_rho[i] as f64).abs() < 1e-6, "rho {i}: {} vs {}", rhos[i], want_rho[i]);
        let rel = (sigmas[i] - want_sigma[i] as f64).abs() / want_sigma[i] as f64;
        assert!(rel < 1e-4, "sigma {i}: {} vs {}", sigmas[i], want_sigma[i]);
    }
}

#[test]
fn golden_fuzzy_union_matches_umap_learn() {
    let graph = fuzzy_simplicial_set(&golden_knn_without_self(), 1.0, 1.0).unwrap();
    let rows: Array1<i32> = fixture("graph_rows");
    let cols: Array1<i32> = fixture("graph_cols");
    let vals: Array1<f32> = fixture("graph_vals");
    assert_eq!(graph.n_entries(), vals.len());
    let mut worst = 0.0f64;
    for ((&i, &j), &v) in rows.iter().zip(&cols).zip(&vals) {
        let w = graph.weight(i as usize, j as usize);
        worst = worst.max((w - v as f64).abs());
    }
    assert!(worst < 1e-5, "largest weight difference {worst}");
    let dense = graph.to_dense();
    assert_eq!(dense, dense.t());
}

#[test]
fn golden_ab_params_match_umap_learn() {
    let rows: Array2<f64> = fixture("ab_params");
    for row in rows.outer_iter() {
        let (min_dist, spread) = (row[0], row[1]);
        let (a, b) = find_ab_params(spread, min_dist).unwrap();
        assert!((a - row[2]).abs() < 1e-4 * row[2], "a for ({min_dist}, {spread}): {a} vs {}", row[2]);
        assert!((b - row[3]).abs() < 1e-4 * row[3], "b for ({min_dist}, {spread}): {b} vs {}", row[3]);
    }
}

/// umap-learn's `test_umap_on_iris`: n_neighbors 10, min_dist 0.01 keeps
/// trustworthiness(k = 10) at 0.97 or above.
#[test]
fn iris_trustworthiness_as_umap_learn_asks() {
    let x = iris();
    let umap = Umap::params().n_neighbors(10).min_dist(0.01).seed(42).fit_records(x.view()).unwrap();
    let t = trustworthiness(x.view(), umap.embedding().view(), 10).unwrap();
    println!("iris trustworthiness(k = 10): {t:.4} (umap-learn 0.9787 at defaults)");
    assert!(t >= 0.97, "trustworthiness {t}");
    let d = Umap::params().fit_records(x.view()).unwrap();
    let t = trustworthiness(x.view(), d.embedding().view(), 10).unwrap();
    println!("iris trustworthiness(k = 10), defaults: {t:.4}");
    assert!(t >= 0.97, "trustworthiness at defaults {t}");
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(f)
}

#[test]
fn same_bits_with_one_and_two_threads() {
    let ds = Dataset::new(iris(), iris_labels());
    let fit = || Umap::params().seed(3).fit(&ds).unwrap();
    let (one, two) = (in_pool(1, fit), in_pool(2, fit));
    assert_eq!(one.embedding(), two.embedding());
    assert_eq!(one, two);
    let new = iris().slice(s![..20, ..]).mapv(|v| v + 0.05);
    assert_eq!(in_pool(1, || one.transform(new.view()).unwrap()), in_pool(2, || one.transform(new.view()).unwrap()));
}

#[test]
fn same_bits_with_one_and_two_threads_on_the_approximate_path() {
    // 700 points: NN-descent forced, and a graph big enough for the sparse eigensolver.
    let ds = swiss_roll(700, 0.05, 11).unwrap();
    let fit = || Umap::params().n_epochs(60).knn_method(KnnMethod::NnDescent).seed(5).fit(&ds).unwrap();
    let (one, two) = (in_pool(1, fit), in_pool(2, fit));
    assert_eq!(one.embedding(), two.embedding());
    assert!(one.embedding().iter().all(|v| v.is_finite()));
    let other_seed = Umap::params().n_epochs(60).knn_method(KnnMethod::NnDescent).seed(6).fit(&ds).unwrap();
    assert_ne!(one.embedding(), other_seed.embedding());
}

#[test]
fn save_and_load_round_trip() {
    let ds = Dataset::new(iris(), iris_labels());
    let umap = Umap::params().n_epochs(50).fit(&ds).unwrap();
    let path = std::env::temp_dir().join(format!("lowdim-umap-{}.json", std::process::id()));
    let path = path.to_str().unwrap();
    umap.save(path).unwrap();
    let back = Umap::load(path).unwrap();
    std::fs::remove_file(path).ok();
    assert_eq!(umap, back);
    let x = iris().slice(s![..5, ..]).to_owned();
    assert_eq!(umap.transform(x.view()).unwrap(), back.transform(x.view()).unwrap());
    assert!(matches!(Umap::load("/nonexistent/umap.json"), Err(Error::Io { .. })));
}

#[test]
fn transform_is_per_point_and_lands_near_the_neighbours() {
    let x = iris();
    let umap = Umap::params().fit_records(x.view()).unwrap();
    let batch = umap.transform(x.view()).unwrap();
    assert_eq!(batch.dim(), (150, 2));
    assert!(batch.iter().all(|v| v.is_finite()));
    // A point's placement does not depend on the rest of the batch.
    for i in [0, 77, 149] {
        let alone = umap.transform(x.slice(s![i..i + 1, ..])).unwrap();
        assert_eq!(alone.row(0), batch.row(i));
    }
    // Each training point, placed anew, lands among the embeddings of its input neighbours.
    let knn = umap.knn_graph();
    let emb = umap.embedding();
    let mut good = 0;
    for i in 0..150 {
        let nearest = (0..150)
            .min_by(|&a, &b| {
                let da: f64 = (0..2).map(|c| (batch[[i, c]] - emb[[a, c]]).powi(2)).sum();
                let db: f64 = (0..2).map(|c| (batch[[i, c]] - emb[[b, c]]).powi(2)).sum();
                da.total_cmp(&db)
            })
            .unwrap();
        good += usize::from(nearest == i || knn.indices().row(i).iter().any(|&j| j == nearest));
    }
    assert!(good >= 135, "{good} of 150 landed among their neighbours");
    assert_eq!(umap.transform(Array2::zeros((0, 4)).view()).unwrap().dim(), (0, 2));
}

#[test]
fn supervised_fit_cuts_edges_between_classes() {
    let ds = Dataset::new(iris(), iris_labels());
    let umap = Umap::params().supervised(true).target_weight(1.0).n_epochs(100).fit(&ds).unwrap();
    let g = umap.graph();
    for i in 0..150 {
        let (cols, _) = g.row(i).unwrap();
        assert!(cols.iter().all(|&j| j / 50 == i / 50), "row {i} keeps an edge across classes");
    }
    assert!(umap.embedding().iter().all(|v| v.is_finite()));
    // Partial labels: None marks the unlabelled.
    let partial: Array1<Option<usize>> = Array1::from_shape_fn(150, |i| (i % 3 == 0).then_some(i / 50));
    let ds = Dataset::new(iris(), partial);
    let umap = Umap::params().supervised(true).n_epochs(100).fit(&ds).unwrap();
    assert!(umap.embedding().iter().all(|v| v.is_finite()));
    assert_eq!(umap.labels().unwrap().iter().filter(|l| l.is_none()).count(), 100);
}

#[test]
fn any_number_of_components_and_a_figure_for_each() {
    let ds = Dataset::new(iris(), iris_labels());
    for dim in [1, 3, 5] {
        let umap = Umap::params().n_components(dim).n_epochs(60).fit(&ds).unwrap();
        assert_eq!(umap.embedding().dim(), (150, dim));
        assert!(umap.embedding().iter().all(|v| v.is_finite()));
        let fig = umap.figure().unwrap();
        assert_eq!(fig.n_traces(), 3, "one trace per class");
    }
    let fig = Umap::params().n_components(3).n_epochs(30).fit(&ds).unwrap().figure().unwrap();
    assert_eq!(fig.to_json()["data"][0]["type"], "scatter3d");
    let values = swiss_roll(200, 0.0, 1).unwrap();
    let fig = Umap::params().n_epochs(30).fit(&values).unwrap().figure().unwrap();
    assert_eq!(fig.n_traces(), 1);
}

#[test]
fn disconnected_data_is_laid_out_in_separate_pieces() {
    // Three far-apart blobs: the kNN graph has (at least) three components.
    let mut state = 1u64;
    let mut noise = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let x = Array2::from_shape_fn((90, 3), |(i, _)| 1000.0 * (i / 30) as f64 + noise());
    let umap = Umap::params().n_neighbors(10).n_epochs(100).fit_records(x.view()).unwrap();
    assert!(umap.n_graph_components() >= 3, "{} components", umap.n_graph_components());
    let e = umap.embedding();
    assert!(e.iter().all(|v| v.is_finite()));
    let centre = |b: usize| (0..2).map(|c| e.slice(s![b * 30..(b + 1) * 30, c]).mean().unwrap()).collect::<Vec<f64>>();
    let spread = |b: usize| {
        let m = centre(b);
        e.slice(s![b * 30..(b + 1) * 30, ..])
            .outer_iter()
            .map(|r| ((r[0] - m[0]).powi(2) + (r[1] - m[1]).powi(2)).sqrt())
            .fold(0.0, f64::max)
    };
    for (p, q) in [(0, 1), (0, 2), (1, 2)] {
        let (a, b) = (centre(p), centre(q));
        let gap = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        assert!(gap > spread(p) + spread(q), "blobs {p} and {q} overlap");
    }
}

#[test]
fn random_and_given_starts() {
    let x = iris();
    let r = Umap::params().init(UmapInit::Random).n_epochs(50).fit_records(x.view()).unwrap();
    assert!(r.embedding().iter().all(|v| v.is_finite()));
    let start = x.slice(s![.., ..2]).to_owned();
    let g = Umap::params().init(UmapInit::Given(start.clone())).n_epochs(50).fit_records(x.view()).unwrap();
    assert!(g.embedding().iter().all(|v| v.is_finite()));
    // The same start in column-major order (as numpy hands over a transposed array).
    let mut fortran = Array2::zeros(ndarray::ShapeBuilder::f(start.dim()));
    fortran.assign(&start);
    assert!(!fortran.is_standard_layout());
    let f = Umap::params().init(UmapInit::Given(fortran)).n_epochs(50).fit_records(x.view()).unwrap();
    assert_eq!(f.embedding(), g.embedding());
}

#[test]
fn other_metrics_embed() {
    let x = iris();
    for metric in [Metric::Cosine, Metric::Manhattan, Metric::Correlation] {
        let umap = Umap::params().metric(metric).n_epochs(60).fit_records(x.view()).unwrap();
        assert!(umap.embedding().iter().all(|v| v.is_finite()), "{metric}");
    }
}

// ---- bad input: one test per error -------------------------------------------------

#[test]
fn n_neighbors_not_below_n_is_an_error() {
    let err = Umap::params().n_neighbors(150).fit_records(iris().view()).unwrap_err();
    assert!(matches!(err, Error::Param { name: "n_neighbors", .. }), "{err}");
    assert!(err.to_string().contains("n_samples = 150") && err.to_string().contains("got 150"), "{err}");
}

#[test]
fn fewer_than_two_points_is_an_error() {
    let err = Umap::params().fit_records(Array2::<f64>::zeros((1, 4)).view()).unwrap_err();
    assert!(matches!(err, Error::Data(_)) && err.to_string().contains("at least 2"), "{err}");
}

#[test]
fn nan_is_an_error() {
    let mut x = iris();
    x[[10, 2]] = f64::NAN;
    let err = Umap::params().fit_records(x.view()).unwrap_err();
    assert!(matches!(err, Error::Data(_)) && err.to_string().contains("(10, 2)"), "{err}");
}

#[test]
fn infinity_is_an_error() {
    let mut x = iris();
    x[[3, 0]] = f64::INFINITY;
    assert!(matches!(Umap::params().fit_records(x.view()), Err(Error::Data(_))));
}

#[test]
fn zero_variance_data_is_an_error() {
    let x = Array2::from_elem((30, 4), 2.5);
    let err = Umap::params().fit_records(x.view()).unwrap_err();
    assert!(err.to_string().contains("zero variance"), "{err}");
}

#[test]
fn all_duplicate_points_are_an_error() {
    // Two distinct points, ten copies each: every point's neighbours are its copies.
    let x = Array2::from_shape_fn((20, 3), |(i, j)| if i % 2 == 0 { j as f64 } else { 10.0 + j as f64 });
    let err = Umap::params().n_neighbors(5).fit_records(x.view()).unwrap_err();
    assert!(err.to_string().contains("duplicates"), "{err}");
}

#[test]
fn wrong_width_at_transform_is_an_error() {
    let umap = Umap::params().n_epochs(20).fit_records(iris().view()).unwrap();
    let err = umap.transform(Array2::zeros((3, 5)).view()).unwrap_err();
    assert!(err.to_string().contains("4 columns") && err.to_string().contains("got 5"), "{err}");
}

#[test]
fn nan_at_transform_is_an_error() {
    let umap = Umap::params().n_epochs(20).fit_records(iris().view()).unwrap();
    let mut x = Array2::<f64>::zeros((2, 4));
    x[[1, 1]] = f64::NAN;
    assert!(matches!(umap.transform(x.view()), Err(Error::Data(_))));
}

#[test]
fn labels_of_the_wrong_length_are_an_error() {
    let ds = Dataset::new(iris(), Array1::<usize>::zeros(149));
    let err = Umap::params().fit(&ds).unwrap_err();
    assert!(err.to_string().contains("150 records but 149 targets"), "{err}");
}

#[test]
fn supervision_without_labels_is_an_error() {
    let ds = swiss_roll(100, 0.0, 1).unwrap();
    let err = Umap::params().supervised(true).fit(&ds).unwrap_err();
    assert!(matches!(err, Error::Param { name: "supervised", .. }), "{err}");
}

#[test]
fn given_start_of_the_wrong_size_is_an_error() {
    let err = Umap::params().init(UmapInit::Given(Array2::zeros((10, 2)))).fit_records(iris().view()).unwrap_err();
    assert!(matches!(err, Error::Param { name: "init", .. }), "{err}");
}

#[test]
fn zero_row_under_cosine_is_an_error() {
    let mut x = iris();
    x.row_mut(7).fill(0.0);
    let err = Umap::params().metric(Metric::Cosine).fit_records(x.view()).unwrap_err();
    assert!(err.to_string().contains("row 7"), "{err}");
}

#[test]
fn bad_parameters_are_errors_before_any_work() {
    let x = iris();
    let p = || Umap::params();
    assert!(matches!(Umap::params().n_components(0).fit_records(x.view()), Err(Error::Param { name: "n_components", .. })));
    assert!(matches!(p().min_dist(-1.0).fit_records(x.view()), Err(Error::Param { name: "min_dist", .. })));
    assert!(matches!(p().learning_rate(0.0).fit_records(x.view()), Err(Error::Param { name: "learning_rate", .. })));
    assert!(matches!(p().target_weight(2.0).fit_records(x.view()), Err(Error::Param { name: "target_weight", .. })));
}
