//! Exact and approximate kNN graphs: correctness against brute force, recall
//! of NN-descent, determinism across thread counts, queries, bad input.

use lowdim::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Points near a 3-D manifold in `dim` dimensions, in a few clusters: the kind
/// of data UMAP meets, where NN-descent is expected to shine.
fn manifold(n: usize, dim: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let basis = Array2::from_shape_fn((3, dim), |_| rng.gen_range(-1.0..1.0));
    let mut x = Array2::<f64>::zeros((n, dim));
    for mut row in x.outer_iter_mut() {
        let cluster = rng.gen_range(0..4) as f64;
        let t: Vec<f64> = (0..3).map(|_| rng.gen_range(0.0..1.0)).collect();
        for j in 0..dim {
            let base = (0..3).map(|a| (t[a] * 3.0 + cluster).sin() * basis[[a, j]]).sum::<f64>();
            row[j] = base + 3.0 * cluster + 0.05 * rng.gen_range(-1.0..1.0);
        }
    }
    x
}

fn brute_distances(x: &Array2<f64>, i: usize, metric: Metric) -> Vec<(f64, usize)> {
    let mut row: Vec<(f64, usize)> =
        (0..x.nrows()).filter(|&j| j != i).map(|j| (metric.distance(x.row(i), x.row(j)).unwrap(), j)).collect();
    row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    row
}

#[test]
fn exact_graph_matches_brute_force_for_every_metric() {
    let x = manifold(250, 6, 1);
    for metric in [Metric::Euclidean, Metric::Cosine, Metric::Manhattan, Metric::Correlation] {
        let g = exact_knn(x.view(), 7, metric).unwrap();
        assert_eq!(g.indices().dim(), (250, 7));
        for i in 0..x.nrows() {
            let want = brute_distances(&x, i, metric);
            for (c, &(d, _)) in want.iter().take(7).enumerate() {
                assert!((g.distances()[[i, c]] - d).abs() < 1e-9, "{metric} row {i} col {c}");
                assert_ne!(g.indices()[[i, c]], i, "a point is not its own neighbour");
            }
        }
    }
}

/// Uniform in the 10-cube: no low-dimensional structure to help the search.
fn cube(n: usize, dim: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, dim), |_| rng.gen::<f64>())
}

#[test]
fn nn_descent_recall_is_high() {
    let x = cube(3000, 10, 2);
    let exact = exact_knn(x.view(), 14, Metric::Euclidean).unwrap();
    let approx = KnnParams::new(14).method(KnnMethod::NnDescent).graph(x.view()).unwrap();
    let recall = approx.recall(&exact).unwrap();
    println!("NN-descent recall (uniform 10-cube, n = 3000, k = 14): {recall:.4}");
    assert!(recall >= 0.95, "recall {recall}");
    // Distances are true distances, sorted, self excluded.
    for i in 0..x.nrows() {
        let (idx, d) = approx.neighbors(i).unwrap();
        assert!(idx.iter().all(|&j| j != i));
        assert!(d.windows(2).into_iter().all(|w| w[0] <= w[1]));
        let j = idx[0];
        let true_d = Metric::Euclidean.distance(x.row(i), x.row(j)).unwrap();
        assert!((d[0] - true_d).abs() < 1e-9);
    }
}

#[test]
fn nn_descent_is_identical_on_one_and_two_threads() {
    let x = manifold(1500, 8, 3);
    let build = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| KnnParams::new(10).method(KnnMethod::NnDescent).seed(9).build(x.view()).unwrap())
    };
    let (one, two) = (build(1), build(2));
    assert_eq!(one, two);
    let q = manifold(50, 8, 4);
    let (qa, qb) = (pool_query(&one, &q, 1), pool_query(&two, &q, 2));
    assert_eq!(qa, qb);
}

fn pool_query(index: &KnnIndex, q: &Array2<f64>, threads: usize) -> KnnGraph {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| index.query(q.view(), 10).unwrap())
}

