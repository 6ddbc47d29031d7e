//! The computations of the clustering notebooks (`notebooks/subspace_clustering.ipynb`,
//! `notebooks/local_connectivity_lofkm.ipynb`, `notebooks/ppp_choosing_k.ipynb`),
//! with the numbers their text states asserted at the same margins, so a change
//! that breaks a notebook's claim fails here first.

use lowdim::prelude::*;

/// Plain k-means: LOFKM's k-means start (linfa-clustering, k-means++), with the
/// connectivity penalty off (β = 0).
fn kmeans_labels(x: ArrayView2<f64>, k: usize, n_init: usize, seed: u64) -> Result<Vec<usize>> {
    Ok(Lofkm::params().n_clusters(k).beta(0.0).n_neighbors(1).n_init(n_init).seed(seed).fit_records(x)?.kmeans_labels().to_vec())
}

/// The best `dim`-dimensional linear subspace of each cluster's points (a
/// one-cluster K-subspaces fit = the top principal directions through the origin).
fn cluster_bases(x: &Array2<f64>, labels: &[usize], k: usize, dim: usize) -> Result<Vec<Array2<f64>>> {
    (0..k)
        .map(|c| {
            let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            let pts = x.select(Axis(0), &idx);
            Ok(KSubspaces::params().n_clusters(1).dim(dim).fit_records(pts.view())?.bases()[0].clone())
        })
        .collect()
}

/// (accuracy, NMI, mean recovery error) of a labelling of the MoLRG sample.
fn score(m: &Molrg, labels: &[usize]) -> Result<(f64, f64, f64)> {
    let truth = m.labels.to_vec();
    let bases = cluster_bases(&m.data, labels, m.bases.len(), 3)?;
    Ok((clustering_accuracy(&truth, labels)?, nmi(&truth, labels)?, match_subspaces(&bases, &m.bases)?.mean_error))
}

#[test]
fn subspace_clustering_notebook() -> Result<()> {
    let m = MolrgParams::new(30, &[3, 3, 3, 3]).noise(0.2).balanced(true).sample(400, 1)?;
    let truth = m.labels.to_vec();
    let km = kmeans_labels(m.data.view(), 4, 10, 0)?;
    let ks = KSubspaces::params().n_clusters(4).dim(3).seed(0).fit_records(m.data.view())?;
    let en = Ensc::params().n_clusters(4).alpha(10.0).fit_records(m.data.view())?;
    let ssc = Ensc::ssc().n_clusters(4).alpha(10.0).fit_records(m.data.view())?;
    let sc =
        SpectralClustering::params().n_clusters(4).affinity(Affinity::NearestNeighbors { n_neighbors: 20 }).fit_records(m.data.view())?;
    let rows = [
        ("k-means", score(&m, &km)?),
        ("K-subspaces", score(&m, ks.labels())?),
        ("EnSC", score(&m, en.labels())?),
        ("SSC", score(&m, ssc.labels())?),
        ("spectral (kNN)", score(&m, sc.labels())?),
    ];
    for (name, (acc, nm, rec)) in &rows {
        println!("{name:>15}: accuracy {acc:.3}  NMI {nm:.3}  recovery {rec:.3}");
    }
    let own = match_subspaces(ks.bases(), &m.bases)?;
    println!(
        "K-subspaces own bases: mean {:.3} max {:.3}; EnSC spe {:.3}, SSC spe {:.3}",
        own.mean_error,
        own.max_error,
        en.subspace_preserving_error(&truth)?,
        ssc.subspace_preserving_error(&truth)?
    );
    let accs: Vec<f64> = rows.iter().map(|r| r.1 .0).collect();
    let recs: Vec<f64> = rows.iter().map(|r| r.1 .2).collect();
    assert!(accs[0] < 0.45 && rows[0].1 .1 < 0.2, "k-means should fail: {:?}", rows[0]);
    assert!(accs[1] > 0.93, "K-subspaces {:?}", rows[1]);
    assert!(accs[2] > 0.92 && accs[3] > 0.92, "EnSC/SSC {:?} {:?}", rows[2], rows[3]);
    assert!((0.72..0.88).contains(&accs[4]), "spectral {:?}", rows[4]);
    assert!(recs[1] < 0.3 && recs[2] < 0.35 && recs[3] < 0.35 && recs[0] > 1.0, "recovery {rows:?}");
    assert!(own.max_error < 0.3, "{own:?}");
    Ok(())
}

