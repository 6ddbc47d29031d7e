//! The classical manifold learners against scikit-learn 1.9.1 on a 500-point
//! swiss roll (fixtures/embed_swissroll, see its README), the unrolling
//! Isomap promises, thread-count independence, and bad input.

// Everything sits in `mod embed_classic` so that `cargo test embed_classic` selects it.
mod embed_classic {
    use lowdim::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/embed_swissroll");

    fn fixture(name: &str) -> Array2<f64> {
        read_npy_2d(format!("{FIXTURES}/{name}.npy")).unwrap_or_else(|e| panic!("{name}.npy: {e}"))
    }

    fn t() -> Vec<f64> {
        read_npy_1d(format!("{FIXTURES}/t.npy")).unwrap().to_vec()
    }

    /// Largest |ours − ref| over the largest |ref|, after matching each
    /// column's sign to the reference.
    fn rel_diff_up_to_sign(ours: &Array2<f64>, reference: &Array2<f64>) -> f64 {
        assert_eq!(ours.dim(), reference.dim());
        let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut worst = 0.0f64;
        for c in 0..ours.ncols() {
            let (a, b) = (ours.column(c), reference.column(c));
            let sign = if a.dot(&b) < 0.0 { -1.0 } else { 1.0 };
            worst = worst.max(a.iter().zip(b).map(|(x, y)| (sign * x - y).abs()).fold(0.0, f64::max));
        }
        worst / scale
    }

    /// R² of the best affine map from `ours` to each column of `reference`:
    /// 1 when the two embeddings agree up to rotation, scale and shift.
    fn r2_up_to_linear_map(ours: &Array2<f64>, reference: &Array2<f64>) -> Vec<f64> {
        let n = ours.nrows();
        let p = ours.ncols() + 1;
        let design = Array2::from_shape_fn((n, p), |(i, j)| if j == 0 { 1.0 } else { ours[[i, j - 1]] });
        let gram = design.t().dot(&design);
        (0..reference.ncols())
            .map(|c| {
                let y = reference.column(c);
                let rhs = design.t().dot(&y);
                let beta = solve(gram.clone(), rhs.to_vec());
                let fit = design.dot(&Array1::from(beta));
                let mean = y.mean().unwrap();
                let ss_res: f64 = y.iter().zip(&fit).map(|(a, b)| (a - b).powi(2)).sum();
                let ss_tot: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
                1.0 - ss_res / ss_tot
            })
            .collect()
    }

    /// Gaussian elimination with partial pivoting (small systems).
    fn solve(mut a: Array2<f64>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for k in 0..n {
            let p = (k..n).max_by(|&i, &j| a[[i, k]].abs().total_cmp(&a[[j, k]].abs())).unwrap();
            for j in 0..n {
                a.swap([k, j], [p, j]);
            }
            b.swap(k, p);
            for i in k + 1..n {
                let f = a[[i, k]] / a[[k, k]];
                for j in k..n {
                    a[[i, j]] -= f * a[[k, j]];
                }
                b[i] -= f * b[k];
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|j| a[[i, j]] * x[j]).sum();
            x[i] = (b[i] - s) / a[[i, i]];
        }
        x
    }

    #[test]
    fn isomap_matches_scikit_learn_and_unrolls_the_roll() {
        let x = fixture("X");
        let iso = Isomap::params().n_neighbors(10).fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(iso.embedding(), &fixture("isomap"));
        println!("isomap: relative difference {d:e}");
        assert!(d < 1e-6, "{d}");
        let rho = spearman(&iso.embedding().column(0).to_vec(), &t()).unwrap();
        assert!(rho.abs() >= 0.95, "Spearman {rho}");
        // Training points placed by transform land on their embedding.
        let again = iso.transform(x.slice(s![..20, ..])).unwrap();
        assert!(rel_diff_up_to_sign(&again, &iso.embedding().slice(s![..20, ..]).to_owned()) < 1e-8);
        assert!(iso.reconstruction_error() > 0.0);
    }

