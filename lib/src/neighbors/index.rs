//! The built index: a kNN graph of the data plus what it takes to answer
//! queries for new points.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::distance::Metric;
use super::exact::exact_search;
use super::graph::KnnGraph;
use super::heap::{self, NONE};
use super::nndescent::{nn_descent, NnDescentConfig};
use super::rptree::RpTree;
use super::top_k::Candidate;
use crate::error::{check_finite, Error, Result};
use crate::rng::{self, stream, SplitMix64};

/// Below this many points [`KnnMethod::Auto`] searches exactly (umap-learn's rule).
pub const EXACT_BELOW: usize = 4096;

/// Queries rest on this many trees' leaves before the graph walk.
const SEARCH_TREES: usize = 3;

/// How the graph is searched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum KnnMethod {
    /// Exact below [`EXACT_BELOW`] points, NN-descent from there on.
    #[default]
    Auto,
    /// Blocked brute force: exact, `O(n²·d)`.
    Exact,
    /// NN-descent seeded by random-projection trees: approximate, about `O(n·d·log n)`.
    NnDescent,
}

/// Settings of a kNN search; build with [`KnnParams::new`] and consuming setters.
///
/// ```
/// use lowdim::prelude::*;
/// let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * 7 + j) % 11) as f64 + 0.01 * i as f64);
/// let graph = KnnParams::new(5).metric(Metric::Manhattan).graph(x.view()).unwrap();
/// assert_eq!(graph.indices().dim(), (200, 5));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnnParams {
    k: usize,
    metric: Metric,
    method: KnnMethod,
    seed: u64,
    #[serde(default)]
    defaults: NnDescentDefaults,
    n_trees: Option<usize>,
    n_iters: Option<usize>,
    max_candidates: Option<usize>,
    delta: f64,
    leaf_size: Option<usize>,
    epsilon: f64,
}

/// Whose rules fill in the NN-descent settings left unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum NnDescentDefaults {
    /// pynndescent's own: `n_trees = max(3, min(12, round(2·log₁₀ n)))`,
    /// `max_candidates = min(60, k + 1)` (pynndescent counts the point itself).
    #[default]
    Pynndescent,
    /// What umap-learn asks of pynndescent: `n_trees = min(64, 5 + round(√n / 20))`,
    /// `max_candidates` 60 (more work, for the last fraction of recall).
    UmapLearn,
}

impl KnnParams {
    /// `k` neighbours per point (the point itself not counted). Defaults: metric
    /// euclidean, method `Auto`, seed 42; NN-descent with pynndescent's own
    /// defaults ([`NnDescentDefaults::Pynndescent`]),
    /// `n_iters = max(5, round(log₂ n))`, `delta` 0.001,
    /// `leaf_size = max(60, min(256, 5k))`; query `epsilon` 0.12.
    pub fn new(k: usize) -> Self {
        KnnParams {
            k,
            metric: Metric::Euclidean,
            method: KnnMethod::Auto,
            seed: 42,
            defaults: NnDescentDefaults::Pynndescent,
            n_trees: None,
            n_iters: None,
            max_candidates: None,
            delta: 0.001,
            leaf_size: None,
            epsilon: 0.12,
        }
    }

