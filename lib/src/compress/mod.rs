//! Embedding compression for retrieval: quantisation to 16-, 8- and 1-bit
//! formats, PCA before quantising, and recall@k against exact float retrieval.
//!
//! | piece | items | file |
//! |---|---|---|
//! | formats and bit layouts | [`Quantization`], [`Quantized`], [`fp8_e4m3_encode`] … | `quantize.rs` |
//! | retrieval quality | [`top_k`], [`recall_at_k`], [`Similarity`] | `recall.rs` |
//! | PCA + format study | [`Compression`], [`compression_table`], [`CompressionTable`] | `pca_quantize.rs` |

mod pca_quantize;
mod quantize;
mod recall;

pub use pca_quantize::{compression_table, Compression, CompressionRow, CompressionTable, PcaProjection};
pub use quantize::{
    bf16_encode, f16_encode, fp8_e4m3_decode, fp8_e4m3_encode, fp8_e5m2_decode, fp8_e5m2_encode, quantize_roundtrip, Int8Calibration,
    Quantization, Quantized,
};
pub use recall::{recall_at_k, top_k, Similarity};
