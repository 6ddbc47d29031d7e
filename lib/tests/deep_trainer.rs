//! The trainer and the autoencoders on the CPU: repeatability, exact resume
//! from a checkpoint, divergence handling, early stopping, callbacks, losses
//! written as plain functions, bad input, save/load.
#![cfg(feature = "torch")]

use lowdim::prelude::*;
use tch::{nn, Device, Tensor};

fn blob_data(seed: u64) -> TensorData {
    let ds = blobs(300, 3, 5, 1.0, seed).unwrap();
    TensorData::from_dataset(&ds, Device::Cpu).unwrap()
}

fn mlp(seed: u64) -> Model {
    Model::new(Device::Cpu, seed, |p| {
        nn::seq().add(torch_linear(&(p / "l1"), 5, 16)).add_fn(|x| x.relu()).add(torch_linear(&(p / "l2"), 16, 3))
    })
}

fn weights(m: &Model) -> Vec<(String, Vec<f32>)> {
    let mut w: Vec<(String, Vec<f32>)> =
        m.var_store().variables().into_iter().map(|(n, t)| (n, Vec::<f32>::try_from(&t.flatten(0, -1)).unwrap())).collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

fn quiet() -> Trainer {
    Trainer::new().lr(1e-2).batch_size(32).log_every(0)
}

#[test]
fn same_seeds_give_the_same_weights() {
    let data = blob_data(1);
    let run = || {
        let mut m = mlp(3);
        m.fit(&quiet().epochs(3).seed(9), &data, &Loss::cross_entropy()).unwrap();
        weights(&m)
    };
    assert_eq!(run(), run());
}

#[test]
fn a_resumed_run_ends_where_an_uninterrupted_one_does() {
    let data = blob_data(2);
    let dir = std::env::temp_dir().join(format!("lowdim-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let trainer = quiet().epochs(4).optimizer(Optim::adamw()).weight_decay(1e-2).schedule(Schedule::Cosine { min_lr: 1e-4 });

    let mut straight = mlp(5);
    let h_straight = straight.fit(&trainer, &data, &Loss::cross_entropy()).unwrap();

    // "Interrupted" after 2 epochs: a callback stops it; then a new model resumes.
    fn stop_after_two(r: &EpochRecord) -> Control {
        if r.epoch == 2 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
    let mut first = mlp(5);
    let h1 = first.fit(&trainer.clone().checkpoint(&dir).callback(stop_after_two), &data, &Loss::cross_entropy()).unwrap();
    assert_eq!(h1.epochs(), 2);
    assert!(h1.stopped().unwrap().contains("callback"));
    let mut resumed = mlp(77); // different initial weights: all must come from the checkpoint
    let h2 = resumed.fit(&trainer.clone().checkpoint(&dir), &data, &Loss::cross_entropy()).unwrap();
    assert_eq!(h2.epochs(), 4);
    assert_eq!(weights(&resumed), weights(&straight));
    assert_eq!(h2.train_loss(), h_straight.train_loss());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_diverging_loss_stops_with_the_epoch_and_restores_the_weights() {
    let data = blob_data(3);
    let mut m = mlp(1);
    m.fit(&quiet().epochs(1), &data, &Loss::cross_entropy()).unwrap();
    let before = weights(&m);
    fn explode(_b: &Batch, f: &Forward) -> Tensor {
        f.output().sum(tch::Kind::Float) * f64::NAN
    }
    let err = m.fit(&quiet().epochs(3), &data, &Loss::new("explode", explode)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Training(_)), "{msg}");
    assert!(msg.contains("epoch 1") && msg.contains("NaN"), "{msg}");
    assert_eq!(weights(&m), before);
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    let train = blob_data(4);
    let valid = blob_data(40);
    let mut m = mlp(2);
    // A learning rate this high makes the validation loss bounce.
    let trainer = quiet().lr(0.5).optimizer(Optim::sgd(0.9)).epochs(60).validation(&valid).early_stopping(3).metric(TrainMetric::Accuracy);
    let h = m.fit(&trainer, &train, &Loss::cross_entropy()).unwrap();
    let why = h.stopped().expect("stopped early");
    assert!(why.contains("early stopping"), "{why}");
    let best = h.val_loss().iter().cloned().fold(f64::INFINITY, f64::min);
    let now = {
        let b = valid.all();
        let out = m.forward(b.x()).unwrap();
        Loss::cross_entropy().value(&b, &Forward::new(out)).double_value(&[])
    };
    assert!((now - best).abs() < 1e-5, "restored loss {now} vs best {best}");
    assert_eq!(h.metric("accuracy").len(), h.epochs());
}

#[test]
fn a_loss_written_as_a_function_trains_and_composes() {
    let data = blob_data(5);
    // Cross-entropy against labels smoothed by 0.1, written out by hand.
    fn smoothed(b: &Batch, f: &Forward) -> Tensor {
        let logp = f.output().log_softmax(-1, tch::Kind::Float);
        let k = logp.size()[1];
        let target = b.y().one_hot(k).to_kind(tch::Kind::Float) * 0.9 + 0.1 / k as f64;
        -(logp * target).sum_dim_intlist(-1, false, tch::Kind::Float).mean(tch::Kind::Float)
    }
    let loss = Loss::new("smoothed", smoothed) + Loss::cross_entropy() * 0.5;
    let mut m = mlp(6);
    let h = m.fit(&quiet().epochs(15), &data, &loss).unwrap();
    assert_eq!(h.last().unwrap().terms.len(), 2);
    assert!(h.train_loss()[14] < h.train_loss()[0]);
    assert!(m.accuracy(&data).unwrap() > 0.9);
    assert_eq!(h.figure().unwrap().n_traces(), 1);
}

#[test]
fn bad_input_is_an_error_naming_the_problem() {
    let data = blob_data(6);
    let mut wrong_width = Model::new(Device::Cpu, 0, |p| nn::seq().add(torch_linear(&(p / "l"), 7, 3)));
    let e = wrong_width.fit(&quiet(), &data, &Loss::cross_entropy()).unwrap_err().to_string();
    assert!(e.contains("does not fit the training data"), "{e}");
    let mut m = mlp(0);
    assert!(matches!(m.fit(&quiet().lr(0.0), &data, &Loss::mse()), Err(Error::Param { name: "lr", .. })));
    assert!(matches!(m.fit(&quiet().epochs(0), &data, &Loss::mse()), Err(Error::Param { name: "epochs", .. })));
    assert!(matches!(m.fit(&quiet().batch_size(0), &data, &Loss::mse()), Err(Error::Param { name: "batch_size", .. })));
    let x = Array2::from_elem((10, 5), 0.5);
    let unsup = TensorData::unsupervised(x.view(), Device::Cpu).unwrap();
    assert!(matches!(m.fit(&quiet().metric(TrainMetric::Accuracy), &unsup, &Loss::mse()), Err(Error::Param { name: "metric", .. })));
    let mut nan = x.clone();
    nan[[3, 2]] = f64::NAN;
    assert!(TensorData::unsupervised(nan.view(), Device::Cpu).is_err());
    assert!(Autoencoder::params().hidden(vec![]).fit_records(x.view()).is_err());
}

fn unit_data() -> Array2<f64> {
    // Points near a 2-D surface in 6-D, inside [0, 1].
    Array2::from_shape_fn((400, 6), |(i, j)| {
        let (u, v) = ((i % 20) as f64 / 19.0, (i / 20) as f64 / 19.0);
        0.5 + 0.4 * ((j as f64 + 1.0) * u).sin() * (v + 0.1 * j as f64).cos()
    })
}

#[test]
fn autoencoder_learns_saves_and_loads() {
    let x = unit_data();
    let p = Autoencoder::params().hidden(vec![8, 2]).epochs(40).lr(5e-3).batch_size(32).device(Device::Cpu).log_every(0);
    let ae = p.fit_records(x.view()).unwrap();
    let h = ae.history();
    assert!(h.train_loss()[39] < 0.5 * h.train_loss()[0], "{:?}", h.train_loss());
    let dir = std::env::temp_dir().join(format!("lowdim-ae-{}", std::process::id()));
    ae.save(&dir).unwrap();
    let back = Autoencoder::load(&dir, Device::Cpu).unwrap();
    assert_eq!(back.transform(x.view()).unwrap(), ae.transform(x.view()).unwrap());
    assert_eq!(back.history(), ae.history());
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ae.transform(Array2::zeros((2, 5)).view()).is_err());
}

#[test]
fn cascade_and_greedy_stacks_produce_codes() {
    let x = unit_data();
    let sae = StackedAutoencoder::params().epochs([3, 2, 2]).device(Device::Cpu).log(false).fit_records(x.view()).unwrap();
    let codes = sae.transform(x.view()).unwrap();
    assert_eq!(codes.dim(), (400, 2));
    assert!(codes.iter().all(|v| v.is_finite()));
    assert_eq!(sae.parts()[2].net().encode(&Tensor::zeros([1, 5 + 12], (tch::Kind::Float, Device::Cpu))).size(), vec![1, 2]);
    let dir = std::env::temp_dir().join(format!("lowdim-sae-{}", std::process::id()));
    sae.save(&dir).unwrap();
    assert_eq!(StackedAutoencoder::load(&dir, Device::Cpu).unwrap().transform(x.view()).unwrap(), codes);
    let _ = std::fs::remove_dir_all(&dir);

    let p = Autoencoder::params().hidden(vec![8, 4, 2]).epochs(10).lr(5e-3).noise(0.05).device(Device::Cpu).log_every(0);
    let greedy = greedy_pretrained_autoencoder(&p, 5, x.view()).unwrap();
    let variance = x.var_axis(Axis(0), 0.0).mean().unwrap();
    let err = greedy.reconstruction_error(x.view()).unwrap();
    println!("greedy reconstruction error {err:.5}, data variance {variance:.5}");
    assert!(err < 0.5 * variance, "greedy reconstruction error {err} vs data variance {variance}");
}
