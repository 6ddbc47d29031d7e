//! The Barnes–Hut tree over a t-SNE embedding (a quadtree in 2-D, an octree
//! in 3-D): a cell whose squared width over squared distance is below `theta²`
//! acts as one body at its centre of mass.

/// A node of the 2^c-tree: its box, centre of mass and point count.
pub(super) struct Node {
    sq_max_width: f64,
    centre_of_mass: [f64; 3],
    size: usize,
    children: [u32; 8],
    leaf: bool,
}

const NONE: u32 = u32::MAX;

/// The Barnes–Hut tree over the embedding (quadtree in 2-D, octree in 3-D).
pub(super) struct Tree {
    nodes: Vec<Node>,
    leaf_of: Vec<u32>,
    c: usize,
}

impl Tree {
    pub(super) fn build(y: &[f64], c: usize) -> Self {
        let n = y.len() / c;
        let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for i in 0..n {
            for a in 0..c {
                lo[a] = lo[a].min(y[i * c + a]);
                hi[a] = hi[a].max(y[i * c + a]);
            }
        }
        for a in 0..c {
            // Keep the largest point strictly inside the box.
            hi[a] += (hi[a] - lo[a]).abs() * 1e-9 + f64::MIN_POSITIVE;
        }
        let mut tree = Tree { nodes: Vec::with_capacity(2 * n), leaf_of: vec![NONE; n], c };
        tree.insert((0..n).collect(), lo, hi, y, 0);
        tree
    }

    fn insert(&mut self, points: Vec<usize>, lo: [f64; 3], hi: [f64; 3], y: &[f64], depth: usize) -> u32 {
        let c = self.c;
        let id = self.nodes.len() as u32;
        let mut com = [0.0; 3];
        for &i in &points {
            for a in 0..c {
                com[a] += y[i * c + a];
            }
        }
        com.iter_mut().for_each(|v| *v /= points.len() as f64);
        let sq_max_width = (0..c).map(|a| (hi[a] - lo[a]).powi(2)).fold(0.0, f64::max);
        let first = points[0];
        let identical = points.iter().all(|&i| (0..c).all(|a| y[i * c + a] == y[first * c + a]));
        let leaf = points.len() == 1 || identical || depth >= 60;
        self.nodes.push(Node { sq_max_width, centre_of_mass: com, size: points.len(), children: [NONE; 8], leaf });
        if leaf {
            for &i in &points {
                self.leaf_of[i] = id;
            }
            return id;
        }
        let mid: Vec<f64> = (0..c).map(|a| 0.5 * (lo[a] + hi[a])).collect();
        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); 1 << c];
        for &i in &points {
            let code = (0..c).fold(0, |acc, a| acc | (usize::from(y[i * c + a] >= mid[a]) << a));
            parts[code].push(i);
        }
        for (code, part) in parts.into_iter().enumerate() {
            if part.is_empty() {
                continue;
            }
            let (mut clo, mut chi) = (lo, hi);
            for a in 0..c {
                if code >> a & 1 == 1 {
                    clo[a] = mid[a];
                } else {
                    chi[a] = mid[a];
                }
            }
            let child = self.insert(part, clo, chi, y, depth + 1);
            self.nodes[id as usize].children[code] = child;
        }
        id
    }

    /// The unnormalised repulsion on point `i`, `Σⱼ qᵢⱼ²·(yᵢ − yⱼ)`, and `Σⱼ qᵢⱼ`
    /// (self excluded), with distant cells summarised by their centre of mass.
    pub(super) fn repulsion(&self, i: usize, y: &[f64], theta2: f64, dof: f64) -> ([f64; 3], f64) {
        let c = self.c;
        let yi = &y[i * c..(i + 1) * c];
        let exponent = (dof + 1.0) / 2.0;
        let (mut force, mut sum_q) = ([0.0; 3], 0.0);
        let mut stack = vec![0u32];
        while let Some(id) = stack.pop() {
            let node = &self.nodes[id as usize];
            let mut diff = [0.0; 3];
            let mut d2 = 0.0;
            for a in 0..c {
                diff[a] = yi[a] - node.centre_of_mass[a];
                d2 += diff[a] * diff[a];
            }
            if node.leaf || node.sq_max_width < theta2 * d2 {
                // The point's own leaf holds only copies of it (distance 0): count the others.
                let size = if self.leaf_of[i] == id { node.size - 1 } else { node.size } as f64;
                let mut q = dof / (dof + d2);
                if dof != 1.0 {
                    q = q.powf(exponent);
                }
                sum_q += size * q;
                for a in 0..c {
                    force[a] += size * q * q * diff[a];
                }
            } else {
                stack.extend(node.children.iter().rev().filter(|&&ch| ch != NONE));
            }
        }
        (force, sum_q)
    }
}
