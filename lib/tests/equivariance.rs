//! Soft equivariance: projector identities for every built-in group, exact
//! versus averaged projectors, the regulariser, bad input, the generated
//! tasks' symmetries, the strictly equivariant model, and a short training
//! run with λ auto-tuning.
#![cfg(feature = "torch")]

use lowdim::prelude::*;
use tch::{Device, Kind, Tensor};

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn random_weight(o: usize, i: usize, seed: i64) -> Tensor {
    tch::manual_seed(seed);
    Tensor::randn([o as i64, i as i64], (Kind::Double, Device::Cpu))
}

fn as_array(t: &Tensor) -> Array2<f64> {
    to_array2(t).unwrap()
}

/// P is idempotent and symmetric, and PW commutes with the group action.
fn check_projector(group: &Group, rep_in: &Rep, rep_out: &Rep) -> usize {
    let p = Projector::exact(group, rep_in, rep_out).unwrap();
    let dense = p.dense().unwrap();
    assert!(max_abs(&(dense.dot(&dense) - &dense)) < 1e-9, "{} not idempotent", group.name());
    assert!(max_abs(&(&dense - &dense.t())) < 1e-9, "{} not symmetric", group.name());
    let (o, i) = p.weight_shape();
    let pw = as_array(&p.project_weight(&random_weight(o, i, 1)).unwrap());
    for s in 0..4 {
        let g = group.sample(s);
        let (go, gi) = (rep_out.matrix(g.view()), rep_in.matrix(g.view()));
        let err = max_abs(&(go.dot(&pw) - pw.dot(&gi)));
        assert!(err < 1e-6, "{}: ρ_out(g)PW − PWρ_in(g) = {err}", group.name());
    }
    p.rank()
}

#[test]
fn projectors_of_the_3d_groups_are_orthogonal_and_equivariant() {
    let rep = Rep::uniform(1, 2); // T0 + T1 + T2, 13 wide
    let mut groups = vec![Group::o3(), Group::so3(), Group::reflection(3, 0).unwrap(), Group::scaling(3).unwrap()];
    for axis in 0..3 {
        groups.push(Group::so2(axis).unwrap());
        groups.push(Group::o2(axis).unwrap());
    }
    for g in &groups {
        let r = check_projector(g, &rep, &rep);
        assert!(r > 0 && r < 169, "{}: rank {r}", g.name());
    }
}

#[test]
fn projectors_of_permutations_and_shifts_are_orthogonal_and_equivariant() {
    let rep = Rep::scalars(1) + Rep::vectors(2);
    check_projector(&Group::permutations(4).unwrap(), &rep, &Rep::uniform(1, 2));
    check_projector(&Group::cyclic(6).unwrap(), &rep, &rep);
}

#[test]
fn the_dimensions_of_equivariant_maps_are_the_known_ones() {
    let rank = |g: &Group, i: Rep, o: Rep| Projector::exact(g, &i, &o).unwrap().rank();
    let v = || Rep::vectors(1);
    assert_eq!(rank(&Group::o3(), v(), v()), 1); // a·I
    assert_eq!(rank(&Group::o3(), Rep::tensors(1, 2), v()), 0); // odd total rank vanishes under −I
    assert_eq!(rank(&Group::so3(), Rep::tensors(1, 2), v()), 1); // the Levi-Civita contraction
    assert_eq!(rank(&Group::o3(), Rep::tensors(1, 2), Rep::tensors(1, 2)), 3); // identity, transpose, trace
    for axis in 0..3 {
        assert_eq!(rank(&Group::so2(axis).unwrap(), v(), v()), 3); // aI + bJ in the plane, c on the axis
        assert_eq!(rank(&Group::o2(axis).unwrap(), v(), v()), 2);
        assert_eq!(rank(&Group::o2(axis).unwrap(), Rep::scalars(1), v()), 1); // the axis itself
    }
    assert_eq!(rank(&Group::permutations(5).unwrap(), v(), v()), 2); // aI + b11ᵀ
    assert_eq!(rank(&Group::cyclic(7).unwrap(), v(), v()), 7); // circulants
    assert_eq!(rank(&Group::scaling(3).unwrap(), v(), v()), 9);
    assert_eq!(rank(&Group::scaling(3).unwrap(), Rep::scalars(1), v()), 0);
    assert_eq!(rank(&Group::reflection(3, 0).unwrap(), v(), v()), 5);
    // the inertia task's input → output maps (the notebook states these)
    let inertia = || (Rep::scalars(5) + Rep::vectors(5), Rep::tensors(1, 2));
    assert_eq!(rank(&Group::o3(), inertia().0, inertia().1), 5);
    for axis in 0..3 {
        assert_eq!(rank(&Group::o2(axis).unwrap(), inertia().0, inertia().1), 30);
    }
}

