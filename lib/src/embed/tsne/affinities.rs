//! t-SNE's input similarities: Gaussian conditional probabilities over each
//! point's nearest neighbours at the requested perplexity, symmetrised into a
//! sparse joint distribution `P`.

/// One row of conditional probabilities for squared distances `sq`, with the
/// precision found by scikit-learn's bisection on the entropy.
pub(super) fn conditional_row(sq: &[f64], perplexity: f64) -> Vec<f64> {
    let desired = perplexity.ln();
    let (mut beta, mut lo, mut hi) = (1.0f64, f64::NEG_INFINITY, f64::INFINITY);
    let mut p = vec![0.0; sq.len()];
    for _ in 0..100 {
        let mut sum = 0.0;
        for (pj, dj) in p.iter_mut().zip(sq) {
            *pj = (-dj * beta).exp();
            sum += *pj;
        }
        if sum == 0.0 {
            sum = 1e-8;
        }
        let mut weighted = 0.0;
        for (pj, dj) in p.iter_mut().zip(sq) {
            *pj /= sum;
            weighted += dj * *pj;
        }
        let diff = sum.ln() + beta * weighted - desired;
        if diff.abs() <= 1e-5 {
            break;
        }
        if diff > 0.0 {
            lo = beta;
            beta = if hi == f64::INFINITY { beta * 2.0 } else { (beta + hi) / 2.0 };
        } else {
            hi = beta;
            beta = if lo == f64::NEG_INFINITY { beta / 2.0 } else { (beta + lo) / 2.0 };
        }
    }
    p
}

/// A symmetric sparse matrix in compressed rows, normalised to sum 1.
pub(super) struct Sparse {
    start: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
}

impl Sparse {
    /// Sums duplicate entries of each row, then divides by the total.
    pub(super) fn from_rows(mut rows: Vec<Vec<(usize, f64)>>) -> Self {
        let mut start = vec![0];
        let (mut cols, mut vals) = (Vec::new(), Vec::new());
        for row in rows.iter_mut() {
            row.sort_by_key(|&(j, _)| j);
            for &(j, v) in row.iter() {
                if cols.len() > *start.last().unwrap_or(&0) && cols.last() == Some(&j) {
                    if let Some(last) = vals.last_mut() {
                        *last += v;
                    }
                } else {
                    cols.push(j);
                    vals.push(v);
                }
            }
            start.push(cols.len());
        }
        let total: f64 = vals.iter().sum::<f64>().max(f64::EPSILON);
        vals.iter_mut().for_each(|v| *v /= total);
        Sparse { start, cols, vals }
    }

    pub(super) fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        (self.start[i]..self.start[i + 1]).map(move |e| (self.cols[e], self.vals[e]))
    }
}
