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
    let pca = KSubspaces::params(1, 3).fit_records(m.data.view()).unwrap();
    let err = match_subspaces(&model.bases().unwrap(), pca.bases()).unwrap().max_error;
    assert!(err < 0.05, "diffusion vs PCA subspace: {err}");
}

#[test]
fn several_subspaces_training_is_k_subspaces() {
    one_thread();
    let m = MolrgParams::new(20, &[3, 3]).noise(0.02).orthogonal(true).sample(300, 4).unwrap();
    let model = train_molrg(&m.data, &[3, 3], 3);
    let ks = KSubspaces::params(2, 3).n_init(5).seed(0).fit_records(m.data.view()).unwrap();
    let between = match_subspaces(&model.bases().unwrap(), ks.bases()).unwrap().max_error;
    assert!(between < 0.05, "diffusion vs K-subspaces: {between}");
    assert!(model.recovery(&m.bases).unwrap().max_error < 0.1);
}

#[test]
fn samplers_land_on_the_subspaces_and_ddim_is_euler() {
    one_thread();
    let m = MolrgParams::new(16, &[2, 2]).orthogonal(true).balanced(true).sample(200, 5).unwrap();
    let mut model = train_molrg(&m.data, &[2, 2], 2);
    assert!(model.recovery(&m.bases).unwrap().max_error < 0.05);
    model.set_schedule(NoiseSchedule::vp());
    // Fresh draws of the same mixture (same seed, same bases): the baseline.
    let fresh = MolrgParams::new(16, &[2, 2]).orthogonal(true).sample(300, 5).unwrap();
    assert_eq!(fresh.bases, m.bases);
    let baseline = Memorization::measure(fresh.data.view(), m.data.view(), &m.bases).unwrap().memorized_fraction();
    for sampler in [Sampler::ddim(50), Sampler::ddim_eta(50, 1.0), Sampler::ddpm(200), Sampler::euler(50), Sampler::heun(25)] {
        let x = model.sample(300, &sampler, 1).unwrap();
        let mem = Memorization::measure(x.view(), m.data.view(), &m.bases).unwrap();
        assert!(mem.mean_subspace_distance() < 0.05, "{sampler:?}: {}", mem.mean_subspace_distance());
        // Samples are new points of the subspaces: no more near-copies of
        // training points than fresh ground truth has by chance.
        assert!(mem.memorized_fraction() < baseline + 0.1, "{sampler:?}: {} vs {baseline}", mem.memorized_fraction());
        let sw = sliced_wasserstein(x.view(), fresh.data.view(), 2.0, 200, 0).unwrap();
        assert!(sw < 0.2, "{sampler:?}: sliced Wasserstein {sw}");
    }
    let a = model.sample(50, &Sampler::ddim(20), 7).unwrap();
    let b = model.sample(50, &Sampler::euler(20), 7).unwrap();
    let gap = (&a - &b).mapv(f64::abs).fold(0.0, |m: f64, v| m.max(*v));
    assert!(gap < 1e-4, "deterministic DDIM and Euler differ by {gap}");
    assert_eq!(a, model.sample(50, &Sampler::ddim(20), 7).unwrap(), "same seed, same samples");
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
fn training_repeats_with_the_seed() {
    one_thread();
    let m = MolrgParams::new(12, &[2, 2]).sample(60, 1).unwrap();
    let run = || {
        let mut model = DiffusionModel::molrg(12, &[2, 2], NoiseSchedule::vp(), Device::Cpu, 9).unwrap();
        model.fit(&trainer(60, 20), m.data.view()).unwrap();
        model.bases().unwrap()
    };
    assert_eq!(run(), run());
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
}
