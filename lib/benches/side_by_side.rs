//! Our side of the side-by-side benchmarks (`make bench`).
//!
//! `side_by_side prepare DIR` writes every case's inputs as .npy files, so that
//! ours and the Python peer (`peers.py`) read identical data;
//! `side_by_side run CASE DIR` runs one case of ours and prints one JSON line
//! `{"case", "seconds", "quality", "peak_mb"}`. Each case runs in its own
//! process so that its peak memory is its own.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lowdim::prelude::*;
use ndarray::{concatenate, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Points on which trustworthiness is measured for the large cases (it is O(n²)).
const QUALITY_SUBSAMPLE: usize = 5000;
const SEED: u64 = 42;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let outcome = match args.as_slice() {
        [cmd, dir] if cmd == "prepare" => prepare(Path::new(dir)),
        [cmd, case, dir] if cmd == "run" => run(case, Path::new(dir)),
        _ => Err("usage: side_by_side prepare DIR | side_by_side run CASE DIR".into()),
    };
    if let Err(e) = outcome {
        eprintln!("side_by_side: {e}");
        std::process::exit(1);
    }
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.npy"))
}

/// MNIST-1D-like 10k×40: the published generator with 10 000 samples.
fn mnist_10k() -> Res<(Array2<f64>, Array1<usize>)> {
    let m = Mnist1dParams::default().num_samples(10_000).generate()?;
    let x = concatenate(Axis(0), &[m.train.records().view(), m.test.records().view()])?;
    let y = concatenate(Axis(0), &[m.train.targets().view(), m.test.targets().view()])?;
    Ok((x, y))
}

/// A 60k×50 manifold: a noisy swiss roll (2-D) placed in 50 dimensions by a
/// random orthonormal map, plus isotropic noise in every dimension.
fn synthetic_60k() -> Res<Array2<f64>> {
    let roll = swiss_roll(60_000, 0.05, SEED)?;
    let basis = molrg(50, &[3], 1, SEED)?.bases.remove(0); // 50×3 orthonormal
    let mut x = roll.records().dot(&basis.t());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    x.mapv_inplace(|v| v + 0.05 * (rng.gen::<f64>() - 0.5));
    Ok(x)
}

/// A 10k×100 set of intrinsic dimension 10: the uniform 10-ball placed in 100
/// dimensions by a random orthonormal map.
fn ball10_in_100() -> Res<Array2<f64>> {
    let b = ball(10_000, 10, SEED)?;
    let basis = molrg(100, &[10], 1, SEED)?.bases.remove(0); // 100×10 orthonormal
    Ok(b.dot(&basis.t()))
}

/// A union of subspaces, 20k×30: four random 3-D subspaces (MoLRG) with
/// isotropic noise σ = 0.05, balanced.
fn subspaces_20k() -> Res<Molrg> {
    Ok(MolrgParams::new(30, &[3, 3, 3, 3]).noise(0.05).balanced(true).sample(20_000, SEED)?)
}

/// The 5000-point swiss roll (3-D) of the classical manifold learners' cases.
fn swissroll_5k() -> Res<Array2<f64>> {
    Ok(swiss_roll(5000, 0.0, SEED)?.records().clone())
}

