"""The Python side of the side-by-side benchmarks: the same cases as side_by_side.rs
on the same .npy inputs, with the peer libraries (umap-learn, pynndescent, scikit-learn, scikit-dimension).

usage: peers.py CASE DIR   -> one JSON line {"case", "seconds", "quality", "peak_mb"}

Peers are timed on a warm second call (numba compiles on the first) with all cores,
as their users run them.
"""
import json
import resource
import sys
import time

import numpy as np

SEED = 42


def load(d, name):
    return np.load(f"{d}/{name}.npy")


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(case, seconds, quality):
    print(json.dumps({"case": case, "seconds": seconds, "quality": float(quality), "peak_mb": peak_mb()}))


def trust(x, e, rows=None):
    from sklearn.manifold import trustworthiness
    if rows is not None:
        x, e = x[rows], e[rows]
    return trustworthiness(x, e, n_neighbors=10)


def umap_fit(case, x, rows=None):
    import umap
    # random_state forces umap-learn single-threaded; its users time it unseeded.
    umap.UMAP(n_components=2).fit(x[:2000])  # compile numba kernels
    t = time.perf_counter()
    e = umap.UMAP(n_components=2).fit_transform(x)
    seconds = time.perf_counter() - t
    report(case, seconds, trust(x, e, rows))


def umap_transform(case, d, n):
    import umap
    from sklearn.neighbors import KNeighborsClassifier
    x, y = load(d, "mnist_x"), load(d, "mnist_y")
    model = umap.UMAP(n_components=2).fit(x[:9000])
    new = x[9000:9000 + n]
    model.transform(new)  # warm
    t = time.perf_counter()
    out = model.transform(new)
    seconds = time.perf_counter() - t
    clf = KNeighborsClassifier(n_neighbors=10).fit(model.embedding_, y[:9000])
    report(case, seconds, (clf.predict(out) == y[9000:9000 + n]).mean())


def knn(case, d):
    from pynndescent import NNDescent
    x = load(d, "synth_x")
    exact = load(d, "synth_exact_knn").astype(np.int64)
    NNDescent(x[:2000], n_neighbors=16).neighbor_graph  # compile numba kernels
    t = time.perf_counter()
    idx, _ = NNDescent(x, n_neighbors=16).neighbor_graph
    seconds = time.perf_counter() - t
    # pynndescent lists each point as its own first neighbour; ours never does.
    idx = idx[:, 1:]
    hits = sum(len(set(a) & set(b)) for a, b in zip(idx, exact))
    report(case, seconds, hits / exact.size)


def intrinsic(case, d, estimator):
    x = load(d, "ball10_x")
    estimator.fit(x[:1000])  # warm
    t = time.perf_counter()
    dim = estimator.fit(x).dimension_
    report(case, time.perf_counter() - t, dim)


def tsne(case, d):
    from sklearn.manifold import TSNE
    x = load(d, "mnist_x")[:5000]
    TSNE(n_components=2, random_state=SEED).fit_transform(x[:500])  # warm
    t = time.perf_counter()
    e = TSNE(n_components=2, random_state=SEED).fit_transform(x)
    report(case, time.perf_counter() - t, trust(x, e))


def classical(case, d):
    """scikit-learn's estimators with the golden set's parameters (all else default)."""
    from sklearn.decomposition import KernelPCA
    from sklearn.manifold import Isomap, LocallyLinearEmbedding, SpectralEmbedding
    x = load(d, "swiss5k_x")
    make = {
        "isomap_5k": lambda: Isomap(n_neighbors=10),
        "spectral_5k": lambda: SpectralEmbedding(n_neighbors=10),
        "lle_5k": lambda: LocallyLinearEmbedding(n_neighbors=12, method="standard"),
        "kpca_5k": lambda: KernelPCA(n_components=2, kernel="rbf", gamma=0.01),
    }[case]
    make().fit_transform(x[:500])  # warm imports and caches
    t = time.perf_counter()
    e = make().fit_transform(x)
    seconds = time.perf_counter() - t
    report(case, seconds, trust(x, e))