#[test]
fn averaging_over_a_finite_subgroup_gives_the_exact_projector_where_it_is_provably_exact() {
    let rep = Rep::uniform(1, 2);
    let groups = [Group::o2(0).unwrap(), Group::so2(2).unwrap(), Group::reflection(3, 1).unwrap()];
    for g in &groups {
        let exact = Projector::exact(g, &rep, &rep).unwrap().dense().unwrap();
        let avg = Projector::averaged(g, &rep, &rep).unwrap().dense().unwrap();
        assert!(max_abs(&(exact - avg)) < 1e-9, "{}", g.name());
    }
    let set = Rep::scalars(1) + Rep::vectors(1);
    for g in [Group::permutations(4).unwrap(), Group::cyclic(5).unwrap()] {
        let exact = Projector::exact(&g, &set, &set).unwrap().dense().unwrap();
        let avg = Projector::averaged(&g, &set, &set).unwrap().dense().unwrap();
        assert!(max_abs(&(exact - avg)) < 1e-9, "{}", g.name());
    }
    let e = Projector::averaged(&Group::o3(), &rep, &rep).unwrap_err();
    assert!(e.to_string().contains("O(3)"), "{e}");
}

#[test]
fn the_regulariser_is_zero_for_an_equivariant_layer_and_positive_otherwise() {
    let rep = Rep::uniform(2, 2);
    let p = Projector::exact(&Group::o2(2).unwrap(), &rep, &rep).unwrap();
    let (o, i) = p.weight_shape();
    let w = random_weight(o, i, 3);
    let b = Tensor::randn([o as i64], (Kind::Double, Device::Cpu));
    let (pw, pb) = (p.project_weight(&w).unwrap(), p.project_bias(&b).unwrap());
    let groups = [Group::o2(2).unwrap(), Group::o3()];
    let reg = EquivarianceRegularizer::new(&groups, vec![RegLayer::new("fc", &pw, Some(&pb), rep.clone(), rep.clone())], 1.0).unwrap();
    let r = reg.residuals().unwrap();
    assert!(r[0] < 1e-20, "{r:?}"); // equivariant under O(2) about z …
    assert!(r[1] > 1.0, "{r:?}"); // … but not under O(3)
    let raw = EquivarianceRegularizer::new(&groups, vec![RegLayer::new("fc", &w, Some(&b), rep.clone(), rep)], 1.0).unwrap();
    assert!(raw.residuals().unwrap()[0] > 1.0);
    // ½‖W − PW‖² + ½‖b − Pb‖² by hand
    let by_hand = 0.5 * ((&w - &pw).square().sum(Kind::Double).double_value(&[]) + (&b - &pb).square().sum(Kind::Double).double_value(&[]));
    assert!((raw.residuals().unwrap()[0] - by_hand).abs() < 1e-9 * by_hand);
}