fn prepare(dir: &Path) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    write_npy(file(dir, "ball10_x"), &ball10_in_100()?)?;
    #[cfg(feature = "torch")]
    {
        let inertia = modified_inertia(1000, 2, 0.3, SEED)?;
        write_npy(file(dir, "inertia_x"), &inertia.x)?;
        write_npy(file(dir, "inertia_y"), &inertia.y)?;
    }
    #[cfg(feature = "torch")]
    {
        let m = MolrgParams::new(48, &[7, 7]).orthogonal(true).balanced(true).sample(700, SEED)?;
        write_npy(file(dir, "molrg_x"), &m.data)?;
        write_npy(file(dir, "molrg_u"), &ndarray::concatenate(ndarray::Axis(1), &[m.bases[0].view(), m.bases[1].view()])?)?;
    }
    let m = subspaces_20k()?;
    write_npy(file(dir, "subspace_x"), &m.data)?;
    write_npy_labels(file(dir, "subspace_y"), &m.labels)?;
    write_npy(file(dir, "swiss5k_x"), &swissroll_5k()?)?;
    let (x, y) = mnist_10k()?;
    write_npy(file(dir, "mnist_x"), &x)?;
    write_npy_labels(file(dir, "mnist_y"), &y)?;
    let s = synthetic_60k()?;
    write_npy(file(dir, "synth_x"), &s)?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED + 1);
    let sub: Array1<f64> = (0..QUALITY_SUBSAMPLE).map(|_| rng.gen_range(0..s.nrows()) as f64).collect();
    write_npy_1d(file(dir, "synth_subsample"), &sub)?;
    let t = Instant::now();
    let exact = exact_knn(s.view(), 15, Metric::Euclidean)?;
    eprintln!("exact kNN of the 60k set for recall: {:.1} s", t.elapsed().as_secs_f64());
    let idx = exact.indices().mapv(|i| i as f64);
    write_npy(file(dir, "synth_exact_knn"), &idx)?;
    prepare_leverage(dir)
}

/// The 20000 × 50 tall matrix with 20 heavy rows, and reference leverage scores
/// from an independent method (classical Gram–Schmidt applied twice), so that
/// both sides are measured against the same truth.
fn prepare_leverage(dir: &Path) -> Res<()> {
    let (a, _) = heavy_row_regression(20_000, 50, 20, SEED)?;
    write_npy(file(dir, "leverage_a"), &a)?;
    write_npy_1d(file(dir, "leverage_ref"), &gram_schmidt_leverage(&a))?;
    Ok(())
}

/// Squared row norms of Q from classical Gram–Schmidt with reorthogonalisation.
fn gram_schmidt_leverage(a: &Array2<f64>) -> Array1<f64> {
    let d = a.ncols();
    let mut q: Vec<Array1<f64>> = Vec::with_capacity(d);
    for j in 0..d {
        let mut v = a.column(j).to_owned();
        for _ in 0..2 {
            let coef: Vec<f64> = q.iter().map(|qk| qk.dot(&v)).collect();
            for (qk, c) in q.iter().zip(coef) {
                v.scaled_add(-c, qk);
            }
        }
        let norm = v.dot(&v).sqrt();
        q.push(v / norm);
    }
    Array1::from_shape_fn(a.nrows(), |i| q.iter().map(|qk| qk[i] * qk[i]).sum())
}

/// Peak resident memory of this process (VmHWM), in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN);
    kb / 1024.0
}

fn report(case: &str, seconds: f64, quality: f64) {
    println!("{{\"case\": \"{case}\", \"seconds\": {seconds:.6}, \"quality\": {quality:.6}, \"peak_mb\": {:.1}}}", peak_mb());
}

fn run(case: &str, dir: &Path) -> Res<()> {
    match case {
        "umap_mnist1d_10k" => umap_fit(case, read_npy_2d(file(dir, "mnist_x"))?, None),
        "umap_synth_60k" => {
            let sub = read_npy_1d(file(dir, "synth_subsample"))?.mapv(|v| v as usize).to_vec();
            umap_fit(case, read_npy_2d(file(dir, "synth_x"))?, Some(sub))
        }
        "umap_transform_1" => umap_transform(case, dir, 1),
        "umap_transform_1000" => umap_transform(case, dir, 1000),
        "knn_synth_60k" => knn(case, dir),
        "mle_10k_100" => intrinsic(case, dir, |x| Ok(Mle::params().n_neighbors(20).curve_k_max(20).fit_records(x)?.dimension())),
        "twonn_10k_100" => intrinsic(case, dir, |x| Ok(TwoNn::params().decimation(1).fit_records(x)?.dimension())),
        "tsne_5k" => tsne(case, dir),
        "ksubspaces_20k" => ksubspaces(case, dir),
        "spectral_clustering_20k" => spectral(case, dir),
        "leverage_20k" => leverage(case, dir),
        "isomap_5k" | "spectral_5k" | "lle_5k" | "kpca_5k" => classical(case, read_npy_2d(file(dir, "swiss5k_x"))?),
        #[cfg(feature = "torch")]
        "mnist1d_cnn_6000" => mnist1d_train(case, dir, Mnist1dNet::Cnn),
        #[cfg(feature = "torch")]
        "mnist1d_mlp_6000" => mnist1d_train(case, dir, Mnist1dNet::Mlp),
        #[cfg(feature = "torch")]
        "soft_emlp_epoch" => soft_emlp_epoch(case, dir),
        #[cfg(feature = "torch")]
        "equiv_projectors_inertia" => equiv_projectors(case),
        #[cfg(feature = "torch")]
        "molrg_train_1000" => molrg_train(case, dir),
        #[cfg(feature = "torch")]
        "ddim_10k" => ddim_sample(case, dir),
        other => Err(format!("unknown case `{other}`").into()),
    }
}