#[test]
fn subspace_clustering_noise_sweep() -> Result<()> {
    let noises = [0.05, 0.1, 0.2, 0.3, 0.5];
    let mut acc = vec![[0.0; 3]; noises.len()];
    for (i, &noise) in noises.iter().enumerate() {
        let m = MolrgParams::new(30, &[3, 3, 3, 3]).noise(noise).balanced(true).sample(400, 1)?;
        let truth = m.labels.to_vec();
        let km = kmeans_labels(m.data.view(), 4, 10, 0)?;
        let ks = KSubspaces::params().n_clusters(4).dim(3).seed(0).fit_records(m.data.view())?;
        let sc = SpectralClustering::params()
            .n_clusters(4)
            .affinity(Affinity::NearestNeighbors { n_neighbors: 20 })
            .fit_records(m.data.view())?;
        acc[i] = [clustering_accuracy(&truth, &km)?, clustering_accuracy(&truth, ks.labels())?, clustering_accuracy(&truth, sc.labels())?];
        println!("noise {noise}: k-means {:.3}  K-subspaces {:.3}  spectral {:.3}", acc[i][0], acc[i][1], acc[i][2]);
    }
    assert!(acc.iter().all(|a| a[0] < 0.45), "k-means {acc:?}");
    assert!(acc[..4].iter().all(|a| a[1] > 0.88), "K-subspaces up to noise 0.3 {acc:?}");
    assert!(acc[0][2] > 0.97 && acc[3][2] < 0.6, "spectral falls off {acc:?}");
    assert!(acc[2..4].iter().all(|a| a[1] > a[2] + 0.1), "K-subspaces ahead of spectral at noise ≥ 0.2 {acc:?}");
    Ok(())
}

/// `n` points on `n_bars` parallel horizontal bars of the given length, spaced
/// `gap` apart, with Gaussian thickness `width`; the bar index is the label.
fn bars(n: usize, n_bars: usize, length: f64, gap: f64, width: f64, seed: u64) -> Result<(Array2<f64>, Vec<usize>)> {
    let along = ball(n, 1, seed)?; // uniform in [−1, 1]
    let across = blobs(n, 1, 1, width, seed + 1)?; // N(c, width²) around one random centre c
    let c = across.records().column(0).mean().unwrap_or(0.0);
    let labels: Vec<usize> = (0..n).map(|i| i % n_bars).collect();
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        if j == 0 {
            0.5 * length * along[[i, 0]]
        } else {
            gap * labels[i] as f64 + across.records()[[i, 0]] - c
        }
    });
    Ok((x, labels))
}

#[test]
fn lofkm_notebook_bars() -> Result<()> {
    let (x, y) = bars(600, 3, 12.0, 1.2, 0.25, 1)?;
    let f = Lofkm::params().n_clusters(3).beta(4.0).seed(0).fit_records(x.view())?;
    let (c, c0) = (f.connectivity(), f.kmeans_connectivity());
    let rise = f.sse() / f.kmeans_sse() - 1.0;
    println!(
        "bars: accuracy k-means {:.3} LOFKM {:.3}; connectivity {:.3} -> {:.3}; poorly connected {:.4} -> {:.4}; SSE +{:.2} %",
        clustering_accuracy(&y, f.kmeans_labels())?,
        clustering_accuracy(&y, f.labels())?,
        c0.mean(),
        c.mean(),
        c0.poorly_connected(),
        c.poorly_connected(),
        100.0 * rise
    );
    assert!(clustering_accuracy(&y, f.kmeans_labels())? < 0.5 && clustering_accuracy(&y, f.labels())? < 0.5);
    assert!(c.mean() > c0.mean() && c.poorly_connected() < c0.poorly_connected(), "{c0:?} {c:?}");
    assert!((0.0..0.01).contains(&rise), "SSE rise {rise}");
    Ok(())
}

