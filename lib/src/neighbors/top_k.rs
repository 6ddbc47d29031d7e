//! The candidates a brute-force scan keeps per query ([`TopK`]), and the
//! (surrogate, index) order every exact search ranks by.

/// Everything within `slack` of the `want`-th smallest value of a stream of
/// (value, index) pairs offered in increasing index order (with `slack = 0`,
/// the `want` best and their ties). Pairs accumulate in a buffer; when it
/// fills, it is cut back to what can still qualify and that threshold becomes
/// a bound every later pair must meet, so most pairs cost one comparison.
pub(super) struct TopK {
    want: usize,
    slack: f64,
    buf: Vec<(f64, u32)>,
    room: usize,
    bound: f64,
    /// The smallest f32 at or above `bound`, so no single-precision key that
    /// meets the bound fails the test against it.
    pub(super) bound32: f32,
}

impl TopK {
    pub(super) fn new(want: usize) -> Self {
        let room = 2 * want.max(16);
        TopK { want, slack: 0.0, buf: Vec::with_capacity(room), room, bound: f64::INFINITY, bound32: f32::INFINITY }
    }

    pub(super) fn with_slack(want: usize, slack: f64) -> Self {
        let mut top = TopK::new(want);
        top.clear(slack);
        top
    }

    pub(super) fn clear(&mut self, slack: f64) {
        self.buf.clear();
        self.slack = slack;
        self.bound = f64::INFINITY;
        self.bound32 = f32::INFINITY;
    }

    /// Offers a whole row, index = position. Eight values at a time are
    /// first compared with the bound as a block (one vectorised test), and only
    /// a block with a value that qualifies is offered value by value.
    pub(super) fn scan(&mut self, row: &[f64]) {
        for (c, chunk) in row.chunks(8).enumerate() {
            let bound = self.bound;
            if chunk.iter().fold(false, |hit, &v| hit | (v <= bound)) {
                for (l, &v) in chunk.iter().enumerate() {
                    self.offer(v, (8 * c + l) as u32);
                }
            }
        }
    }

    /// Offers the keys `offsets[j] + weight·g[j]` of data rows `first + j`
    /// (in increasing order across calls), computed in single precision
    /// sixteen at a time and compared with the bound as a block (one vector
    /// test), so the row is never written out; only a block with a key that
    /// meets the bound is offered key by key. (`f32 → f64` is exact, so the
    /// keys offered are the ones compared.)
    pub(super) fn scan_keys(&mut self, offsets: &[f32], g: &[f32], weight: f32, first: usize) {
        let (o_blocks, g_blocks) = (offsets[..g.len()].chunks_exact(LANES), g.chunks_exact(LANES));
        let (o_rest, g_rest) = (o_blocks.remainder(), g_blocks.remainder());
        for (c, (o, g)) in o_blocks.zip(g_blocks).enumerate() {
            let bound = self.bound32;
            if o.iter().zip(g).fold(false, |hit, (&o, &g)| hit | (o + weight * g <= bound)) {
                self.offer_all(o, g, weight, first + LANES * c);
            }
        }
        self.offer_all(o_rest, g_rest, weight, first + g.len() - g_rest.len());
    }

    /// Offers every key of a block (each is checked against the bound).
    fn offer_all(&mut self, offsets: &[f32], g: &[f32], weight: f32, first: usize) {
        for (l, (&o, &g)) in offsets.iter().zip(g).enumerate() {
            self.offer(f64::from(o + weight * g), (first + l) as u32);
        }
    }

    #[inline]
    pub(super) fn offer(&mut self, v: f64, j: u32) {
        if v <= self.bound {
            self.buf.push((v, j));
            if self.buf.len() >= self.room {
                self.cut();
            }
        }
    }

    fn cut(&mut self) {
        if self.want == 0 || self.buf.len() < self.want {
            return;
        }
        let (_, kth, _) = self.buf.select_nth_unstable_by(self.want - 1, cmp_pair);
        self.bound = kth.0 + self.slack;
        let bound = self.bound;
        self.bound32 = f32_at_or_above(bound);
        self.buf.retain(|&(v, _)| v <= bound);
        // Many ties within the slack: give the buffer room so cuts stay rare.
        if 2 * self.buf.len() > self.room {
            self.room *= 2;
        }
    }

    /// The qualifying pairs, in no particular order.
    pub(super) fn finish(&mut self) -> &[(f64, u32)] {
        self.cut();
        &self.buf
    }
}

/// Keys are scanned this many at a time (one vector test per block).
pub(super) const LANES: usize = 16;

/// The smallest f32 at or above `x` (`x` not NaN).
pub(super) fn f32_at_or_above(x: f64) -> f32 {
    let r = x as f32;
    if f64::from(r) >= x {
        r
    } else if r == 0.0 {
        f32::from_bits(1)
    } else if r > 0.0 {
        f32::from_bits(r.to_bits() + 1)
    } else {
        f32::from_bits(r.to_bits() - 1)
    }
}

/// A scored row ordered by (surrogate, index), for the tree searches' heaps
/// (the top of a max-heap is the worst kept).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Candidate(pub f64, pub u32);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_pair(&(self.0, self.1), &(other.0, other.1))
    }
}

/// Orders (surrogate, index) pairs: nearer first, then smaller index.
#[inline]
pub(crate) fn cmp_pair(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_precision_bounds_round_up() {
        for x in [0.0, 1.0, 1.0 + 1e-12, -1.0 - 1e-12, 1e-50, -1e-50, 3.4e38 * 1.5, -3.4e38 * 1.5, f64::INFINITY, f64::NEG_INFINITY] {
            let r = f32_at_or_above(x);
            assert!(f64::from(r) >= x, "{x}: {r}");
            // Nothing in f32 lies between x and r.
            let below = if r == f32::NEG_INFINITY {
                r
            } else {
                f32::from_bits(if r > 0.0 {
                    r.to_bits() - 1
                } else if r == 0.0 {
                    0x8000_0001
                } else {
                    r.to_bits() + 1
                })
            };
            assert!(r == f32::NEG_INFINITY || f64::from(below) < x, "{x}: {r} {below}");
        }
    }
}