fn trustworthiness_on(x: &Array2<f64>, e: &Array2<f64>, rows: Option<&[usize]>) -> Res<f64> {
    Ok(match rows {
        None => trustworthiness(x.view(), e.view(), 10)?,
        Some(rows) => trustworthiness(x.select(Axis(0), rows).view(), e.select(Axis(0), rows).view(), 10)?,
    })
}

fn umap_fit(case: &str, x: Array2<f64>, quality_rows: Option<Vec<usize>>) -> Res<()> {
    let t = Instant::now();
    let model = Umap::params().seed(SEED).fit_records(x.view())?;
    let seconds = t.elapsed().as_secs_f64();
    let q = trustworthiness_on(&x, model.embedding(), quality_rows.as_deref())?;
    report(case, seconds, q);
    Ok(())
}

/// Fits on the first 9000 MNIST-1D rows, transforms held-out rows; quality is
/// the kNN accuracy of the transformed points against the training embedding.
fn umap_transform(case: &str, dir: &Path, n: usize) -> Res<()> {
    let x = read_npy_2d(file(dir, "mnist_x"))?;
    let y = read_npy_labels(file(dir, "mnist_y"))?;
    let (train, test) = x.view().split_at(Axis(0), 9000);
    let model = Umap::params().seed(SEED).fit_records(train)?;
    let new = test.slice(ndarray::s![..n, ..]).to_owned();
    model.transform(new.view())?; // the first call pays for nothing we would not pay again; keep it symmetric with the peer's warm call
    let reps = if n == 1 { 200 } else { 3 };
    let t = Instant::now();
    let mut out = model.transform(new.view())?;
    for _ in 1..reps {
        out = model.transform(new.view())?;
    }
    let seconds = t.elapsed().as_secs_f64() / reps as f64;
    let train_labels: Vec<usize> = y.slice(ndarray::s![..9000]).to_vec();
    let predicted = knn_classify(model.embedding().view(), &train_labels, out.view(), 10)?;
    let truth = y.slice(ndarray::s![9000..9000 + n]);
    let acc = predicted.iter().zip(truth.iter()).filter(|(p, t)| p == t).count() as f64 / n as f64;
    report(case, seconds, acc);
    Ok(())
}

/// The classical learners on the 5000-point swiss roll, with the golden set's
/// parameters: Isomap(n_neighbors 10), SpectralEmbedding(n_neighbors 10),
/// LLE(n_neighbors 12, standard), KernelPCA(rbf, gamma 0.01). Quality:
/// trustworthiness (k = 10) of the embedding.
fn classical(case: &str, x: Array2<f64>) -> Res<()> {
    let t = Instant::now();
    let e = match case {
        "isomap_5k" => Isomap::params().n_neighbors(10).fit_records(x.view())?.embedding().clone(),
        "spectral_5k" => SpectralEmbedding::params().n_neighbors(10).fit_records(x.view())?.embedding().clone(),
        "lle_5k" => LocallyLinearEmbedding::params().n_neighbors(12).fit_records(x.view())?.embedding().clone(),
        _ => KernelPca::params().kernel(Kernel::Rbf { gamma: Some(0.01) }).fit_records(x.view())?.embedding().clone(),
    };
    let seconds = t.elapsed().as_secs_f64();
    report(case, seconds, trustworthiness_on(&x, &e, None)?);
    Ok(())
}