    #[test]
    fn kernel_pca_matches_scikit_learn() {
        let x = fixture("X");
        let kpca = KernelPca::params().kernel(Kernel::Rbf { gamma: Some(0.01) }).fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(kpca.embedding(), &fixture("kpca_rbf"));
        println!("kernel PCA: relative difference {d:e}");
        assert!(d < 1e-6, "{d}");
    }

    #[test]
    fn spectral_embedding_matches_scikit_learn() {
        let x = fixture("X");
        let se = SpectralEmbedding::params().n_neighbors(10).fit_records(x.view()).unwrap();
        let reference = fixture("spectral");
        let r2 = r2_up_to_linear_map(se.embedding(), &reference);
        let d = rel_diff_up_to_sign(se.embedding(), &reference);
        println!("spectral: R² {r2:?}, relative difference up to sign {d:e}");
        assert!(r2.iter().all(|&r| r > 0.9999), "{r2:?}");
        // The eigenvalues are well separated here, so the columns agree up to sign too.
        assert!(d < 1e-6, "{d}");
    }

    #[test]
    fn lle_matches_scikit_learn() {
        let x = fixture("X");
        let lle = LocallyLinearEmbedding::params().n_neighbors(12).fit_records(x.view()).unwrap();
        let reference = fixture("lle");
        let r2 = r2_up_to_linear_map(lle.embedding(), &reference);
        println!("LLE: R² {r2:?}, reconstruction error {:e}", lle.reconstruction_error());
        assert!(r2.iter().all(|&r| r > 0.999), "{r2:?}");
        // Unit-norm columns, orthogonal to the constant vector.
        for c in lle.embedding().columns() {
            assert!((c.dot(&c) - 1.0).abs() < 1e-8 && c.sum().abs() < 1e-6);
        }
    }

    #[test]
    fn modified_lle_matches_scikit_learn() {
        // On this sparse 500-point roll MLLE does not unroll (scikit-learn's
        // Spearman with t is 0.16 too); it must still be scikit-learn's answer.
        let x = fixture("X");
        let mlle = LocallyLinearEmbedding::params().n_neighbors(12).method(LleMethod::Modified).fit_records(x.view()).unwrap();
        let r2 = r2_up_to_linear_map(mlle.embedding(), &fixture("lle_modified"));
        println!("modified LLE: R² {r2:?}");
        assert!(r2.iter().all(|&r| r > 0.999), "{r2:?}");
    }

    #[test]
    fn transforms_match_scikit_learn() {
        let (x, new) = (fixture("X"), fixture("new"));
        let iso = Isomap::params().n_neighbors(10).fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(&iso.transform(new.view()).unwrap(), &fixture("isomap_transform"));
        println!("Isomap transform: relative difference {d:e}");
        assert!(d < 1e-6, "{d}");
        let kpca = KernelPca::params().kernel(Kernel::Rbf { gamma: Some(0.01) }).fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(&kpca.transform(new.view()).unwrap(), &fixture("kpca_rbf_transform"));
        println!("kernel PCA transform: relative difference {d:e}");
        assert!(d < 1e-6, "{d}");
        let lle = LocallyLinearEmbedding::params().n_neighbors(12).fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(&lle.transform(new.view()).unwrap(), &fixture("lle_transform"));
        println!("LLE transform: relative difference {d:e}");
        assert!(d < 1e-5, "{d}");
    }

