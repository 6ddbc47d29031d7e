//! Diffusion subspace models: training the MoLRG denoiser is PCA for one
//! subspace and K-subspaces for several; samplers land on the subspaces; the
//! Jacobian is low rank; the recovery threshold sits at Nₖ ≈ dₖ.
#![cfg(feature = "torch")]

use lowdim::prelude::*;
use tch::Device;

fn one_thread() {
    tch::set_num_threads(1);
}

/// Full-batch SGD with a cosine-annealed rate: the phase-transition setting.
fn trainer(n: usize, epochs: usize) -> Trainer {
    Trainer::new().optimizer(Optim::sgd(0.0)).lr(20.0).schedule(Schedule::Cosine { min_lr: 0.0 }).epochs(epochs).batch_size(n).log_every(0)
}

/// Best of `starts` trainings by denoising loss.
fn train_molrg(x: &Array2<f64>, dims: &[usize], starts: u64) -> DiffusionModel<MolrgDenoiser> {
    let mut best: Option<(f64, DiffusionModel<MolrgDenoiser>)> = None;
    for s in 0..starts {
        let mut m = DiffusionModel::molrg(x.ncols(), dims, low_noise_schedule(), Device::Cpu, s).unwrap();
        m.fit(&trainer(x.nrows(), 300), x.view()).unwrap();
        let loss = m.loss(x.view(), 10, 0).unwrap();
        if best.as_ref().is_none_or(|(l, _)| loss < *l) {
            best = Some((loss, m));
        }
    }
    best.unwrap().1
}

#[test]
fn one_subspace_training_is_pca() {
    one_thread();
    let m = MolrgParams::new(20, &[3]).noise(0.05).sample(200, 3).unwrap();
    let model = train_molrg(&m.data, &[3], 1);
    // Linear K-subspaces with K = 1 is uncentred PCA: the top-3 eigenvectors of XᵀX.
    let pca = KSubspaces::params().n_clusters(1).dim(3).fit_records(m.data.view()).unwrap();
    let err = match_subspaces(&model.bases().unwrap(), pca.bases()).unwrap().max_error;
    assert!(err < 0.05, "diffusion vs PCA subspace: {err}");
}

#[test]
fn several_subspaces_training_is_k_subspaces() {
    one_thread();
    let m = MolrgParams::new(20, &[3, 3]).noise(0.02).orthogonal(true).sample(300, 4).unwrap();
    let model = train_molrg(&m.data, &[3, 3], 3);
    let ks = KSubspaces::params().n_clusters(2).dim(3).n_init(5).seed(0).fit_records(m.data.view()).unwrap();
    let between = match_subspaces(&model.bases().unwrap(), ks.bases()).unwrap().max_error;
    assert!(between < 0.05, "diffusion vs K-subspaces: {between}");
    assert!(model.recovery(&m.bases).unwrap().max_error < 0.1);
}

/// Largest |entry| of UᵀU − I over the bases.
fn orthonormality_gap(bases: &[Array2<f64>]) -> f64 {
    bases.iter().map(|u| (u.t().dot(u) - Array2::<f64>::eye(u.ncols())).iter().fold(0.0f64, |m, v| m.max(v.abs()))).fold(0.0, f64::max)
}

#[test]
fn every_sampler_draws_the_mixture_from_the_posterior_mean() {
    one_thread();
    // Unequal ranks, so a sampler that got the components' normalisers or
    // spreads wrong shows in the proportions or the latent covariance.
    let m = MolrgParams::new(16, &[2, 3]).orthogonal(true).sample(10, 5).unwrap();
    let schedules = [NoiseSchedule::vp(), NoiseSchedule::ve(1000, 0.002, 80.0).unwrap()];
    for schedule in schedules {
        let kind = schedule.kind().to_string();
        let model = DiffusionModel::molrg_from_bases(&m.bases, schedule, Device::Cpu).unwrap();
        // Enough steps that discretisation costs under ~0.09 (measured: the
        // stochastic samplers' bias halves as the steps double); the VE
        // schedule spans 4e4 in γ and needs more of them.
        let fine = if kind == "vp" { 250 } else { 1000 };
        let samplers = [Sampler::ddpm(fine), Sampler::ddim_eta(fine, 1.0), Sampler::ddim(100), Sampler::euler(100), Sampler::heun(50)];
        for sampler in samplers {
            let x = model.sample(6000, &sampler, 1).unwrap();
            let fit = LatentFit::measure(x.view(), &m.bases).unwrap();
            assert!(fit.max_covariance_error() < 0.12, "{kind} {sampler:?}: latent covariance off by {:?}", fit.covariance_error);
            assert!(fit.proportions.iter().all(|p| (p - 0.5).abs() < 0.03), "{kind} {sampler:?}: proportions {:?}", fit.proportions);
        }
    }
}

