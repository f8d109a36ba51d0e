"""VAE-QR as a method of the hunt (hunt.method = vae_qr, docs/vae_qr.md) end to end on tiny
LHCO-like data: per task a VAE on the training part's sidebands, the log of its loss as the
score, a quantile regression of it against m_jj on the validation block, score - threshold into
/artifacts/scores, the held-out events' (m_jj, score, threshold, untrained score, truth) as an artifact.
Checks: identical results, scores and artifact on 1 and 2 ranks; every data event of the window
scored once, out of fold, with a finite score equal to the artifact's score - threshold; the
QR cut keeps about 1 - q of the held-out background in both the sidebands and the signal
region; jobs without hunt.method keep their effective config; bad jobs exit 2 naming the key;
a data file with a NaN feature exits 2 (never a silent NaN score).

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import shutil
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import assert_identical, computed_results, datasets, run_cwola  # noqa: E402
from tiny_hunt import TinyHuntCase, artifact_values, text, tiny_hunt_job  # noqa: E402

QUANTILE = 0.8


def job(data, signal, method="", training="", vae=""):
    return tiny_hunt_job("hunt_vae_qr_test", data, signal, method, training, f"""[vae_qr]
latent = 2
hidden = 8, 8
epochs = 4
patience = 2
quantile = {QUANTILE}
qr_hidden = 8, 8
qr_epochs = 20
{vae}""")


def scores_of(store):
    """(rows per task, inner model per task, mass, score, label) of a store's kept scores."""
    g = store["artifacts/scores"]
    return (g["rows"][:], store["tasks/inner_fold"][:], g["mass"][:], g["score"][:],
            g["label"][:])