    #[test]
    fn other_kernels_and_affinities_match_scikit_learn() {
        let x = fixture("X");
        for (kernel, name) in [(Kernel::polynomial(), "kpca_poly"), (Kernel::Cosine, "kpca_cosine")] {
            let kpca = KernelPca::params().kernel(kernel).fit_records(x.view()).unwrap();
            let d = rel_diff_up_to_sign(kpca.embedding(), &fixture(name));
            println!("{name}: relative difference {d:e}");
            assert!(d < 1e-6, "{name}: {d}");
        }
        let mds = ClassicalMds::params().fit_records(x.view()).unwrap();
        let d = rel_diff_up_to_sign(mds.embedding(), &fixture("mds"));
        println!("classical MDS: relative difference {d:e}");
        assert!(d < 1e-6, "{d}");
        let se = SpectralEmbedding::params().affinity(EmbeddingAffinity::Rbf { gamma: Some(0.05) }).fit_records(x.view()).unwrap();
        let r2 = r2_up_to_linear_map(se.embedding(), &fixture("spectral_rbf"));
        println!("spectral (rbf): R² {r2:?}");
        assert!(r2.iter().all(|&r| r > 0.9999), "{r2:?}");
    }

    #[test]
    fn classical_mds_of_a_linear_set_is_pca() {
        // Principal coordinates = PCA scores: check against distances kept.
        let x = fixture("X");
        let mds = ClassicalMds::params().n_components(3).fit_records(x.view()).unwrap();
        let e = mds.embedding();
        for (i, j) in [(0, 1), (5, 300), (42, 499)] {
            let dx = (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum().sqrt();
            let de = (&e.row(i) - &e.row(j)).mapv(|v| v * v).sum().sqrt();
            assert!((dx - de).abs() < 1e-8 * dx, "{dx} vs {de}");
        }
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let x = fixture("X");
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                (
                    Isomap::params().n_neighbors(10).fit_records(x.view()).unwrap().embedding().clone(),
                    SpectralEmbedding::params().n_neighbors(10).fit_records(x.view()).unwrap().embedding().clone(),
                    LocallyLinearEmbedding::params().n_neighbors(12).fit_records(x.view()).unwrap().embedding().clone(),
                    KernelPca::params().kernel(Kernel::rbf()).fit_records(x.view()).unwrap().embedding().clone(),
                )
            })
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn figures_colour_by_labels() {
        let ds = swiss_roll(250, 0.05, 3).unwrap();
        let labels = ds.targets().mapv(|t| (t / 3.0) as usize);
        let labelled = Dataset::new(ds.records().clone(), labels);
        let iso = Isomap::params().n_neighbors(8).fit(&labelled).unwrap();
        assert!(iso.figure().unwrap().n_traces() > 1);
        let plain = Isomap::params().n_neighbors(8).fit_records(ds.records().view()).unwrap();
        assert_eq!(plain.figure().unwrap().n_traces(), 1);
        assert!(KernelPca::params().kernel(Kernel::rbf()).fit(&labelled).unwrap().figure().is_ok());
        assert!(SpectralEmbedding::params().fit(&labelled).unwrap().figure().is_ok());
        assert!(LocallyLinearEmbedding::params().n_neighbors(10).fit(&labelled).unwrap().figure().is_ok());
        assert!(ClassicalMds::params().fit(&labelled).unwrap().figure().is_ok());
    }

