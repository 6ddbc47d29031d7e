//! Deep modules on libtorch (feature `torch`): a trainer, losses as values,
//! autoencoders, the MNIST-1D baselines, low-rank locally connected layers,
//! soft-equivariant nets under mixed symmetries, and diffusion models whose
//! training is subspace clustering.
//!
//! Everything runs on [`default_device`] (the first CUDA GPU if visible, else
//! the CPU) unless a device is given. Failures inside libtorch — a model that
//! does not fit the data's width, a loss that does not fit the targets — come
//! back as `Err`, never as a crash of the kernel.

//!
//! | what | entry point | file |
//! |---|---|---|
//! | a network and its weights | [`Model`], [`Net`] | `model.rs` |
//! | training: epochs, batches, early stopping, checkpoints, live curves | [`Trainer`] | `trainer.rs`, `checkpoint.rs`, `history.rs` |
//! | losses as values | [`Loss`], [`Forward`] | `loss.rs` |
//! | optimisers and learning-rate schedules | [`Optim`], [`Schedule`] | `optim.rs` |
//! | dense autoencoder | [`Autoencoder`] | `autoencoder.rs` |
//! | stacked autoencoder (greedy pre-training) | [`StackedAutoencoder`] | `stacked_autoencoder.rs` |
//! | MNIST-1D baselines (MLP, CNN, GRU) | [`train_mnist1d_baseline`] | `mnist1d_nets.rs` |
//! | low-rank locally connected layers | [`Lrlc1d`], [`Lrlc2d`] | `lrlc.rs` |
//! | soft-equivariant MLPs, the equivariance regulariser | [`SoftEmlp`] | `equivariance/` |
//! | diffusion models, samplers, the subspace phase transition | [`DiffusionModel`] | `diffusion/` |

mod autoencoder;
mod checkpoint;
mod data;
mod diffusion;
mod equivariance;
mod history;
mod init;
mod loss;
mod lrlc;
mod mnist1d_nets;
mod model;
mod optim;
mod stacked_autoencoder;
mod tensor;
mod trainer;

pub use autoencoder::{Activation, Autoencoder, AutoencoderParams, AutoencoderValidParams, DenseAutoencoder};
pub use data::{Batch, TensorData};
pub use diffusion::*;
pub use equivariance::*;
pub use history::{EpochRecord, History};
pub use init::{keras_dense, torch_conv1d, torch_conv2d, torch_gru, torch_linear};
pub use loss::{Forward, Loss, LossFn};
pub use lrlc::{Lrlc1d, Lrlc2d, LrlcCnn1d, LrlcConfig};
pub use mnist1d_nets::{mnist1d_model, mnist1d_trainer, train_mnist1d_baseline, BiGru, Cnn1d, Mnist1dNet, ResidualMlp};
pub use model::{default_device, Model, Net};
pub use optim::{Optim, Schedule};
pub use stacked_autoencoder::{greedy_pretrained_autoencoder, StackedAutoencoder, StackedAutoencoderParams, StackedAutoencoderValidParams};
pub use tensor::{guarded, labels_to_tensor, scalar, to_array1, to_array2, to_tensor};
pub use trainer::{Callback, Control, TrainMetric, Trainer};
