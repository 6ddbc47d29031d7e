//! The notebook view of a fitted UMAP: a scatter of the embedding coloured by
//! the training targets.

use super::algorithm::Umap;
use crate::embed::shared::embedding_figure;
use crate::error::Result;
use crate::plot::Figure;
use crate::render::impl_render;

impl Umap {
    /// A scatter of the embedding: 2-D or 3-D as fitted, the first two
    /// coordinates past 3, a line (against zero) for 1-D. Points are coloured by
    /// the training labels (unlabelled ones as "unlabelled"), by continuous
    /// targets on a colour scale, or not at all.
    pub fn figure(&self) -> Result<Figure> {
        let p = self.params_used();
        let title = format!("UMAP of {} points (n_neighbors = {}, min_dist = {})", self.embedding().nrows(), p.n_neighbors(), p.min_dist());
        embedding_figure(self.embedding(), &self.targets, &title, "UMAP")
    }
}

impl_render!(Umap, "UMAP", params: params, shapes: [embedding]);