fn knn(case: &str, dir: &Path) -> Res<()> {
    let x = read_npy_2d(file(dir, "synth_x"))?;
    let exact = read_npy_2d(file(dir, "synth_exact_knn"))?.mapv(|v| v as usize);
    let t = Instant::now();
    let graph = KnnParams::new(15).method(KnnMethod::NnDescent).seed(SEED).graph(x.view())?;
    let seconds = t.elapsed().as_secs_f64();
    let hits: usize = graph
        .indices()
        .rows()
        .into_iter()
        .zip(exact.rows())
        .map(|(got, want)| got.iter().filter(|g| want.iter().any(|w| w == *g)).count())
        .sum();
    report(case, seconds, hits as f64 / exact.len() as f64);
    Ok(())
}

/// An intrinsic-dimension estimate of the 10-ball in 100-D; quality is the estimate.
fn intrinsic(case: &str, dir: &Path, estimate: impl Fn(ArrayView2<f64>) -> Res<f64>) -> Res<()> {
    let x = read_npy_2d(file(dir, "ball10_x"))?;
    let t = Instant::now();
    let d = estimate(x.view())?;
    report(case, t.elapsed().as_secs_f64(), d);
    Ok(())
}

/// t-SNE (scikit-learn's defaults) of the first 5000 MNIST-1D rows; quality is
/// trustworthiness at k = 10.
fn tsne(case: &str, dir: &Path) -> Res<()> {
    let x = read_npy_2d(file(dir, "mnist_x"))?.slice(ndarray::s![..5000, ..]).to_owned();
    let t = Instant::now();
    let model = Tsne::params().seed(SEED).fit_records(x.view())?;
    let seconds = t.elapsed().as_secs_f64();
    report(case, seconds, trustworthiness(x.view(), model.embedding().view(), 10)?);
    Ok(())
}

/// K-subspaces (4 subspaces of dimension 3) on the union of subspaces; quality
/// is the clustering accuracy against the planted labels.
fn ksubspaces(case: &str, dir: &Path) -> Res<()> {
    let x = read_npy_2d(file(dir, "subspace_x"))?;
    let y = read_npy_labels(file(dir, "subspace_y"))?.to_vec();
    let t = Instant::now();
    let fit = KSubspaces::params().n_clusters(4).dim(3).seed(SEED).fit_records(x.view())?;
    let seconds = t.elapsed().as_secs_f64();
    report(case, seconds, clustering_accuracy(&y, fit.labels())?);
    Ok(())
}

/// Spectral clustering on the kNN connectivity graph (n_neighbors 10, as the
/// peer's `affinity="nearest_neighbors"`); quality is the clustering accuracy.
fn spectral(case: &str, dir: &Path) -> Res<()> {
    let x = read_npy_2d(file(dir, "subspace_x"))?;
    let y = read_npy_labels(file(dir, "subspace_y"))?.to_vec();
    let t = Instant::now();
    let fit = SpectralClustering::params().n_clusters(4).n_neighbors(10).seed(SEED).fit_records(x.view())?;
    let seconds = t.elapsed().as_secs_f64();
    report(case, seconds, clustering_accuracy(&y, fit.labels())?);
    Ok(())
}