class HuntVaeQr(TinyHuntCase, unittest.TestCase):
    prefix = "cwola_vae_qr_"

    @classmethod
    def setUpClass(cls):
        cls.make_data()
        cls.job = cls.write("vae_qr.ini", job(cls.data, cls.signal, "method = vae_qr"))
        cls.stores = {}
        for ranks in (1, 2):
            cls.stores[ranks] = os.path.join(cls.dir, f"vae_qr_{ranks}.h5")
            run_cwola(ranks, "run", "--job", cls.job, "--output", cls.stores[ranks], "--no-plots",
                      check=0)

    def test_one_and_two_ranks_agree(self):
        assert_identical(self, computed_results(self.stores[1]), computed_results(self.stores[2]),
                         "results")
        for group in ("artifacts/scores", "artifacts/vae_qr_events"):
            one, two = datasets(self.stores[1], group), datasets(self.stores[2], group)
            self.assertEqual(sorted(one), sorted(two), group)
            for name in one:
                np.testing.assert_array_equal(one[name], two[name], f"{group}/{name}")

    def test_every_window_event_is_scored_once_out_of_fold_as_score_minus_threshold(self):
        with h5py.File(self.stores[1], "r") as s, h5py.File(self.data, "r") as d:
            mjj = d["TABLE/mjj"][:]
            low, high = s["results/span_low"][0], s["results/span_high"][0]
            count, inner, mass, score, label = scores_of(s)
            a = s["artifacts/vae_qr_events"]
            self.assertEqual(text(a.attrs["columns"]),
                             ["mjj", "vae_log_score", "qr_threshold", "untrained_log_score",
                              "truth"])
            self.assertEqual(text(a.attrs["seed_purpose"]), ["kVaeInit"])
            rows, values = a["rows"][:], artifact_values(a)
            self.assertEqual(len(count), 6)  # 3 folds x 2 inner models
            scored = np.concatenate([mass[r, :count[r]] for r in range(6) if inner[r] == 0])
            expected = mjj[(mjj >= low) & (mjj < high)].astype(np.float32)
            np.testing.assert_array_equal(np.sort(scored), np.sort(expected))
            for r in range(6):
                self.assertEqual(rows[r], count[r])
                v = values[r, :rows[r]]
                self.assertTrue(np.all(np.isfinite(v)), r)
                self.assertTrue(np.all(np.isnan(values[r, rows[r]:])), r)
                np.testing.assert_array_equal(v[:, 0], mass[r, :count[r]])
                np.testing.assert_allclose(score[r, :count[r]], v[:, 1] - v[:, 2], atol=1e-5)
                np.testing.assert_array_equal(v[:, 4], label[r, :count[r]])

    def test_the_qr_cut_keeps_one_minus_q_in_sidebands_and_signal_region(self):
        # Pooled over the 6 models' held-out folds: each model's QR, fitted on its own
        # validation block, keeps ~1 - q of events it never saw, whatever their m_jj.
        with h5py.File(self.stores[1], "r") as s:
            a = s["artifacts/vae_qr_events"]
            rows, values = a["rows"][:], artifact_values(a)
            sr_low, sr_high = s["results/signal_region_low"][0], s["results/signal_region_high"][0]
        v = np.concatenate([values[r, :rows[r]] for r in range(len(rows))])
        passed = v[:, 1] >= v[:, 2]
        sr = (v[:, 0] >= sr_low) & (v[:, 0] < sr_high)
        for name, region in (("sidebands", ~sr), ("signal region", sr)):
            n = region.sum()
            efficiency = passed[region].mean()
            sigma = np.sqrt(QUANTILE * (1 - QUANTILE) / n)
            # 4 binomial sd plus 0.03 for the QR's own error on ~1,000 validation events.
            self.assertLess(abs(efficiency - (1 - QUANTILE)), 4 * sigma + 0.03,
                            (name, n, efficiency))

    def test_a_job_without_method_keeps_its_effective_config(self):
        plain = self.write("plain.ini", job(self.data, self.signal).replace(
            "[vae_qr]\nlatent = 2\nhidden = 8, 8\nepochs = 4\npatience = 2\n"
            f"quantile = {QUANTILE}\nqr_hidden = 8, 8\nqr_epochs = 20\n", ""))
        dumped = run_cwola(0, "run", "--job", plain, "--output", os.path.join(self.dir, "p.h5"),
                           "--dump-config", check=0).stdout
        keys = [line.split("=")[0].strip() for line in dumped.splitlines()]
        self.assertNotIn("method", keys)
        self.assertNotIn("[vae_qr]", keys)
        self.assertIn("cwola_hunting", dumped)

    def test_bad_vae_qr_jobs_exit_2_naming_the_key(self):
        cases = [("method = vae_qr\nlabels = supervised", "", "", "hunt.method"),
                 ("method = vae_qr", "balance = cwola_hunting", "", "training.balance"),
                 ("method = vae_qr", "", "quantile = 1.5", "vae_qr.quantile"),
                 ("method = vae_qr", "", "kl_weight = -1", "vae_qr.kl_weight"),
                 ("method = vae_qr", "", "qr_degree = 12", "vae_qr.qr_degree"),
                 ("method = vae_qr\n[model]\nclassifier = bdt", "", "", "model.classifier")]
        for i, (method, training, vae, key) in enumerate(cases):
            content = job(self.data, self.signal, method, training)
            if vae:
                content = content.replace("[vae_qr]\n", f"[vae_qr]\n{vae}\n", 1).replace(
                    f"quantile = {QUANTILE}\n", "", 1 if "quantile" in vae else 0)
            bad = self.write(f"bad{i}.ini", content)
            done = run_cwola(0, "run", "--job", bad, "--output",
                             os.path.join(self.dir, f"bad{i}.h5"), check=2)
            self.assertIn(key, done.stderr, method + " " + vae)

    def test_a_nan_feature_is_refused_not_scored(self):
        broken = os.path.join(self.dir, "qcd_nan.h5")
        shutil.copy(self.data, broken)
        with h5py.File(broken, "r+") as f:
            mjj = f["TABLE/mjj"][:]
            inside = np.flatnonzero((mjj > 3331) & (mjj < 4071))[0]
            tau = f["TABLE/tau21j1"]
            values = tau[:]
            values[inside] = np.nan
            tau[...] = values
        bad = self.write("nan.ini", job(broken, self.signal, "method = vae_qr"))
        done = run_cwola(0, "run", "--job", bad, "--output", os.path.join(self.dir, "nan.h5"),
                         check=2)
        self.assertIn("hunt.data_file", done.stderr)
        self.assertIn("not finite", done.stderr)


if __name__ == "__main__":
    unittest.main()
