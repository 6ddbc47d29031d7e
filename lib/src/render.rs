//! The notebook surface of a fitted model, the same for every estimator: a
//! figure, a short description, and the cell output that shows them.
//!
//! A fitted model prints (`{:?}`, or a cell ending in it when there is no
//! figure) as its parameters and the shapes of what it holds, never the arrays
//! themselves: a fitted UMAP holds its whole graph.

use ndarray::{ArrayBase, Data, Dimension};

use crate::error::Result;
use crate::plot::Figure;

/// What a fitted model shows in a notebook. Every fitted model has these as
/// inherent methods too, so a cell needs no `use` to call them.
pub trait Render {
    /// The model's figure.
    fn figure(&self) -> Result<Figure>;
    /// What was fitted, with which parameters, and the shapes it holds.
    fn describe(&self) -> String;
}

/// The shape of something a model holds, as its description names it.
pub trait Shape {
    /// "400 × 2", "5 entries".
    fn shape(&self) -> String;
}

impl<S: Data, D: Dimension> Shape for ArrayBase<S, D> {
    fn shape(&self) -> String {
        self.shape().iter().map(usize::to_string).collect::<Vec<_>>().join(" × ")
    }
}

impl<T> Shape for Vec<T> {
    fn shape(&self) -> String {
        format!("{} entries", self.len())
    }
}

/// Prints `text` as a cell's plain-text output.
pub(crate) fn show_text(text: &str) {
    println!("EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT");
}

/// The notebook surface of a fitted type with an inherent
/// `fn figure(&self) -> Result<Figure>`: `describe()` from the parameters
/// field and the listed fields' shapes, a `Debug` that prints it, the
/// `evcxr_display` that shows the figure (or the description and why there is
/// no figure), and [`Render`]. `impl_render!(Type, described)` gives the
/// same for a type that writes its own `describe()`.
macro_rules! impl_render {
    ($ty:ident, $what:literal, params: $params:ident, shapes: [$($field:ident),* $(,)?]) => {
        impl $ty {
            /// What was fitted, with which parameters, and the shapes it holds.
            pub fn describe(&self) -> String {
                #[allow(unused_mut)]
                let mut text = format!("{} with {:?}", $what, self.$params);
                $(text.push_str(&format!("\n  {}: {}", stringify!($field), $crate::render::Shape::shape(&self.$field)));)*
                text
            }
        }

        $crate::render::impl_render!($ty, described);
    };
    // For a type that writes its own `describe()`.
    ($ty:ident, described) => {
        impl $ty {
            /// Shows the figure as a cell's output in the notebook.
            pub fn evcxr_display(&self) {
                match self.figure() {
                    Ok(fig) => fig.evcxr_display(),
                    Err(e) => $crate::render::show_text(&format!("{}\n(no figure: {e})", self.describe())),
                }
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.describe())
            }
        }

        impl $crate::render::Render for $ty {
            fn figure(&self) -> $crate::error::Result<$crate::plot::Figure> {
                <$ty>::figure(self)
            }

            fn describe(&self) -> String {
                <$ty>::describe(self)
            }
        }
    };
}
pub(crate) use impl_render;

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn shapes_read_as_dimensions() {
        assert_eq!(Shape::shape(&Array2::<f64>::zeros((400, 2))), "400 × 2");
        assert_eq!(Shape::shape(&vec![1, 2, 3]), "3 entries");
    }

    #[test]
    fn a_fitted_model_prints_its_parameters_and_shapes_not_its_arrays() {
        let x = crate::data::swiss_roll(200, 0.05, 3).unwrap().records().to_owned();
        let fit = crate::embed::Isomap::params().n_neighbors(10).fit_records(x.view()).unwrap();
        let text = format!("{fit:?}");
        assert!(text.len() < 2000, "{} characters: {text}", text.len());
        assert!(text.starts_with("Isomap with IsomapValidParams {") && text.contains("n_neighbors: 10"), "{text}");
        assert!(text.contains("embedding: 200 × 2") && text.contains("dist_matrix: 200 × 200"), "{text}");
        assert_eq!(text, Render::describe(&fit));
    }

    #[test]
    fn a_hand_written_description_prints_the_same_way() {
        let x = crate::data::swiss_roll(200, 0.05, 3).unwrap().records().to_owned();
        let est = crate::intrinsic::Mle::params().n_neighbors(10).fit_records(x.view()).unwrap();
        let text = format!("{est:?}");
        assert!(text.len() < 2000, "{} characters: {text}", text.len());
        assert!(text.starts_with("Intrinsic-dimension estimate MLE") && text.contains("pointwise: 200"), "{text}");
    }
}