    /// `defaults`: whose rules give `n_trees` and `max_candidates` when they
    /// are not set; default [`NnDescentDefaults::Pynndescent`].
    pub fn defaults(mut self, defaults: NnDescentDefaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// `metric`: default [`Metric::Euclidean`].
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// `method`: default [`KnnMethod::Auto`].
    pub fn method(mut self, method: KnnMethod) -> Self {
        self.method = method;
        self
    }

    /// `seed`: u64, default 42; the same seed gives the same graph at any thread count.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// `n_trees`: usize ≥ 1 random-projection trees; default by the rule on [`new`](Self::new).
    pub fn n_trees(mut self, n_trees: usize) -> Self {
        self.n_trees = Some(n_trees);
        self
    }

    /// `n_iters`: usize ≥ 1, the most NN-descent rounds; default by the rule on [`new`](Self::new).
    pub fn n_iters(mut self, n_iters: usize) -> Self {
        self.n_iters = Some(n_iters);
        self
    }

    /// `max_candidates`: usize ≥ 1, candidates sampled per point and round;
    /// default by the rule of [`defaults`](Self::defaults).
    pub fn max_candidates(mut self, max_candidates: usize) -> Self {
        self.max_candidates = Some(max_candidates);
        self
    }

    /// `delta`: f64 in [0, 1], stop when fewer than `delta·k·n` entries change; default 0.001.
    pub fn delta(mut self, delta: f64) -> Self {
        self.delta = delta;
        self
    }

    /// `leaf_size`: usize ≥ 2, largest tree leaf; default `max(60, min(256, 5k))`.
    pub fn leaf_size(mut self, leaf_size: usize) -> Self {
        self.leaf_size = Some(leaf_size);
        self
    }

    /// `epsilon`: f64 ≥ 0, how far beyond the current k-th distance a query keeps
    /// exploring (relative); default 0.12. Larger is slower and more accurate.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// The neighbour count.
    pub fn k(&self) -> usize {
        self.k
    }

    fn check(&self, n: usize) -> Result<()> {
        if n < 2 {
            return Err(Error::data(format!("a kNN graph needs at least 2 points; got {n}")));
        }
        if self.k == 0 || self.k >= n {
            return Err(Error::param("k", format!("of the kNN search must be in [1, n_samples = {n}); got {}", self.k)));
        }
        if self.k >= NONE as usize || n >= NONE as usize {
            return Err(Error::data(format!("the kNN search handles fewer than {NONE} points; got {n}")));
        }
        if self.n_trees == Some(0) {
            return Err(Error::param("n_trees", "of the kNN search must be ≥ 1; got 0"));
        }
        if self.n_iters == Some(0) {
            return Err(Error::param("n_iters", "of the kNN search must be ≥ 1; got 0"));
        }
        if self.max_candidates == Some(0) {
            return Err(Error::param("max_candidates", "of the kNN search must be ≥ 1; got 0"));
        }
        if !(0.0..=1.0).contains(&self.delta) {
            return Err(Error::param("delta", format!("of the kNN search must be in [0, 1]; got {}", self.delta)));
        }
        if let Some(l) = self.leaf_size.filter(|&l| l < 2) {
            return Err(Error::param("leaf_size", format!("of the kNN search must be ≥ 2; got {l}")));
        }
        if !(self.epsilon.is_finite() && self.epsilon >= 0.0) {
            return Err(Error::param("epsilon", format!("of the kNN search must be a finite number ≥ 0; got {}", self.epsilon)));
        }
        Ok(())
    }

    /// Whether a search over `n` points is exact under these settings.
    pub fn is_exact_for(&self, n: usize) -> bool {
        match self.method {
            KnnMethod::Auto => n < EXACT_BELOW,
            KnnMethod::Exact => true,
            KnnMethod::NnDescent => false,
        }
    }

    /// The number of trees and the candidates per round for `n` points: as set,
    /// or by the rule of `defaults`.
    fn nn_descent_sizes(&self, n: usize) -> (usize, usize) {
        let (trees, candidates) = match self.defaults {
            NnDescentDefaults::Pynndescent => (3.max(12.min((2.0 * (n as f64).log10()).round() as usize)), 60.min(self.k + 1)),
            NnDescentDefaults::UmapLearn => (64.min(5 + ((n as f64).sqrt() / 20.0).round() as usize), 60),
        };
        (self.n_trees.unwrap_or(trees), self.max_candidates.unwrap_or(candidates))
    }

    /// Builds the index of the rows of `x`: its kNN graph plus the search
    /// structure for [`KnnIndex::query`].
    pub fn build(&self, x: ArrayView2<f64>) -> Result<KnnIndex> {
        self.build_with(x, true)
    }

    /// The index; without `searchable`, only the graph is kept (no search
    /// graph, no trees), which is all [`graph`](Self::graph) needs.
    fn build_with(&self, x: ArrayView2<f64>, searchable: bool) -> Result<KnnIndex> {
        self.check(x.nrows())?;
        check_finite("X of the kNN search", &x)?;
        let data = self.metric.prepare(x, "X of the kNN search")?;
        let n = data.nrows();
        if self.is_exact_for(n) {
            let graph = exact_search(&data, data.view(), self.k, self.metric, true);
            return Ok(KnnIndex {
                params: self.clone(),
                data,
                graph,
                exact: true,
                forest: Vec::new(),
                single_scale: 1.0,
                search: SearchGraph::default(),
            });
        }
        let (n_trees, max_candidates) = self.nn_descent_sizes(n);
        let n_iters = self.n_iters.unwrap_or_else(|| 5.max((n as f64).log2().round() as usize));
        let leaf_size = self.leaf_size.unwrap_or_else(|| 60.max(256.min(5 * self.k)));
        // Single precision for the search, scaled to a largest coordinate of 1 so
        // that squared distances can neither overflow nor underflow (any scale
        // keeps every metric's neighbour order).
        let largest = data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let single_scale = if largest > 0.0 { 1.0 / largest } else { 1.0 };
        let single: Vec<f32> = data.iter().map(|&v| (v * single_scale) as f32).collect();
        let forest: Vec<RpTree> = (0..n_trees)
            .into_par_iter()
            .map(|t| RpTree::build(&single, data.ncols(), leaf_size, rng::derive(self.seed, stream::TREES, t as u64)))
            .collect();
        let cfg = NnDescentConfig { k: self.k, n_iters, max_candidates, delta: self.delta, seed: self.seed };
        let graph = nn_descent(&data, &single, self.metric, &forest, &cfg)?;
        let search = if searchable { SearchGraph::new(&graph) } else { SearchGraph::default() };
        let forest = forest.into_iter().take(if searchable { SEARCH_TREES } else { 0 }).collect();
        Ok(KnnIndex { params: self.clone(), data, graph, exact: false, forest, single_scale, search })
    }

    /// The kNN graph of the rows of `x` (see [`KnnGraph`]: self excluded).
    pub fn graph(&self, x: ArrayView2<f64>) -> Result<KnnGraph> {
        Ok(self.build_with(x, false)?.graph)
    }
}

/// The `k` nearest other points of every row of `x` under `metric`: exact below
/// [`EXACT_BELOW`] points, NN-descent (seed 42) above. See [`KnnParams`] for the knobs.
///
/// ```
/// use lowdim::prelude::*;
/// let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0]];
/// let g = knn_graph(x.view(), 2, Metric::Euclidean).unwrap();
/// assert_eq!(g.indices().row(0).to_vec(), vec![1, 2]);
/// assert_eq!(g.distances()[[0, 1]], 2.0);
/// ```
pub fn knn_graph(x: ArrayView2<f64>, k: usize, metric: Metric) -> Result<KnnGraph> {
    KnnParams::new(k).metric(metric).graph(x)
}

/// The exact `k` nearest other points of every row of `x`, whatever its size.
pub fn exact_knn(x: ArrayView2<f64>, k: usize, metric: Metric) -> Result<KnnGraph> {
    KnnParams::new(k).metric(metric).method(KnnMethod::Exact).graph(x)
}

/// A built neighbour index: the data (prepared for its metric), its kNN graph
/// and, for an approximate index, random-projection trees and a search graph.
/// Serialises with serde.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnnIndex {
    params: KnnParams,
    data: Array2<f64>,
    graph: KnnGraph,
    exact: bool,
    forest: Vec<RpTree>,
    /// The factor the trees' single-precision rows were scaled by.
    single_scale: f64,
    search: SearchGraph,
}