/// Exact leverage scores of the 20000 × 50 matrix: one warm call, then the mean
/// of five; quality is the largest relative error against the reference.
fn leverage(case: &str, dir: &Path) -> Res<()> {
    let a = read_npy_2d(file(dir, "leverage_a"))?;
    let reference = read_npy_1d(file(dir, "leverage_ref"))?;
    leverage_scores(a.view())?;
    let reps = 5;
    let t = Instant::now();
    let mut tau = leverage_scores(a.view())?;
    for _ in 1..reps {
        tau = leverage_scores(a.view())?;
    }
    let seconds = t.elapsed().as_secs_f64() / reps as f64;
    let err = tau.iter().zip(reference.iter()).map(|(t, r)| ((t - r) / r).abs()).fold(0.0, f64::max);
    eprintln!("leverage_20k: max relative error {err:.3e}");
    report(case, seconds, err);
    Ok(())
}

/// An MNIST-1D baseline trained as published (Adam lr 1e-2, batches of 100 in
/// order, 6000 steps) on the first 4000 rows, on the CPU with all cores as the
/// peer; quality is the accuracy on the next 1000 rows.
#[cfg(feature = "torch")]
fn mnist1d_train(case: &str, dir: &Path, kind: Mnist1dNet) -> Res<()> {
    let x = read_npy_2d(file(dir, "mnist_x"))?;
    let y = read_npy_labels(file(dir, "mnist_y"))?;
    let rows = |r: std::ops::Range<usize>| {
        TensorData::classification(x.slice(ndarray::s![r.clone(), ..]), y.slice(ndarray::s![r]), tch::Device::Cpu)
    };
    let (train, test) = (rows(0..4000)?, rows(4000..5000)?);
    tch::set_num_threads(std::thread::available_parallelism().map_or(1, |n| n.get()) as i32);
    let t = Instant::now();
    let (_, _, acc) = train_mnist1d_baseline(kind, &train, &test, SEED)?;
    report(case, t.elapsed().as_secs_f64(), acc);
    Ok(())
}

/// Hidden channels c of the soft-equivariant MLP in the equivariance cases
/// (hidden representation c·(T0 + T1 + T2) = 13c wide), as in the notebook.
#[cfg(feature = "torch")]
const EQUIV_CHANNELS: usize = 8;
#[cfg(feature = "torch")]
const EQUIV_EPOCHS: usize = 20;

#[cfg(feature = "torch")]
fn inertia_groups() -> Res<Vec<Group>> {
    Ok(vec![Group::o3(), Group::o2(0)?, Group::o2(1)?, Group::o2(2)?])
}

/// Seconds per training epoch (1000 rows, batch 500, Adam) of the
/// soft-equivariant MLP with the regulariser over 4 candidate groups; the
/// quality is its overhead over our plain MLP of the same widths (ratio of
/// epoch times). libtorch on one thread, as the peer.
#[cfg(feature = "torch")]
fn soft_emlp_epoch(case: &str, dir: &Path) -> Res<()> {
    tch::set_num_threads(1);
    let (x, y) = (read_npy_2d(file(dir, "inertia_x"))?, read_npy_2d(file(dir, "inertia_y"))?);
    let data = TensorData::regression(x.view(), y.view(), tch::Device::Cpu)?;
    let trainer = Trainer::new().epochs(EQUIV_EPOCHS).batch_size(500).lr(3e-3).log_every(0);
    let params = SoftEmlp::params(Rep::scalars(5) + Rep::vectors(5), Rep::tensors(1, 2), 3).channels(EQUIV_CHANNELS);
    let mut soft = params.build(tch::Device::Cpu)?;
    let reg = soft.regularizer(&inertia_groups()?, 1.0)?;
    let t = Instant::now();
    soft.fit(&trainer, &data, Some(&reg), None)?;
    let soft_epoch = t.elapsed().as_secs_f64() / EQUIV_EPOCHS as f64;
    let mut unregularized = params.build(tch::Device::Cpu)?;
    let t = Instant::now();
    unregularized.fit(&trainer, &data, None, None)?;
    let unregularized_epoch = t.elapsed().as_secs_f64() / EQUIV_EPOCHS as f64;
    let mut plain = plain_mlp(20, 13 * EQUIV_CHANNELS, 3, 9, tch::Device::Cpu, 0);
    let t = Instant::now();
    plain.fit(&trainer, &data, &Loss::mse())?;
    let plain_epoch = t.elapsed().as_secs_f64() / EQUIV_EPOCHS as f64;
    eprintln!(
        "epoch: soft-equivariant with 4 groups {soft_epoch:.4} s, the same net unregularised {unregularized_epoch:.4} s, plain MLP {plain_epoch:.4} s"
    );
    report(case, soft_epoch, soft_epoch / plain_epoch);
    Ok(())
}