#[test]
fn the_loss_term_is_the_lambda_weighted_sum_of_the_residuals_over_all_layers() {
    let (a, h) = (Rep::scalars(3) + Rep::vectors(2), Rep::uniform(2, 2));
    let (w1, b1) = (random_weight(h.size(3), a.size(3), 5), Tensor::randn([h.size(3) as i64], (Kind::Double, Device::Cpu)));
    let w2 = random_weight(9, h.size(3), 6);
    let layers = vec![RegLayer::new("l1", &w1, Some(&b1), a, h.clone()), RegLayer::new("l2", &w2, None, h, Rep::tensors(1, 2))];
    let groups = [Group::o3(), Group::so2(0).unwrap(), Group::reflection(3, 2).unwrap()];
    let reg = EquivarianceRegularizer::with_lambdas(&groups, layers, &[0.5, 2.0, 3.0]).unwrap();
    let r = reg.residuals().unwrap();
    let expected: f64 = r.iter().zip([0.5, 2.0, 3.0]).map(|(r, l)| r * l).sum();
    let out = Tensor::zeros([1, 1], (Kind::Double, Device::Cpu));
    let got = reg.loss().value(&Batch::new(out.shallow_clone(), out.shallow_clone()), &Forward::new(out)).double_value(&[]);
    assert!((got - expected).abs() < 1e-9 * expected, "{got} vs {expected}");
}

#[test]
fn a_representation_that_does_not_fit_the_layer_is_an_error_naming_group_and_layer() {
    let w = Tensor::zeros([9, 19], (Kind::Float, Device::Cpu));
    let layer = RegLayer::new("block0.linear", &w, None, Rep::scalars(5) + Rep::vectors(5), Rep::tensors(1, 2));
    let e = EquivarianceRegularizer::new(&[Group::o3()], vec![layer], 1.0).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("O(3)") && msg.contains("block0.linear") && msg.contains("9 × 20"), "{msg}");
}

#[test]
fn a_group_with_no_generators_is_an_error_naming_it() {
    let e = Group::new("my group", 3, vec![], vec![]).unwrap_err();
    assert!(e.to_string().contains("my group") && e.to_string().contains("no generators"), "{e}");
}

#[test]
fn a_non_finite_residual_is_an_error_naming_group_and_layer() {
    let w = Tensor::full([3, 3], f64::NAN, (Kind::Float, Device::Cpu));
    let layer = RegLayer::new("out", &w, None, Rep::vectors(1), Rep::vectors(1));
    let reg = EquivarianceRegularizer::new(&[Group::so2(1).unwrap()], vec![layer], 1.0).unwrap();
    let msg = reg.residuals().unwrap_err().to_string();
    assert!(msg.contains("SO(2) about y") && msg.contains("out"), "{msg}");
}

#[test]
fn bad_lambdas_and_empty_groups_are_errors() {
    let w = Tensor::zeros([3, 3], (Kind::Float, Device::Cpu));
    let layer = || vec![RegLayer::new("fc", &w, None, Rep::vectors(1), Rep::vectors(1))];
    assert!(matches!(EquivarianceRegularizer::new(&[], layer(), 1.0), Err(Error::Param { name: "groups", .. })));
    assert!(matches!(EquivarianceRegularizer::new(&[Group::o3()], layer(), f64::NAN), Err(Error::Param { name: "lambdas", .. })));
}

/// Applies a 3 × 3 group element to the 5 positions of `5 T0 + 5 T1` rows.
fn act_on_inputs(x: &Array2<f64>, g: &Array2<f64>) -> Array2<f64> {
    let rep = Rep::scalars(5) + Rep::vectors(5);
    x.dot(&rep.matrix(g.view()).t())
}

#[test]
fn modified_inertia_is_exactly_o2_symmetric_about_its_axis_only() {
    for axis in 0..3 {
        let task = modified_inertia(50, axis, 0.3, 4).unwrap();
        let t2 = Rep::tensors(1, 2);
        let err = |g: &Group| {
            let e = g.sample(11);
            let moved = modified_inertia_targets(&act_on_inputs(&task.x, &e), axis);
            max_abs(&(moved - task.y.dot(&t2.matrix(e.view()).t())))
        };
        assert!(err(&Group::o2(axis).unwrap()) < 1e-9);
        assert!(err(&Group::o2((axis + 1) % 3).unwrap()) > 1e-2);
        assert!(err(&Group::o3()) > 1e-2);
    }
}