impl KnnIndex {
    /// The kNN graph of the indexed points (self excluded).
    pub fn graph(&self) -> &KnnGraph {
        &self.graph
    }

    /// The graph, dropping the rest of the index.
    pub fn into_graph(self) -> KnnGraph {
        self.graph
    }

    /// The metric.
    pub fn metric(&self) -> Metric {
        self.params.metric
    }

    /// The settings it was built with.
    pub fn params(&self) -> &KnnParams {
        &self.params
    }

    /// Whether the graph (and queries) are exact.
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// Number of indexed points.
    pub fn n_points(&self) -> usize {
        self.data.nrows()
    }

    /// Width of the indexed rows.
    pub fn dim(&self) -> usize {
        self.data.ncols()
    }

    /// The indexed rows as the metric prepared them (unit rows for cosine,
    /// centred unit rows for correlation, unchanged otherwise).
    pub(crate) fn prepared_data(&self) -> ArrayView2<'_, f64> {
        self.data.view()
    }

    /// The `k` indexed points nearest to each row of `points`: row `i` of the
    /// answer lists indices into the indexed data, nearest first. Exact for an
    /// exact index; otherwise a best-first walk of the search graph from
    /// tree leaves. Deterministic, and each row's answer does not depend on
    /// the other rows. Cost per query: exact `O(n·d)`, approximate about
    /// `O((leaf + walk)·d)`.
    pub fn query(&self, points: ArrayView2<f64>, k: usize) -> Result<KnnGraph> {
        if points.ncols() != self.dim() {
            return Err(Error::data(format!(
                "query points must have {} columns like the indexed data; got {}",
                self.dim(),
                points.ncols()
            )));
        }
        let n = self.n_points();
        if k == 0 || k > n {
            return Err(Error::param("k", format!("of KnnIndex::query must be in [1, n_indexed = {n}]; got {k}")));
        }
        check_finite("query points", &points)?;
        let q = self.params.metric.prepare(points, "the query points")?;
        if self.exact {
            return Ok(exact_search(&self.data, q.view(), k, self.params.metric, false));
        }
        let rows: Vec<Vec<(f64, u32)>> = (0..q.nrows())
            .into_par_iter()
            .map_init(
                || Visited::new(n),
                |visited, i| {
                    let row = q.row(i);
                    let row = row.as_slice().unwrap_or(&[]);
                    self.search_one(row, k, rng::derive(self.params.seed, stream::QUERY, i as u64), visited)
                },
            )
            .collect();
        let mut indices = Array2::<usize>::zeros((q.nrows(), k));
        let mut distances = Array2::<f64>::zeros((q.nrows(), k));
        for (i, row) in rows.iter().enumerate() {
            for (c, &(s, j)) in row.iter().enumerate().take(k) {
                indices[[i, c]] = j as usize;
                distances[[i, c]] = self.params.metric.to_distance(s);
            }
        }
        Ok(KnnGraph::from_parts(indices, distances))
    }

    fn row(&self, j: u32) -> &[f64] {
        let d = self.dim();
        let flat = self.data.as_slice().unwrap_or(&[]);
        &flat[j as usize * d..(j as usize + 1) * d]
    }

    /// Best-first search (pynndescent's): keep a frontier ordered by distance,
    /// expand its nearest point, stop once it lies beyond `(1 + ε)` times the
    /// current k-th distance.
    fn search_one(&self, q: &[f64], k: usize, seed: u64, visited: &mut Visited) -> Vec<(f64, u32)> {
        let metric = self.params.metric;
        let n = self.n_points();
        let (mut dist, mut idx, mut flag) = (vec![f64::INFINITY; k], vec![NONE; k], vec![false; k]);
        let mut frontier: BinaryHeap<Reverse<Candidate>> = BinaryHeap::new();
        let visit = |j: u32, visited: &mut Visited, dist: &mut [f64], idx: &mut [u32], flag: &mut [bool]| {
            if visited.insert(j) {
                let d = metric.surrogate(q, self.row(j));
                heap::push(dist, idx, flag, d, j, false);
                Some(d)
            } else {
                None
            }
        };
        let q32: Vec<f32> = q.iter().map(|&v| (v * self.single_scale) as f32).collect();
        for tree in &self.forest {
            for &j in tree.leaf_of(&q32) {
                if let Some(d) = visit(j, visited, &mut dist, &mut idx, &mut flag) {
                    frontier.push(Reverse(Candidate(d, j)));
                }
            }
        }
        let mut r = SplitMix64::new(seed);
        let mut tries = 0;
        while idx.contains(&NONE) && tries < 4 * k + 16 {
            tries += 1;
            let j = r.below(n) as u32;
            if let Some(d) = visit(j, visited, &mut dist, &mut idx, &mut flag) {
                frontier.push(Reverse(Candidate(d, j)));
            }
        }
        for j in 0..n as u32 {
            if !idx.contains(&NONE) {
                break;
            }
            if let Some(d) = visit(j, visited, &mut dist, &mut idx, &mut flag) {
                frontier.push(Reverse(Candidate(d, j)));
            }
        }
        let mut bound = metric.widen(dist[0], self.params.epsilon);
        while let Some(Reverse(Candidate(d, v))) = frontier.pop() {
            if d >= bound {
                break;
            }
            for &w in self.search.neighbors(v) {
                if let Some(dw) = visit(w, visited, &mut dist, &mut idx, &mut flag) {
                    if dw < bound {
                        frontier.push(Reverse(Candidate(dw, w)));
                        bound = metric.widen(dist[0], self.params.epsilon);
                    }
                }
            }
        }
        visited.clear();
        let mut row: Vec<(f64, u32)> = dist.into_iter().zip(idx).filter(|&(_, j)| j != NONE).collect();
        row.sort_unstable_by(super::top_k::cmp_pair);
        row
    }
}