#[test]
fn lofkm_notebook_beta_sweep() -> Result<()> {
    let ds = blobs(600, 4, 2, 2.0, 4)?;
    let x = ds.records();
    let mut rows = Vec::new();
    for beta in [0.0, 0.5, 1.0, 2.0, 4.0, 8.0] {
        let f = Lofkm::params().n_clusters(4).beta(beta).seed(0).fit_records(x.view())?;
        let rise = 100.0 * (f.sse() / f.kmeans_sse() - 1.0);
        let changed = f.labels().iter().zip(f.kmeans_labels()).filter(|(a, b)| a != b).count();
        println!(
            "beta {beta}: connectivity {:.4} poorly {:.4} SSE +{rise:.3} % changed {changed}",
            f.connectivity().mean(),
            f.connectivity().poorly_connected()
        );
        rows.push((beta, f.connectivity().mean(), f.connectivity().poorly_connected(), rise, changed));
    }
    let (k0, k4) = (rows[0], rows[4]);
    assert_eq!(k0.4, 0, "β = 0 is k-means");
    assert!(k0.3.abs() < 1e-9);
    assert!(k0.2 > 0.012 && k4.2 < 0.004, "poorly connected share {k0:?} {k4:?}");
    assert!(k4.1 > k0.1 + 0.005, "mean connectivity {k0:?} {k4:?}");
    assert!(k4.3 > 0.0 && k4.3 < 1.0, "SSE rise at β = 4 {k4:?}");
    assert!(rows.iter().all(|r| r.3 < 1.0 && r.1 >= k0.1), "{rows:?}");
    Ok(())
}

#[test]
fn ppp_notebook_main() -> Result<()> {
    let ds = blobs(600, 5, 2, 1.0, 1)?;
    let x = ds.records();
    let y = ds.targets().to_vec();
    let p = Ppp::params().k_range(2, 10).seed(0).fit_records(x.view())?;
    let el = KMeansElbow::params().k_range(2, 10).seed(0).fit_records(x.view())?;
    println!("PPP k {} ARI {:.3}; elbow k {} ARI {:.3}", p.n_clusters(), ari(&y, p.labels())?, el.k(), ari(&y, el.labels())?);
    assert_eq!(p.n_clusters(), 5);
    assert_eq!(el.k(), 4);
    assert!(ari(&y, p.labels())? > 0.93 && ari(&y, el.labels())? < 0.85);
    let same = (1..5).map(|s| Ppp::params().k_range(2, 10).seed(s).fit_records(x.view())).collect::<Result<Vec<_>>>()?;
    assert!(same.iter().all(|q| q.labels() == p.labels()), "PPP labels differ across seeds");
    let runs = (0..10).map(|s| kmeans_labels(x.view(), 5, 1, s)).collect::<Result<Vec<_>>>()?;
    let mut distinct: Vec<Vec<usize>> = Vec::new();
    let mut min_ari: f64 = 1.0;
    for a in &runs {
        if !distinct.iter().any(|d| ari(d, a).is_ok_and(|v| v > 1.0 - 1e-12)) {
            distinct.push(a.clone());
        }
        for b in &runs {
            min_ari = min_ari.min(ari(a, b)?);
        }
    }
    println!("k-means, one start each: {} distinct partitions of 10, lowest pairwise ARI {min_ari:.3}", distinct.len());
    assert!(distinct.len() >= 4 && min_ari < 0.7, "{} {min_ari}", distinct.len());
    Ok(())
}

#[test]
fn ppp_notebook_five_datasets() -> Result<()> {
    let sets = [(5usize, 1.0, 1u64), (5, 1.0, 2), (6, 1.2, 3), (4, 1.5, 4), (8, 0.8, 5)];
    let (mut ppp_true, mut elbow_true, mut ppp_ge) = (0, 0, 0);
    for (k, std, seed) in sets {
        let ds = blobs(600, k, 2, std, seed)?;
        let y = ds.targets().to_vec();
        let p = Ppp::params().k_range(2, 10).seed(0).fit_records(ds.records().view())?;
        let el = KMeansElbow::params().k_range(2, 10).seed(0).fit_records(ds.records().view())?;
        let (ap, ae) = (ari(&y, p.labels())?, ari(&y, el.labels())?);
        println!("{k} centres, std {std}, seed {seed}: PPP k {} ARI {ap:.3}; elbow k {} ARI {ae:.3}", p.n_clusters(), el.k());
        ppp_true += usize::from(p.n_clusters() == k);
        elbow_true += usize::from(el.k() == k);
        ppp_ge += usize::from(p.n_clusters() >= el.k() && ap >= ae - 1e-12);
    }
    println!("true k: PPP {ppp_true}/5, elbow {elbow_true}/5; PPP at least as good {ppp_ge}/5");
    assert_eq!((ppp_true, elbow_true, ppp_ge), (1, 0, 5));
    Ok(())
}