#[test]
fn latent_fit_sees_a_wrong_spread() {
    let m = MolrgParams::new(16, &[2, 3]).orthogonal(true).sample(10, 5).unwrap();
    let truth = m.fresh(3000, 1).unwrap();
    assert!(LatentFit::measure(truth.data.view(), &m.bases).unwrap().max_covariance_error() < 0.1);
    // 10% too narrow: the kind of error a wrong step would make.
    let narrow = &truth.data * 0.9;
    assert!(LatentFit::measure(narrow.view(), &m.bases).unwrap().max_covariance_error() > 0.2);
    assert!(LatentFit::measure(Array2::<f64>::zeros((0, 16)).view(), &m.bases).unwrap_err().to_string().contains("samples"));
    let skew = vec![&m.bases[0] * 1.1];
    assert!(LatentFit::measure(truth.data.view(), &skew).unwrap_err().to_string().contains("orthonormal"));
}

#[test]
fn trained_model_samples_new_points_of_the_mixture() {
    one_thread();
    let m = MolrgParams::new(16, &[2, 2]).orthogonal(true).balanced(true).sample(200, 5).unwrap();
    let mut model = train_molrg(&m.data, &[2, 2], 2);
    assert!(model.recovery(&m.bases).unwrap().max_error < 0.05);
    model.set_schedule(NoiseSchedule::vp());
    // Fresh draws of the same mixture, independent of the training points.
    let fresh = m.fresh(300, 1).unwrap();
    let baseline = Memorization::measure(fresh.data.view(), m.data.view(), &m.bases).unwrap().memorized_fraction();
    let x = model.sample(6000, &Sampler::ddim(100), 1).unwrap();
    let fit = LatentFit::measure(x.view(), &m.bases).unwrap();
    assert!(fit.max_covariance_error() < 0.12, "{:?}", fit.covariance_error);
    let mem = Memorization::measure(x.slice(ndarray::s![..300, ..]), m.data.view(), &m.bases).unwrap();
    // No more near-copies of training points than fresh ground truth has by chance.
    assert!(mem.memorized_fraction() < baseline + 0.1, "{} vs {baseline}", mem.memorized_fraction());
    let sw = sliced_wasserstein(x.slice(ndarray::s![..300, ..]), fresh.data.view(), 2.0, 200, 0).unwrap();
    assert!(sw < 0.2, "sliced Wasserstein {sw}");
}

#[test]
fn deterministic_ddim_is_euler_and_repeats() {
    one_thread();
    let m = MolrgParams::new(16, &[2, 2]).orthogonal(true).sample(10, 5).unwrap();
    let model = DiffusionModel::molrg_from_bases(&m.bases, NoiseSchedule::vp(), Device::Cpu).unwrap();
    let a = model.sample(50, &Sampler::ddim(20), 7).unwrap();
    let b = model.sample(50, &Sampler::euler(20), 7).unwrap();
    let gap = (&a - &b).mapv(f64::abs).fold(0.0, |m: f64, v| m.max(*v));
    assert!(gap < 1e-4, "deterministic DDIM and Euler differ by {gap}");
    assert_eq!(a, model.sample(50, &Sampler::ddim(20), 7).unwrap(), "same seed, same samples");
    assert_ne!(a, model.sample(50, &Sampler::ddim(20), 8).unwrap());
}