def clustering_accuracy(truth, pred):
    from scipy.optimize import linear_sum_assignment
    classes, t = np.unique(truth, return_inverse=True)
    clusters, p = np.unique(pred, return_inverse=True)
    table = np.zeros((len(classes), len(clusters)), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    rows, cols = linear_sum_assignment(-table)
    return table[rows, cols].sum() / len(truth)


def ksubspaces(case, d):
    # scikit-learn has no K-subspaces: its closest path is KMeans on the same points.
    from sklearn.cluster import KMeans
    x, y = load(d, "subspace_x"), load(d, "subspace_y")
    KMeans(n_clusters=4, random_state=SEED).fit(x[:2000])  # warm
    t = time.perf_counter()
    labels = KMeans(n_clusters=4, random_state=SEED).fit_predict(x)
    seconds = time.perf_counter() - t
    report(case, seconds, clustering_accuracy(y, labels))


def spectral(case, d):
    from sklearn.cluster import SpectralClustering
    x, y = load(d, "subspace_x"), load(d, "subspace_y")
    SpectralClustering(n_clusters=4, affinity="nearest_neighbors", n_neighbors=10, random_state=SEED).fit(x[:2000])  # warm
    t = time.perf_counter()
    labels = SpectralClustering(n_clusters=4, affinity="nearest_neighbors", n_neighbors=10,
                                assign_labels="kmeans", random_state=SEED).fit_predict(x)
    seconds = time.perf_counter() - t
    report(case, seconds, clustering_accuracy(y, labels))


def leverage(case, d):
    """numpy's thin QR (LAPACK) and the squared row norms of Q: one warm call, then the mean of five."""
    a, ref = load(d, "leverage_a"), load(d, "leverage_ref")

    def scores():
        q, _ = np.linalg.qr(a)
        return np.einsum("ij,ij->i", q, q)

    scores()
    t = time.perf_counter()
    for _ in range(5):
        tau = scores()
    seconds = (time.perf_counter() - t) / 5
    report(case, seconds, np.max(np.abs(tau - ref) / ref))


def mnist1d_train(case, d):
    """The MNIST-1D baseline in PyTorch as the paper trains it: Adam lr 1e-2, batches of 100 in order,
    6000 steps, on the first 4000 rows; quality = accuracy on the next 1000. Same thread count as ours."""
    import os
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(SEED)
    x, y = load(d, "mnist_x"), load(d, "mnist_y")
    xtr, ytr = torch.tensor(x[:4000], dtype=torch.float32), torch.tensor(y[:4000], dtype=torch.long)
    xte, yte = torch.tensor(x[4000:5000], dtype=torch.float32), torch.tensor(y[4000:5000], dtype=torch.long)

    class Mlp(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.l3 = nn.Linear(40, 100), nn.Linear(100, 100), nn.Linear(100, 10)

        def forward(self, x):
            h = F.relu(self.l1(x))
            return self.l3(h + F.relu(self.l2(h)))

    class Cnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2, self.c3 = nn.Conv1d(1, 25, 5, 2, 1), nn.Conv1d(25, 25, 3, 2, 1), nn.Conv1d(25, 25, 3, 2, 1)
            self.out = nn.Linear(125, 10)

        def forward(self, x):
            h = F.relu(self.c3(F.relu(self.c2(F.relu(self.c1(x.view(-1, 1, 40)))))))
            return self.out(h.flatten(1))

    model = Cnn() if "cnn" in case else Mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    t = time.perf_counter()
    for step in range(6000):
        bix = (step * 100) % 4000
        loss = F.cross_entropy(model(xtr[bix:bix + 100]), ytr[bix:bix + 100])
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - t
    with torch.no_grad():
        acc = (model(xte).argmax(-1) == yte).float().mean().item()
    report(case, seconds, acc)


EQUIV_CHANNELS = 8
EQUIV_EPOCHS = 20


def soft_emlp_epoch(case, d):
    """The peer of our soft-equivariant MLP epoch: a plain PyTorch MLP of the
    same widths (3 hidden layers of 13c, swish), same data, batch 500, Adam, one
    thread; quality is its final training MSE."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    x = torch.tensor(load(d, "inertia_x"), dtype=torch.float32)
    y = torch.tensor(load(d, "inertia_y"), dtype=torch.float32)
    w = 13 * EQUIV_CHANNELS
    net = torch.nn.Sequential(torch.nn.Linear(20, w), torch.nn.SiLU(), torch.nn.Linear(w, w), torch.nn.SiLU(),
                              torch.nn.Linear(w, w), torch.nn.SiLU(), torch.nn.Linear(w, 9))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(SEED)

    def epoch():
        total = 0.0
        for idx in torch.randperm(len(x), generator=g).split(500):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / len(x)

    epoch()  # warm
    t = time.perf_counter()
    for _ in range(EQUIV_EPOCHS):
        mse = epoch()
    report(case, (time.perf_counter() - t) / EQUIV_EPOCHS, mse)


def equiv_projectors(case, d):
    """The same exact projectors as ours (nullspace of the stacked Lie and
    discrete constraints, one per rank pair) with numpy's eigh; quality is
    the summed dimension of the equivariant weight spaces."""
    def rot(a):
        b, c = (a + 1) % 3, (a + 2) % 3
        m = np.zeros((3, 3))
        m[c, b], m[b, c] = 1.0, -1.0
        return m

    def flip(k):
        m = np.eye(3)
        m[k, k] = -1.0
        return m

    groups = [([rot(0), rot(1), rot(2)], [-np.eye(3)])] + [([rot(a)], [flip((a + 1) % 3)]) for a in range(3)]

    def power(g, p):
        out = np.eye(1)
        for _ in range(p):
            out = np.kron(out, g)
        return out

    def lie(a, p):
        n = 3 ** p
        out = np.zeros((n, n))
        for k in range(p):
            out += np.kron(np.kron(np.eye(3 ** k), a), np.eye(3 ** (p - k - 1)))
        return out

    def block_rank(lies, discs, p, q):
        n = 3 ** (p + q)
        m = np.zeros((n, n))
        for a in lies:
            c = np.kron(lie(a, p), np.eye(3 ** q)) - np.kron(np.eye(3 ** p), lie(a, q).T)
            m += c.T @ c
        for h in discs:
            c = np.kron(power(h, p), power(np.linalg.inv(h), q).T) - np.eye(n)
            m += c.T @ c
        vals, vecs = np.linalg.eigh(m)
        basis = vecs[:, vals < 1e-8 * max(vals.max(), 1.0)]
        proj = basis @ basis.T
        return int(round(np.trace(proj)))

    c = EQUIV_CHANNELS
    hidden, gated = [c, c, c], [3 * c, c, c]
    layers = [([5, 5], gated), (hidden, gated), (hidden, gated), (hidden, [0, 0, 1])]
    t = time.perf_counter()
    rank = 0
    for lies, discs in groups:
        for rin, rout in layers:
            for p, mp in enumerate(rout):
                for q, mq in enumerate(rin):
                    if mp and mq:
                        rank += mp * mq * block_rank(lies, discs, p, q)
    report(case, time.perf_counter() - t, rank)


def molrg_schedule(torch):
    """DDPM's linear VP schedule: scale and sigma at levels 0..1000 (0 = clean)."""
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - betas, 0)])
    return abar.sqrt().float(), (1 - abar).sqrt().float()


