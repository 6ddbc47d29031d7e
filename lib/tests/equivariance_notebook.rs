//! The computation of the notebook "which symmetries does the data have?".
#![cfg(feature = "torch")]

use std::time::Instant;

use lowdim::prelude::*;
use tch::Device;

fn env(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
#[ignore]
fn explore() {
    tch::set_num_threads(env("TH", 1.0) as i32);
    let epochs = env("EP", 200.0) as usize;
    let lr = env("LR", 3e-3);
    let lam = env("LAM", 1.0);
    let c = env("C", 4.0) as usize;
    let nl = env("NL", 3.0) as usize;
    let warm = env("WARM", 50.0) as usize;
    let adj = env("ADJ", 100.0) as usize;
    let only = std::env::var("ONLY").unwrap_or("mlp,hard,uniform,auto,free".into());
    let axes: Vec<usize> = std::env::var("AXES").unwrap_or("0,1,2".into()).split(',').map(|s| s.parse().unwrap()).collect();
    for axis in axes {
        let task = modified_inertia(3000, axis, 0.3, 0).unwrap();
        let (train, val, test) = task.split(1000, 1000, Device::Cpu).unwrap();
        let trainer = Trainer::new().lr(lr).epochs(epochs).batch_size(env("BS", 500.0) as usize).log_every(0).schedule(Schedule::Cosine { min_lr: 0.0 });
        let groups = [Group::o3(), Group::o2(0).unwrap(), Group::o2(1).unwrap(), Group::o2(2).unwrap()];
        let p = SoftEmlp::params(task.rep_in.clone(), task.rep_out.clone(), 3).channels(c).layers(nl);
        let t = Instant::now();
        if only.contains("mlp") {
            let mut mlp = plain_mlp(20, 13 * c, nl, 9, Device::Cpu, 0);
            mlp.fit(&trainer, &train, &Loss::mse()).unwrap();
            println!("axis {axis} mlp test {:.4} ({:.1}s)", mse_of(&mlp, &test).unwrap(), t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        if only.contains("hard") {
            let mut hard = p.clone().hard(Group::o3()).build(Device::Cpu).unwrap();
            hard.fit(&trainer, &train, None, None).unwrap();
            println!("axis {axis} hard test {:.4} ({:.1}s)", hard.mse(&test).unwrap(), t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        if only.contains("uniform") {
            let mut uni = p.build(Device::Cpu).unwrap();
            let reg = uni.regularizer(&groups, lam).unwrap();
            uni.fit(&trainer, &train, Some(&reg), None).unwrap();
            println!("axis {axis} uniform test {:.4} R {:?} ({:.1}s)", uni.mse(&test).unwrap(), reg.residuals().unwrap(), t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        if only.contains("auto") {
            let mut auto = p.build(Device::Cpu).unwrap();
            let reg = auto.regularizer(&groups, lam).unwrap();
            auto.fit(&trainer, &train, Some(&reg), Some(AutoTune::new(warm, adj, 2.0))).unwrap();
            println!("axis {axis} auto test {:.4} val {:.4} λ {:?} Rmin {:?} ({:.1}s)", auto.mse(&test).unwrap(), auto.mse(&val).unwrap(), reg.lambdas(), reg.smallest_residuals(), t.elapsed().as_secs_f64());
        }
        let t = Instant::now();
        if only.contains("free") {
            let mut free = p.build(Device::Cpu).unwrap();
            free.fit(&trainer, &train, None, None).unwrap();
            println!("axis {axis} soft-unreg test {:.4} ({:.1}s)", free.mse(&test).unwrap(), t.elapsed().as_secs_f64());
        }
    }
}