/// Seconds to build the exact projectors of 4 candidate groups for every
/// layer of the notebook's soft-equivariant MLP on ModifiedInertia; the
/// quality is the summed dimension of the equivariant weight spaces.
#[cfg(feature = "torch")]
fn equiv_projectors(case: &str) -> Res<()> {
    let p = SoftEmlp::params(Rep::scalars(5) + Rep::vectors(5), Rep::tensors(1, 2), 3).channels(EQUIV_CHANNELS);
    let hidden = p.hidden();
    let gated = hidden.clone() + Rep::scalars(2 * EQUIV_CHANNELS);
    let layers = [
        (Rep::scalars(5) + Rep::vectors(5), gated.clone()),
        (hidden.clone(), gated.clone()),
        (hidden.clone(), gated),
        (hidden, Rep::tensors(1, 2)),
    ];
    let t = Instant::now();
    let mut rank = 0;
    for g in inertia_groups()? {
        for (i, o) in &layers {
            rank += Projector::exact(&g, i, o)?.rank();
        }
    }
    report(case, t.elapsed().as_secs_f64(), rank as f64);
    Ok(())
}

/// Steps of the diffusion run: 1000 Adam steps of batch 128 on 700 points.
#[cfg(feature = "torch")]
const MOLRG_EPOCHS: usize = 167;

/// Seconds for 1000 training steps of the MoLRG denoiser (n = 48, two rank-7
/// subspaces, 700 points as in the paper's reference experiment, VP schedule,
/// Adam 1e-3, batch 128, QR retraction, one thread); quality is the last
/// epoch's mean loss.
#[cfg(feature = "torch")]
fn molrg_train(case: &str, dir: &Path) -> Res<()> {
    tch::set_num_threads(1);
    let x = read_npy_2d(file(dir, "molrg_x"))?;
    let mut model = DiffusionModel::molrg(48, &[7, 7], NoiseSchedule::vp(), tch::Device::Cpu, SEED)?;
    let trainer = Trainer::new().lr(1e-3).epochs(MOLRG_EPOCHS).batch_size(128).log_every(0);
    let t = Instant::now();
    let history = model.fit(&trainer, x.view())?;
    report(case, t.elapsed().as_secs_f64(), history.train_loss().last().copied().unwrap_or(f64::NAN));
    Ok(())
}

/// Seconds to draw 10 000 samples by 50 DDIM steps with the posterior-mean
/// denoiser of the true mixture (one thread); quality is the largest error of
/// the samples' latent second moment, ‖Cₖ − I‖_F/√dₖ with Cₖ the mean of
/// (Uₖᵀx)(Uₖᵀx)ᵀ over the samples nearest subspace k: a wrong step or start
/// changes it, where the distance to the subspaces would not see it.
#[cfg(feature = "torch")]
fn ddim_sample(case: &str, dir: &Path) -> Res<()> {
    tch::set_num_threads(1);
    let u = read_npy_2d(file(dir, "molrg_u"))?;
    let bases = vec![u.slice(ndarray::s![.., ..7]).to_owned(), u.slice(ndarray::s![.., 7..]).to_owned()];
    let model = DiffusionModel::molrg_from_bases(&bases, NoiseSchedule::vp(), tch::Device::Cpu)?;
    model.sample(10_000, &Sampler::ddim(50), SEED)?; // warm, as the peer
    let t = Instant::now();
    let x = model.sample(10_000, &Sampler::ddim(50), SEED)?;
    let seconds = t.elapsed().as_secs_f64();
    report(case, seconds, LatentFit::measure(x.view(), &bases)?.max_covariance_error());
    Ok(())
}