/// The task's targets recomputed for given inputs (same formula, via the crate).
fn modified_inertia_targets(x: &Array2<f64>, axis: usize) -> Array2<f64> {
    let mut y = Array2::zeros((x.nrows(), 9));
    for (row, mut out) in x.rows().into_iter().zip(y.rows_mut()) {
        let mut inertia = Array2::<f64>::zeros((3, 3));
        for i in 0..5 {
            let r = ndarray::arr1(&[row[5 + 3 * i], row[6 + 3 * i], row[7 + 3 * i]]);
            let outer = r.view().insert_axis(Axis(1)).dot(&r.view().insert_axis(Axis(0)));
            inertia = inertia + (Array2::<f64>::eye(3) * r.dot(&r) - outer) * row[i];
        }
        for a in 0..3 {
            for b in 0..3 {
                out[3 * a + b] = inertia[[a, b]] + if b == axis { 0.3 * inertia[[a, axis]] } else { 0.0 };
            }
        }
    }
    y
}

#[test]
fn the_chiral_moment_is_rotation_equivariant_but_not_reflection_equivariant() {
    let task = chiral_moment(50, 0.3, 2).unwrap();
    let g = Group::so3().sample(5);
    let rotated = chiral_moment_targets(&act_on_inputs(&task.x, &g));
    assert!(max_abs(&(rotated - task.y.dot(&g.t()))) < 1e-9);
    let m = -Array2::<f64>::eye(3);
    let mirrored = chiral_moment_targets(&act_on_inputs(&task.x, &m));
    assert!(max_abs(&(mirrored - task.y.dot(&m.t()))) > 1e-2);
}

fn chiral_moment_targets(x: &Array2<f64>) -> Array2<f64> {
    // The generator is deterministic in its inputs: rebuild a task whose
    // inputs are `x` by evaluating the same formula here.
    let mut y = Array2::zeros((x.nrows(), 3));
    for (row, mut out) in x.rows().into_iter().zip(y.rows_mut()) {
        let pos = |i: usize| [row[5 + 3 * i], row[6 + 3 * i], row[7 + 3 * i]];
        for i in 0..5 {
            let (r, q) = (pos(i), pos((i + 1) % 5));
            let c = [r[1] * q[2] - r[2] * q[1], r[2] * q[0] - r[0] * q[2], r[0] * q[1] - r[1] * q[0]];
            for a in 0..3 {
                out[a] += row[i] * (r[a] + 0.3 * c[a]);
            }
        }
    }
    y
}

#[test]
fn the_task_generators_are_seeded_and_thread_count_independent() {
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| modified_inertia(30, 1, 0.3, 9).unwrap().y)
    };
    assert_eq!(run(1), run(4));
    assert_ne!(modified_inertia(30, 1, 0.3, 9).unwrap().x, modified_inertia(30, 1, 0.3, 10).unwrap().x);
    assert!(matches!(modified_inertia(0, 1, 0.3, 9), Err(Error::Param { name: "n_samples", .. })));
    assert!(matches!(modified_inertia(10, 3, 0.3, 9), Err(Error::Param { name: "axis", .. })));
}

#[test]
fn the_hard_model_is_exactly_equivariant_and_the_soft_one_is_not() {
    let task = modified_inertia(64, 2, 0.3, 1).unwrap();
    let x = to_tensor("x", task.x.view(), Device::Cpu).unwrap();
    let params = SoftEmlp::params(task.rep_in.clone(), task.rep_out.clone(), 3).channels(2).layers(2).seed(3);
    let hard = params.clone().hard(Group::o3()).build(Device::Cpu).unwrap();
    let soft = params.build(Device::Cpu).unwrap();
    let e = |m: &SoftEmlp| group_equivariance_error(m.model(), &x, &Group::o3(), &task.rep_in, &task.rep_out, 3, 0).unwrap();
    let scale = to_array2(&hard.model().forward(&x).unwrap()).unwrap().mapv(|v| v * v).sum() / 64.0;
    assert!(scale > 1e-3, "{scale}");
    assert!(e(&hard) < 1e-8 * scale.max(1.0), "{} vs {scale}", e(&hard));
    assert!(e(&soft) > 1e-4, "{}", e(&soft));
}