/// A visited set that clears in time proportional to what it holds.
struct Visited {
    bits: Vec<u64>,
    touched: Vec<u32>,
}

impl Visited {
    fn new(n: usize) -> Self {
        Visited { bits: vec![0; n.div_ceil(64)], touched: Vec::new() }
    }

    fn insert(&mut self, j: u32) -> bool {
        let (w, b) = (j as usize / 64, 1u64 << (j % 64));
        if self.bits[w] & b != 0 {
            return false;
        }
        self.bits[w] |= b;
        self.touched.push(j);
        true
    }

    fn clear(&mut self) {
        for &j in &self.touched {
            self.bits[j as usize / 64] = 0;
        }
        self.touched.clear();
    }
}

/// The kNN graph made undirected (each point's neighbours plus the points
/// that list it), in compressed rows: the graph queries walk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct SearchGraph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

impl SearchGraph {
    fn new(graph: &KnnGraph) -> Self {
        let n = graph.n_points();
        let idx = graph.indices();
        let mut lists: Vec<Vec<u32>> = idx.outer_iter().map(|r| r.iter().map(|&j| j as u32).collect()).collect();
        for (i, row) in idx.outer_iter().enumerate() {
            for &j in row {
                lists[j].push(i as u32);
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let mut targets = Vec::new();
        offsets.push(0);
        for (i, mut list) in lists.into_iter().enumerate() {
            // Forward neighbours first (nearest first), then the reverse ones.
            let mut seen = std::collections::HashSet::with_capacity(list.len());
            list.retain(|&j| j as usize != i && seen.insert(j));
            targets.extend(list);
            offsets.push(targets.len());
        }
        SearchGraph { offsets, targets }
    }

    fn neighbors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        match (self.offsets.get(v), self.offsets.get(v + 1)) {
            (Some(&a), Some(&b)) => &self.targets[a..b],
            _ => &[],
        }
    }
}