#[test]
fn memorization_counts_exact_copies_and_checks_its_input() {
    let m = MolrgParams::new(6, &[2]).sample(20, 1).unwrap();
    let mut train = m.data.clone();
    train.row_mut(1).assign(&m.data.row(0)); // a duplicated training point
    let copies = ndarray::stack(Axis(0), &[m.data.row(0), m.data.row(2)]).unwrap();
    let mem = Memorization::measure(copies.view(), train.view(), &m.bases).unwrap();
    assert_eq!(mem.memorized_fraction(), 1.0, "{:?}", mem.nearest_ratio);
    let e = Memorization::measure(Array2::<f64>::zeros((0, 6)).view(), train.view(), &m.bases).unwrap_err().to_string();
    assert!(e.contains("samples"), "{e}");
    let e = Memorization::measure(copies.view(), train.view(), &[&m.bases[0] * 2.0]).unwrap_err().to_string();
    assert!(e.contains("truth[0]"), "{e}");
    let mut nan = m.bases[0].clone();
    nan[[0, 0]] = f64::NAN;
    assert!(Memorization::measure(copies.view(), train.view(), &[nan]).unwrap_err().to_string().contains("truth"));
    let none: [Array2<f64>; 0] = [];
    assert!(Memorization::measure(copies.view(), train.view(), &none).unwrap_err().to_string().contains("K = 0"));
}

#[test]
fn jacobian_is_low_rank_at_low_noise() {
    one_thread();
    let m = MolrgParams::new(16, &[3, 3]).orthogonal(true).balanced(true).sample(200, 6).unwrap();
    let model = train_molrg(&m.data, &[3, 3], 2);
    let spectrum = model.jacobian_spectrum(m.data.slice(ndarray::s![..5, ..]), &[1, 50], 0).unwrap();
    assert_eq!(spectrum.ranks(0.1)[0], 3, "{:?}", spectrum.values.row(0));
    let sub = model.jacobian_subspace(m.data.row(0), 1, 3).unwrap();
    let k = m.labels[0];
    assert!(subspace_recovery_error(sub.view(), m.bases[k].view()).unwrap() < 0.05);
    let fresh = m.fresh(5, 1).unwrap();
    let err = model.jacobian_recovery(fresh.data.view(), fresh.labels.view(), &m.bases, 1).unwrap();
    assert!(err < 0.05, "{err}");
    // The wrong subspace for every point: the measure sees it.
    let swapped = fresh.labels.mapv(|k| 1 - k);
    assert!(model.jacobian_recovery(fresh.data.view(), swapped.view(), &m.bases, 1).unwrap() > 0.5);
}

#[test]
fn phase_transition_sits_at_the_dimension() {
    one_thread();
    let pt = PhaseTransition::params().dims(&[3]).seeds(2).run().unwrap();
    let at = pt.transition(0).unwrap();
    assert!((2..=4).contains(&at), "transition at {at}: {:?}", pt.success[0]);
    assert_eq!(pt.success[0][0], 0.0, "one sample cannot span a 3-dimensional subspace");
    assert!(pt.figure().is_ok());
}

#[test]
fn phase_transition_is_the_same_at_any_thread_count() {
    one_thread();
    let params = PhaseTransition::params().ambient(12).dims(&[2, 3]).max_ratio(2).seeds(2).n_init(2).epochs(40);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| params.run()).unwrap()
    };
    let (one, two) = (on(1), on(2));
    assert_eq!(one.error, two.error);
    assert_eq!(one.success, two.success);
}

#[test]
fn training_repeats_with_the_seed_and_keeps_bases_orthonormal() {
    one_thread();
    let m = MolrgParams::new(12, &[2, 2]).sample(60, 1).unwrap();
    let run = |seed| {
        let mut model = DiffusionModel::molrg(12, &[2, 2], NoiseSchedule::vp(), Device::Cpu, seed).unwrap();
        model.fit(&trainer(60, 20), m.data.view()).unwrap();
        model.bases().unwrap()
    };
    let bases = run(9);
    assert_eq!(bases, run(9));
    assert_ne!(bases, run(10));
    assert!(orthonormality_gap(&bases) < 1e-5, "‖UᵀU − I‖ = {}", orthonormality_gap(&bases));
}