#[test]
fn the_equivariance_error_of_a_shift_invariant_model_is_zero() {
    // Mean over positions is invariant under every cyclic shift.
    let model = Model::new(Device::Cpu, 0, |_| tch::nn::seq().add_fn(|x| x.mean_dim(-1, true, Kind::Float)));
    let x = Tensor::randn([16, 10], (Kind::Float, Device::Cpu));
    let id = Array2::<f64>::eye(1);
    let e = equivariance_error(&model, &x, cyclic_shift_matrix(10, 3).view(), id.view()).unwrap();
    assert!(e < 1e-10, "{e}");
    let picks_first = Model::new(Device::Cpu, 0, |_| tch::nn::seq().add_fn(|x| x.narrow(1, 0, 1)));
    assert!(equivariance_error(&picks_first, &x, cyclic_shift_matrix(10, 3).view(), id.view()).unwrap() > 0.1);
    assert!(equivariance_error(&model, &x, Array2::<f64>::eye(9).view(), id.view()).is_err());
}

#[test]
fn a_short_soft_equivariant_run_tunes_lambda_and_learns() {
    let task = modified_inertia(300, 0, 0.3, 7).unwrap();
    let (train, val, _) = task.split(200, 50, Device::Cpu).unwrap();
    let mut m = SoftEmlp::params(task.rep_in.clone(), task.rep_out.clone(), 3).channels(2).layers(2).build(Device::Cpu).unwrap();
    let groups = [Group::o3(), Group::o2(0).unwrap(), Group::o2(1).unwrap(), Group::o2(2).unwrap()];
    let reg = m.regularizer(&groups, 1.0).unwrap();
    let before = m.mse(&val).unwrap();
    let trainer = Trainer::new().lr(3e-3).epochs(12).batch_size(100).log_every(0);
    let h = m.fit(&trainer, &train, Some(&reg), Some(AutoTune::new(4, 8, 2.0))).unwrap();
    assert_eq!(h.epochs(), 12);
    assert!(reg.adjusted());
    let l = reg.lambdas();
    assert!(l.iter().any(|v| (*v - 1.0).abs() < 1e-12), "the smallest residual keeps its λ: {l:?}");
    assert!(l.iter().all(|v| *v > 0.0 && *v <= 1.0), "{l:?}");
    assert!(m.mse(&val).unwrap() < before);
    assert_eq!(reg.figure().n_traces(), 1);
    // the rep of the data must match the model's
    let wide = TensorData::regression(Array2::zeros((4, 21)).view(), Array2::zeros((4, 9)).view(), Device::Cpu).unwrap();
    assert!(matches!(m.fit(&trainer, &wide, None, None), Err(Error::Param { name: "rep_in", .. })));
}

#[test]
fn the_mnist1d_cnn_is_not_shift_invariant_and_a_zero_shift_costs_nothing() {
    let cnn = mnist1d_model(Mnist1dNet::Cnn, Device::Cpu, 0);
    let x = Tensor::randn([32, 40], (Kind::Float, Device::Cpu));
    let logits_fixed = Array2::<f64>::eye(10); // invariance: the logits should not move
    let shifted = equivariance_error(&cnn, &x, cyclic_shift_matrix(40, 5).view(), logits_fixed.view()).unwrap();
    let unshifted = equivariance_error(&cnn, &x, cyclic_shift_matrix(40, 0).view(), logits_fixed.view()).unwrap();
    assert!(unshifted < 1e-12, "{unshifted}");
    assert!(shifted > 1e-4 && shifted.is_finite(), "{shifted}");
}