def molrg_denoise(torch, u, blocks, ranks, x, s, g):
    """The MoLRG posterior mean with bases side by side in u (n x sum d)."""
    s2, g2 = s * s, g * g
    total = s2 + g2
    proj = x @ u
    norms = (proj * proj) @ blocks.T
    logits = -np.log(blocks.shape[0]) + norms * (s2 / (2 * g2 * total)) - ranks * torch.log(total / g2) * 0.5
    w = torch.softmax(logits, 1) @ blocks
    return ((proj * w) @ u.T) * (s / total)


def molrg_blocks(torch, dims):
    total = sum(dims)
    blocks = torch.zeros(len(dims), total)
    off = 0
    for k, dk in enumerate(dims):
        blocks[k, off:off + dk] = 1
        off += dk
    return blocks, torch.tensor(dims, dtype=torch.float32)


def retract(torch, u, dims):
    with torch.no_grad():
        off = 0
        for dk in dims:
            q, r = torch.linalg.qr(u[:, off:off + dk])
            u[:, off:off + dk] = q * torch.where(torch.diagonal(r) >= 0, 1.0, -1.0)
            off += dk


def molrg_train(case, d):
    """The same 1000 steps in PyTorch: levels uniform in 1..1000, Gaussian noise, the MoLRG
    posterior mean, summed squared error, Adam 1e-3, batch 128 (shuffled per epoch), QR
    retraction after each step, one thread; quality is the last epoch's mean loss."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    x = torch.tensor(load(d, "molrg_x"), dtype=torch.float32)
    dims = [7, 7]
    blocks, ranks = molrg_blocks(torch, dims)
    scale, sigma = molrg_schedule(torch)
    u = torch.randn(48, 14, requires_grad=True)
    retract(torch, u, dims)
    opt = torch.optim.Adam([u], lr=1e-3)

    def epoch():
        total = 0.0
        for idx in torch.randperm(len(x)).split(128):
            x0 = x[idx]
            t = torch.randint(1, 1001, (len(idx),))
            s, g = scale[t].unsqueeze(1), sigma[t].unsqueeze(1)
            xt = s * x0 + g * torch.randn_like(x0)
            opt.zero_grad()
            loss = ((molrg_denoise(torch, u, blocks, ranks, xt, s, g) - x0) ** 2).sum(1).mean()
            loss.backward()
            opt.step()
            retract(torch, u, dims)
            total += loss.item() * len(idx)
        return total / len(x)

    epoch()  # warm
    t0 = time.perf_counter()
    for _ in range(167):
        last = epoch()
    report(case, time.perf_counter() - t0, last)


def ddim_sample(case, d):
    """10 000 samples by 50 deterministic DDIM steps with the true mixture's posterior mean,
    one thread; quality is the largest error of the samples' latent second moment (see
    latent_covariance_error)."""
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    u_np = load(d, "molrg_u")
    u = torch.tensor(u_np, dtype=torch.float32)
    dims = [7, 7]
    blocks, ranks = molrg_blocks(torch, dims)
    scale, sigma = molrg_schedule(torch)
    power = sum(dims) / (len(dims) * 48)  # the mixture's mean squared coordinate, as ours starts from
    steps = [(j * 1000 + 49) // 50 for j in range(50, 0, -1)] + [0]

    def run():
        with torch.no_grad():
            s0, g0 = float(scale[steps[0]]), float(sigma[steps[0]])
            x = torch.randn(10_000, 48) * (s0 * s0 * power + g0 * g0) ** 0.5
            for t, p in zip(steps[:-1], steps[1:]):
                s, g, sp, gp = (float(v) for v in (scale[t], sigma[t], scale[p], sigma[p]))
                x0 = molrg_denoise(torch, u, blocks, ranks, x, torch.full((len(x), 1), s), torch.full((len(x), 1), g))
                eps = (x - s * x0) / g
                x = sp * x0 + gp * eps
            return x.numpy().astype(np.float64)

    run()  # warm
    t0 = time.perf_counter()
    x = run()
    seconds = time.perf_counter() - t0
    report(case, seconds, latent_covariance_error(x, [u_np[:, :7], u_np[:, 7:]]))


def latent_covariance_error(x, bases):
    """Each sample goes to the subspace holding most of it (largest |U_k^T x|); per subspace
    C_k = mean of (U_k^T x)(U_k^T x)^T, which is I for the true mixture; returns the largest
    |C_k - I|_F / sqrt(d_k) (lowdim's LatentFit)."""
    coords = [x @ b for b in bases]
    labels = np.argmax(np.stack([np.sum(z * z, axis=1) for z in coords], axis=1), axis=1)
    errors = []
    for k, z in enumerate(coords):
        zk = z[labels == k]
        if len(zk) == 0:
            return float("nan")
        gap = zk.T @ zk / len(zk) - np.eye(z.shape[1])
        errors.append(np.sqrt(np.sum(gap * gap) / z.shape[1]))
    return max(errors)


def main(case, d):
    if case == "umap_mnist1d_10k":
        umap_fit(case, load(d, "mnist_x"))
    elif case == "umap_synth_60k":
        umap_fit(case, load(d, "synth_x"), load(d, "synth_subsample").astype(np.int64))
    elif case == "umap_transform_1":
        umap_transform(case, d, 1)
    elif case == "umap_transform_1000":
        umap_transform(case, d, 1000)
    elif case == "knn_synth_60k":
        knn(case, d)
    elif case == "mle_10k_100":
        import skdim
        intrinsic(case, d, skdim.id.MLE(K=20))
    elif case == "twonn_10k_100":
        import skdim
        intrinsic(case, d, skdim.id.TwoNN())
    elif case == "tsne_5k":
        tsne(case, d)
    elif case == "ksubspaces_20k":
        ksubspaces(case, d)
    elif case == "spectral_clustering_20k":
        spectral(case, d)
    elif case == "leverage_20k":
        leverage(case, d)
    elif case in ("isomap_5k", "spectral_5k", "lle_5k", "kpca_5k"):
        classical(case, d)
    elif case in ("mnist1d_cnn_6000", "mnist1d_mlp_6000"):
        mnist1d_train(case, d)
    elif case == "soft_emlp_epoch":
        soft_emlp_epoch(case, d)
    elif case == "equiv_projectors_inertia":
        equiv_projectors(case, d)
    elif case == "molrg_train_1000":
        molrg_train(case, d)
    elif case == "ddim_10k":
        ddim_sample(case, d)
    else:
        raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