#[test]
fn models_built_on_many_threads_repeat() {
    one_thread();
    // Initial weights come from the crate's generators, not libtorch's shared one.
    let build = |seed: u64| {
        let molrg = DiffusionModel::molrg(10, &[2, 3], NoiseSchedule::vp(), Device::Cpu, seed).unwrap().bases().unwrap();
        let mlp = DiffusionModel::mlp(10, &[16], 0.5, NoiseSchedule::vp(), Device::Cpu, seed).unwrap();
        let x = Array2::<f64>::ones((2, 10));
        (molrg, mlp.denoise(x.view(), 10).unwrap())
    };
    let alone: Vec<_> = (0..8).map(build).collect();
    let together: Vec<_> = std::thread::scope(|s| {
        (0..8).map(|seed| s.spawn(move || build(seed))).collect::<Vec<_>>().into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(alone, together);
}

#[test]
fn mlp_denoiser_trains_and_samples() {
    one_thread();
    let m = MolrgParams::new(8, &[2]).sample(256, 2).unwrap();
    let mut model = DiffusionModel::mlp(8, &[64, 64], 0.5, NoiseSchedule::vp(), Device::Cpu, 0).unwrap();
    let before = model.loss(m.data.view(), 4, 0).unwrap();
    model.fit(&Trainer::new().lr(2e-3).epochs(30).batch_size(64).log_every(0), m.data.view()).unwrap();
    let after = model.loss(m.data.view(), 4, 0).unwrap();
    assert!(after < 0.8 * before, "loss {before} → {after}");
    let x = model.sample(64, &Sampler::heun(20), 0).unwrap();
    assert_eq!(x.dim(), (64, 8));
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn bad_input_is_an_error() {
    let vp = NoiseSchedule::vp();
    let e = DiffusionModel::molrg(8, &[], vp.clone(), Device::Cpu, 0).unwrap_err().to_string();
    assert!(e.contains("K = 0"), "{e}");
    let e = DiffusionModel::molrg(8, &[2, 9], vp.clone(), Device::Cpu, 0).unwrap_err().to_string();
    assert!(e.contains("dims[1] = 9"), "{e}");
    assert!(NoiseSchedule::custom(&[1.0, 1.0], &[0.3, 0.1]).is_err());
    let mut model = DiffusionModel::molrg(4, &[1], vp, Device::Cpu, 0).unwrap();
    let mut x = Array2::<f64>::ones((5, 4));
    x[[2, 1]] = f64::NAN;
    assert!(model.fit(&Trainer::new().log_every(0), x.view()).unwrap_err().to_string().contains("x"));
    assert!(model.fit(&Trainer::new().log_every(0), Array2::<f64>::ones((5, 3)).view()).is_err());
    assert!(model.sample(0, &Sampler::ddim(10), 0).is_err());
    assert!(model.sample(5, &Sampler::ddim(0), 0).unwrap_err().to_string().contains("steps"));
    assert!(model.sample(5, &Sampler::ddim_eta(10, 2.0), 0).unwrap_err().to_string().contains("eta"));
    assert!(model.denoise(Array2::<f64>::ones((2, 4)).view(), 0).unwrap_err().to_string().contains("level"));
    assert!(PhaseTransition::params().n_subspaces(0).run().unwrap_err().to_string().contains("n_subspaces"));
    assert!(PhaseTransition::params().dims(&[30]).run().unwrap_err().to_string().contains("dims"));
    assert!(DiffusionModel::mlp(4, &[], 0.5, NoiseSchedule::vp(), Device::Cpu, 0).is_err());
    assert!(DiffusionModel::mlp(4, &[1 << 30], 0.5, NoiseSchedule::vp(), Device::Cpu, 0).unwrap_err().to_string().contains("hidden"));
    let x = Array2::<f64>::ones((5, 4));
    assert!(model.loss(x.view(), 0, 0).unwrap_err().to_string().contains("n_draws"));
    assert!(model.loss(x.view(), usize::MAX, 0).unwrap_err().to_string().contains("n_draws"));
    assert!(model.sample(usize::MAX, &Sampler::ddim(10), 0).unwrap_err().to_string().contains("`n`"));
}
