//! A training run's checkpoint directory: the weights (`model.safetensors`),
//! the optimiser's moments (`optimizer.safetensors`), the best epoch's weights
//! when early stopping keeps them (`best.safetensors`), and `state.json` with
//! the epoch, the parameter names and the history.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tch::nn::VarStore;
use tch::Tensor;

use super::history::History;
use super::optim::OptState;
use crate::error::{Error, Result};

/// A copy of every named weight, sorted by name.
pub(super) type Weights = Vec<(String, Tensor)>;

/// What `state.json` holds besides the tensors.
#[derive(Serialize, Deserialize)]
pub(super) struct Saved {
    pub epoch: usize,
    parameters: Vec<String>,
    pub history: History,
    /// The best monitored loss and its epoch, when early stopping keeps weights.
    pub best: Option<(f64, usize)>,
}

/// Writes the checkpoint of a run after `epoch`.
pub(super) fn save(
    dir: &Path,
    vs: &VarStore,
    opt: &OptState,
    best: Option<&(f64, usize, Weights)>,
    epoch: usize,
    history: &History,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    vs.save(dir.join("model.safetensors")).map_err(|e| Error::io(dir, e))?;
    opt.save(&dir.join("optimizer.safetensors"))?;
    if let Some((_, _, w)) = best {
        Tensor::write_safetensors(w, dir.join("best.safetensors")).map_err(|e| Error::io(dir, e))?;
    }
    let saved = Saved { epoch, parameters: parameter_names(vs), history: history.clone(), best: best.map(|(v, at, _)| (*v, *at)) };
    let json = serde_json::to_string(&saved).map_err(|e| Error::io(dir, e))?;
    // Write then rename, so an interrupted save never leaves a torn state.
    let tmp = dir.join("state.json.tmp");
    std::fs::write(&tmp, json).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, dir.join("state.json")).map_err(|e| Error::io(dir, e))
}

/// Loads the weights into `vs` and the moments into `opt`; returns the saved
/// state and, when it names a best epoch, that epoch's weights.
pub(super) fn load(dir: &Path, vs: &VarStore, opt: &mut OptState) -> Result<(Saved, Option<Weights>)> {
    let path = dir.join("state.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let saved: Saved = serde_json::from_str(&text).map_err(|e| Error::io(&path, e))?;
    if saved.parameters != parameter_names(vs) {
        return Err(Error::file_content(dir, "the checkpoint belongs to a different model (its parameters differ); use another directory"));
    }
    let mut vs_copy = copy_weights(vs);
    let stored = Tensor::read_safetensors(dir.join("model.safetensors")).map_err(|e| Error::io(dir, e))?;
    load_named(&mut vs_copy, stored);
    restore_weights(vs, &vs_copy);
    opt.load(&dir.join("optimizer.safetensors"))?;
    let best = match saved.best {
        Some(_) => Some(Tensor::read_safetensors(dir.join("best.safetensors")).map_err(|e| Error::io(dir, e))?),
        None => None,
    };
    Ok((saved, best))
}

fn parameter_names(vs: &VarStore) -> Vec<String> {
    let mut names: Vec<String> = vs.variables().into_keys().collect();
    names.sort();
    names
}

pub(super) fn copy_weights(vs: &VarStore) -> Weights {
    let mut w: Weights = vs.variables().into_iter().map(|(n, t)| (n, t.detach().copy())).collect();
    w.sort_by(|a, b| a.0.cmp(&b.0));
    w
}

fn load_named(into: &mut [(String, Tensor)], from: Weights) {
    for (name, t) in from {
        if let Some((_, dst)) = into.iter_mut().find(|(n, _)| *n == name) {
            *dst = t;
        }
    }
}

pub(super) fn restore_weights(vs: &VarStore, weights: &[(String, Tensor)]) {
    let vars = vs.variables();
    tch::no_grad(|| {
        for (name, w) in weights {
            if let Some(v) = vars.get(name) {
                v.shallow_clone().copy_(&w.to_device(v.device()));
            }
        }
    });
}