    #[test]
    fn fitted_models_save_and_load_back_equal() {
        let x = fixture("X").slice(s![..150, ..]).to_owned();
        let dir = std::env::temp_dir().join(format!("lowdim-embed-classic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let iso = Isomap::params().n_neighbors(8).fit_records(x.view()).unwrap();
        iso.save(&path("iso.json")).unwrap();
        assert_eq!(Isomap::load(&path("iso.json")).unwrap(), iso);
        let kpca = KernelPca::params().kernel(Kernel::rbf()).fit_records(x.view()).unwrap();
        kpca.save(&path("kpca.json")).unwrap();
        assert_eq!(KernelPca::load(&path("kpca.json")).unwrap(), kpca);
        let lle = LocallyLinearEmbedding::params().n_neighbors(8).fit_records(x.view()).unwrap();
        lle.save(&path("lle.json")).unwrap();
        assert_eq!(LocallyLinearEmbedding::load(&path("lle.json")).unwrap(), lle);
        let se = SpectralEmbedding::params().n_neighbors(8).fit_records(x.view()).unwrap();
        se.save(&path("se.json")).unwrap();
        assert_eq!(SpectralEmbedding::load(&path("se.json")).unwrap(), se);
        let mds = ClassicalMds::params().fit_records(x.view()).unwrap();
        mds.save(&path("mds.json")).unwrap();
        assert_eq!(ClassicalMds::load(&path("mds.json")).unwrap(), mds);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nan_input_is_refused_everywhere() {
        let mut x = fixture("X").slice(s![..60, ..]).to_owned();
        x[[7, 1]] = f64::NAN;
        assert!(matches!(Isomap::params().fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(SpectralEmbedding::params().fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(LocallyLinearEmbedding::params().fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(KernelPca::params().fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(ClassicalMds::params().fit_records(x.view()), Err(Error::Data(_))));
        x[[7, 1]] = f64::INFINITY;
        assert!(matches!(Isomap::params().fit_records(x.view()), Err(Error::Data(_))));
    }

    #[test]
    fn too_many_neighbours_is_a_parameter_error() {
        let x = fixture("X").slice(s![..30, ..]).to_owned();
        assert!(matches!(Isomap::params().n_neighbors(30).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(SpectralEmbedding::params().n_neighbors(31).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(
            LocallyLinearEmbedding::params().n_neighbors(30).fit_records(x.view()),
            Err(Error::Param { name: "n_neighbors", .. })
        ));
    }

    #[test]
    fn disconnected_graphs_are_reported() {
        // Two far-apart rolls: 5 neighbours never bridge them.
        let a = fixture("X").slice(s![..100, ..]).to_owned();
        let b = &a + 1000.0;
        let x = ndarray::concatenate![Axis(0), a, b];
        let err = Isomap::params().fit_records(x.view()).unwrap_err();
        assert!(err.to_string().contains("connected components") && err.to_string().contains("increase n_neighbors"), "{err}");
        let err = SpectralEmbedding::params().n_neighbors(5).fit_records(x.view()).unwrap_err();
        assert!(err.to_string().contains("2 connected components"), "{err}");
    }

    #[test]
    fn transform_checks_the_width() {
        let x = fixture("X").slice(s![..80, ..]).to_owned();
        let wrong = Array2::<f64>::zeros((2, 4));
        let iso = Isomap::params().fit_records(x.view()).unwrap();
        assert!(matches!(iso.transform(wrong.view()), Err(Error::Data(_))));
        let kpca = KernelPca::params().kernel(Kernel::rbf()).fit_records(x.view()).unwrap();
        assert!(matches!(kpca.transform(wrong.view()), Err(Error::Data(_))));
        let lle = LocallyLinearEmbedding::params().fit_records(x.view()).unwrap();
        assert!(matches!(lle.transform(wrong.view()), Err(Error::Data(_))));
        let mut bad = x.slice(s![..2, ..]).to_owned();
        bad[[0, 0]] = f64::NAN;
        assert!(matches!(iso.transform(bad.view()), Err(Error::Data(_))));
    }

    #[test]
    fn duplicates_give_finite_embeddings() {
        let x = fixture("X").slice(s![..120, ..]).to_owned();
        let x = ndarray::concatenate![Axis(0), x, x.slice(s![..20, ..])];
        for e in [
            Isomap::params().n_neighbors(8).fit_records(x.view()).unwrap().embedding().clone(),
            SpectralEmbedding::params().n_neighbors(8).fit_records(x.view()).unwrap().embedding().clone(),
            LocallyLinearEmbedding::params().n_neighbors(8).fit_records(x.view()).unwrap().embedding().clone(),
            KernelPca::params().kernel(Kernel::rbf()).fit_records(x.view()).unwrap().embedding().clone(),
        ] {
            assert!(e.iter().all(|v| v.is_finite()));
        }
    }
}