#[test]
fn approximate_queries_find_most_true_neighbours() {
    let x = cube(3000, 10, 5);
    let q = cube(200, 10, 6);
    let approx = KnnParams::new(15).method(KnnMethod::NnDescent).build(x.view()).unwrap();
    let exact = KnnParams::new(15).method(KnnMethod::Exact).build(x.view()).unwrap();
    let recall = approx.query(q.view(), 10).unwrap().recall(&exact.query(q.view(), 10).unwrap()).unwrap();
    println!("query recall (n = 3000, 200 queries, k = 10): {recall:.4}");
    assert!(recall >= 0.9, "query recall {recall}");
}

#[test]
fn an_indexed_point_finds_itself_first() {
    let x = manifold(300, 5, 7);
    for method in [KnnMethod::Exact, KnnMethod::NnDescent] {
        let index = KnnParams::new(5).method(method).build(x.view()).unwrap();
        let g = index.query(x.slice(s![..20, ..]), 3).unwrap();
        for i in 0..20 {
            assert_eq!(g.indices()[[i, 0]], i, "{method:?}");
            assert_eq!(g.distances()[[i, 0]], 0.0);
        }
    }
}

#[test]
fn auto_switches_to_nn_descent_at_4096_points() {
    let p = KnnParams::new(15);
    assert!(p.is_exact_for(4095));
    assert!(!p.is_exact_for(4096));
    assert!(KnnParams::new(15).method(KnnMethod::Exact).is_exact_for(100_000));
}

#[test]
fn k_not_below_n_is_an_error() {
    let x = manifold(10, 3, 8);
    let err = knn_graph(x.view(), 10, Metric::Euclidean).unwrap_err();
    assert!(matches!(err, Error::Param { name: "k", .. }), "{err}");
    assert!(err.to_string().contains("got 10"), "{err}");
    assert!(matches!(knn_graph(x.view(), 0, Metric::Euclidean), Err(Error::Param { name: "k", .. })));
}

#[test]
fn fewer_than_two_points_is_an_error() {
    let x = Array2::<f64>::zeros((1, 3));
    assert!(matches!(knn_graph(x.view(), 1, Metric::Euclidean), Err(Error::Data(_))));
}

#[test]
fn nan_is_an_error() {
    let mut x = manifold(20, 3, 9);
    x[[4, 1]] = f64::NAN;
    let err = knn_graph(x.view(), 3, Metric::Euclidean).unwrap_err();
    assert!(matches!(err, Error::Data(_)) && err.to_string().contains("non-finite"), "{err}");
}

#[test]
fn zero_row_under_cosine_is_an_error() {
    let mut x = manifold(20, 3, 10);
    x.row_mut(3).fill(0.0);
    let err = knn_graph(x.view(), 3, Metric::Cosine).unwrap_err();
    assert!(err.to_string().contains("row 3"), "{err}");
}

#[test]
fn query_of_wrong_width_is_an_error() {
    let x = manifold(50, 4, 11);
    let index = KnnParams::new(3).build(x.view()).unwrap();
    let err = index.query(Array2::<f64>::zeros((2, 3)).view(), 3).unwrap_err();
    assert!(err.to_string().contains("4 columns"), "{err}");
    assert!(matches!(index.query(x.view(), 51), Err(Error::Param { name: "k", .. })));
}

#[test]
fn bad_nn_descent_settings_are_errors() {
    let x = manifold(50, 4, 12);
    assert!(matches!(KnnParams::new(3).n_trees(0).graph(x.view()), Err(Error::Param { name: "n_trees", .. })));
    assert!(matches!(KnnParams::new(3).delta(2.0).graph(x.view()), Err(Error::Param { name: "delta", .. })));
    assert!(matches!(KnnParams::new(3).leaf_size(1).graph(x.view()), Err(Error::Param { name: "leaf_size", .. })));
}

#[test]
fn huge_and_tiny_coordinates_do_not_break_the_search() {
    let base = cube(600, 4, 13);
    for scale in [1e25, 1e-25] {
        let x = base.mapv(|v| v * scale);
        let exact = exact_knn(x.view(), 8, Metric::Euclidean).unwrap();
        let approx = KnnParams::new(8).method(KnnMethod::NnDescent).graph(x.view()).unwrap();
        assert!(approx.recall(&exact).unwrap() > 0.95, "scale {scale}");
        assert!(approx.distances().iter().all(|d| d.is_finite()));
    }
}
