"""The sliding-window hunt end to end (docs/hunt.md): LHCO-like data from `cwola generate`, a
hunt run (windows × injections × seeds × folds) on 1 and 2 ranks, then `cwola hunt` (select →
fit). Checks: identical per-task results and per-event scores on 1 and 2 ranks; every data
event of a window scored once, out of fold, with its mass; the injected W′ is found in its
window with a cut that beats the inclusive fit, and nothing stands out without injection or in
the other window; pseudo-datasets give each seed disjoint data; the supervised reference (hunt.labels = supervised) trains on truth in the
signal region alone; bad jobs exit 2 naming the key.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import shutil
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (assert_identical, computed_results, datasets, generate,  # noqa: E402
                          run_cwola)

# CMS set B above the 1.2 TeV trigger's turn-on (m_jj ≈ 2.6 TeV): windows 1 (holds the 3.5 TeV
# W′) and 2.
EDGES = "2725, 3331, 4071, 4975, 6081"


def job(data, signal, extra=""):
    return f"""
[job]
name = hunt_test
study = hunt
seed = 11
repeats = 2

[hunt]
data_file = {data}
signal_file = {signal}
table = /TABLE
edges = {EDGES}
signal_test_events = 400
signal_mass = 3500

[scan]
hunt.window = 1, 2
hunt.injected_signal = 0, 500

[training]
folds = 3
inner_folds = 2
max_epochs = 12
patience = 3

[model]
hidden = 16, 16

[run]
threads = 1
progress_seconds = 0
{extra}"""


class Hunt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_hunt_")
        cls.data = os.path.join(cls.dir, "qcd.h5")
        cls.signal = os.path.join(cls.dir, "wprime.h5")
        generate(2, "lhco_qcd", cls.data, 3000000, "generator.block_size=250000")
        generate(2, "lhco_wprime", cls.signal, 1400)
        cls.job = os.path.join(cls.dir, "hunt.ini")
        with open(cls.job, "w") as f:
            f.write(job(cls.data, cls.signal))
        cls.stores = {}
        for ranks in (1, 2):
            cls.stores[ranks] = os.path.join(cls.dir, f"hunt_{ranks}.h5")
            run_cwola(ranks, "run", "--job", cls.job, "--output", cls.stores[ranks], "--no-plots",
                      check=0)
        cls.fits = {}
        for ranks in (1, 2):
            cls.fits[ranks] = os.path.join(cls.dir, f"fit_{ranks}.h5")
            cls.fit_log = run_cwola(1, "hunt", cls.stores[ranks], "--output", cls.fits[ranks],
                                    "--signal-mass", "3500", check=0).stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_one_and_two_ranks_agree(self):
        assert_identical(self, computed_results(self.stores[1]), computed_results(self.stores[2]),
                         "results")
        one, two = datasets(self.stores[1], "artifacts/scores"), datasets(self.stores[2], "artifacts/scores")
        for name in ("score", "mass", "label"):
            np.testing.assert_array_equal(one[name], two[name], name)
        fit_one, fit_two = datasets(self.fits[1], "selection"), datasets(self.fits[2], "selection")
        for name in fit_one:
            if name.endswith("failure"):
                continue
            np.testing.assert_array_equal(fit_one[name], fit_two[name], name)

    def test_every_window_event_is_scored_once_out_of_fold(self):
        with h5py.File(self.stores[1], "r") as s, h5py.File(self.data, "r") as d:
            mjj = d["TABLE/mjj"][:]
            low, high = s["results/span_low"][:], s["results/span_high"][:]
            injected = s["results/injected"][:]
            count, fold = s["artifacts/scores/rows"][:], s["tasks/fold"][:]
            inner = s["tasks/inner_fold"][:]
            mass, label = s["artifacts/scores/mass"][:], s["artifacts/scores/label"][:]
            for task in np.flatnonzero((injected == 0) & (fold == 0) & (inner == 0)):
                # The sample's tasks: 3 folds x 2 inner models, in order.
                rows = range(task, task + 6)
                scored = np.concatenate([mass[r, :count[r]] for r in rows if inner[r] == 0])
                expected = mjj[(mjj >= low[task]) & (mjj < high[task])].astype(np.float32)
                np.testing.assert_array_equal(np.sort(scored), np.sort(expected))
                self.assertEqual(label[task, :count[task]].sum(), 0)  # no injected signal

    def test_pseudo_datasets_give_each_seed_its_own_disjoint_data(self):
        # hunt.pseudo_datasets = 2: seed r scores the events i with i mod 2 = r of the window's
        # span, each once out of fold; together the two seeds score the whole span once.
        path = os.path.join(self.dir, "pseudo.ini")
        text = (job(self.data, self.signal).replace("hunt.injected_signal = 0, 500\n", "")
                .replace("hunt.window = 1, 2", "hunt.window = 1")
                .replace("[scan]", "pseudo_datasets = 2\n\n[scan]"))
        with open(path, "w") as f:
            f.write(text)
        store = os.path.join(self.dir, "pseudo.h5")
        run_cwola(1, "run", "--job", path, "--output", store, "--no-plots", check=0)
        with h5py.File(store, "r") as s, h5py.File(self.data, "r") as d:
            mjj = d["TABLE/mjj"][:]
            low, high = s["results/span_low"][0], s["results/span_high"][0]
            seed = s["results/injection_seed"][:]
            count, inner = s["artifacts/scores/rows"][:], s["tasks/inner_fold"][:]
            mass = s["artifacts/scores/mass"][:]
            index = np.arange(len(mjj))
            in_span = (mjj >= low) & (mjj < high)
            for r in (0, 1):
                rows = np.flatnonzero((seed == r) & (inner == 0))
                self.assertEqual(len(rows), 3)  # one per fold
                scored = np.concatenate([mass[row, :count[row]] for row in rows])
                expected = mjj[in_span & (index % 2 == r)].astype(np.float32)
                np.testing.assert_array_equal(np.sort(scored), np.sort(expected))
                n = (s["results/n_signal_region"][:] + s["results/n_low_sideband"][:]
                     + s["results/n_high_sideband"][:])[seed == r]
                self.assertTrue(np.all(n == len(expected)))

    def test_the_injected_signal_is_found_in_its_window_only(self):
        with h5py.File(self.fits[1], "r") as f:
            eff = f["efficiency"][:]
            window, injected = f["samples/window"][:], f["samples/injected"][:]
            z = f["selection/z_max"][:]
            eps_s = f["selection/signal_efficiency"][:]
        self.assertEqual(eff[0], 1.0)
        cut = list(eff).index(0.03)
        found = (window == 1) & (injected == 500)
        # The cut raises the significance above the inclusive fit's, in every seed.
        self.assertTrue(np.all(z[found, cut] > z[found, 0] + 1.0), (z[found, cut], z[found, 0]))
        self.assertTrue(np.all(z[found, cut] > 3.0), z[found, cut])
        self.assertTrue(np.all(eps_s[found, cut] > 0.2), eps_s[found, cut])
        # Nothing stands out without injection, or in the window beside the signal.
        quiet = (injected == 0) | (window == 2)
        self.assertTrue(np.all(np.abs(z[quiet][:, 1:]) < 3.0), z[quiet])
        self.assertIn("z_max", self.fit_log)

    def test_the_run_fits_right_after_training_as_cwola_hunt_does(self):
        # `cwola run` of a hunt job writes <store>_hunt.h5 with the job's [hunt] fit settings:
        # the same numbers as `cwola hunt` on the finished store.
        auto = self.stores[1][:-3] + "_hunt.h5"
        ran, redone = datasets(auto, "selection"), datasets(self.fits[1], "selection")
        self.assertEqual(sorted(ran), sorted(redone))
        for name in ran:
            if not name.endswith("failure"):
                np.testing.assert_array_equal(ran[name], redone[name], name)

    def test_a_fit_cut_short_is_redone_by_resume(self):
        # The select -> fit step runs after the last task; a kill during it leaves the training
        # store complete and at most a .partial fit file (the fit is written there and renamed).
        # --resume then trains nothing and redoes the fit: the same numbers.
        store = os.path.join(self.dir, "resumed.h5")
        shutil.copy(self.stores[1], store)
        auto = store[:-3] + "_hunt.h5"
        with open(auto + ".partial", "w") as f:
            f.write("cut short")
        done = run_cwola(1, "run", "--job", self.job, "--output", store, "--resume",
                         "--no-plots", check=0)
        self.assertIn("0 to run", done.stderr + done.stdout)
        self.assertTrue(os.path.exists(auto))
        self.assertFalse(os.path.exists(auto + ".partial"))
        redone, original = datasets(auto, "selection"), datasets(self.fits[1], "selection")
        self.assertEqual(sorted(redone), sorted(original))
        for name in redone:
            if not name.endswith("failure"):
                np.testing.assert_array_equal(redone[name], original[name], name)

    def test_limits_crossings_and_the_null_are_stored(self):
        with h5py.File(self.fits[1], "r") as f:
            eff = list(f["efficiency"][:])
            windows = list(f["windows/window"][:])
            limit = f["windows/limit_injected"][:]
            three = f["windows/crossing_3sigma"][:]
            z_mass = f["selection/z_at_signal_mass"][:]
            window, injected = f["samples/window"][:], f["samples/injected"][:]
            null_seed, null_z = f["null/seed"][:], f["null/z_max"][:]
        cut = eff.index(0.03)
        w1 = windows.index(1)
        # The signal window: 3 sigma is crossed between 0 and 500 injected events after the
        # cut, and the CMS-rule limit is a finite yield.
        self.assertTrue(0 < three[w1, cut] <= 500, three[w1])
        self.assertTrue(np.isfinite(limit[w1, cut]) and limit[w1, cut] > 0, limit[w1])
        self.assertTrue(np.all(z_mass[(window == 1) & (injected == 500), cut] > 3))
        # Window 2 does not hold 3.5 TeV: no significance at the signal mass there.
        self.assertTrue(np.all(np.isnan(z_mass[window == 2])))
        # The null: one row per seed, each the largest z over windows.
        self.assertEqual(sorted(null_seed), [0, 1])
        self.assertTrue(np.all(np.abs(null_z[:, 1:]) < 3), null_z)

    def test_the_plots_are_made_from_the_hunt_file(self):
        for kind in ("z_vs_window", "efficiency", "null", "spectra_w1_inj500"):
            path = os.path.join(self.dir, f"fit_1_{kind}.png")
            self.assertTrue(os.path.getsize(path) > 1000, path)

    def test_tables_in_tev_work_unchanged(self):
        # The LHCO R&D files give masses in TeV: the same table in TeV with mass_unit = TeV
        # selects the same events per region (features are standardised either way).
        tev = {}
        for name, path in (("data", self.data), ("signal", self.signal)):
            tev[name] = os.path.join(self.dir, f"{name}_tev.h5")
            with h5py.File(path, "r") as f, h5py.File(tev[name], "w") as g:
                for column, values in f["TABLE"].items():
                    scale = 1e-3 if column.startswith("m") or column == "delta_mj" else 1.0
                    g[f"TABLE/{column}"] = values[()] * scale
        path = os.path.join(self.dir, "tev.ini")
        with open(path, "w") as f:
            f.write(job(tev["data"], tev["signal"]).replace("[scan]", "mass_unit = TeV\n\n[scan]"))
        store = os.path.join(self.dir, "tev.h5")
        run_cwola(1, "run", "--job", path, "--output", store, "--no-plots", check=0)
        with h5py.File(store, "r") as a, h5py.File(self.stores[1], "r") as b:
            for column in ("n_signal_region", "n_low_sideband", "n_high_sideband",
                           "injected_in_signal_region", "signal_region_low"):
                np.testing.assert_array_equal(a[f"results/{column}"][:], b[f"results/{column}"][:],
                                              column)
            np.testing.assert_allclose(a["artifacts/scores/mass"][:], b["artifacts/scores/mass"][:], rtol=1e-6)

    def test_the_supervised_reference_trains_on_truth_in_the_signal_region(self):
        # hunt.labels = supervised: the same window and injection, trained on the signal
        # region's events with their truth labels. It sees no sideband, scores only the signal
        # region, learns (against its untrained null); `cwola hunt` refuses it.
        path = os.path.join(self.dir, "supervised.ini")
        text = (job(self.data, self.signal).replace("hunt.injected_signal = 0, 500\n", "")
                .replace("hunt.window = 1, 2", "hunt.window = 1")
                .replace("[scan]", "injected_signal = 500\nlabels = supervised\n\n[scan]")
                + "\n[metrics]\nuntrained_baseline = true\n")
        with open(path, "w") as f:
            f.write(text)
        store = os.path.join(self.dir, "supervised.h5")
        run_cwola(1, "run", "--job", path, "--output", store, "--no-plots", check=0)
        self.assertFalse(os.path.exists(store[:-3] + "_hunt.h5"), "no select → fit step")
        with h5py.File(store, "r") as s:
            self.assertTrue(np.all(s["results/n_low_sideband"][:] == 0))
            self.assertTrue(np.all(s["results/n_high_sideband"][:] == 0))
            low, high = s["results/signal_region_low"][0], s["results/signal_region_high"][0]
            count = s["artifacts/scores/rows"][:]
            for row in range(len(count)):
                mass = s["artifacts/scores/mass"][row, :count[row]]
                self.assertTrue(np.all((mass >= low) & (mass < high)), "scored outside the SR")
            # Learned, against its null (the same networks untrained). At this small size it
            # need not beat the hunt (fewer events: the signal region alone; docs/hunt.md).
            supervised_auc = s["results/auc"][:].mean()
            self.assertGreater(supervised_auc, 0.8)
            self.assertGreater(supervised_auc, s["results/untrained_auc"][:].mean() + 0.2)
        refused = run_cwola(1, "hunt", store, "--output", os.path.join(self.dir, "sup_fit.h5"),
                            check=2)
        self.assertIn("hunt.labels = supervised", refused.stderr)
        # Scanning the labels mixes a reference without fits into a hunt: refused.
        with open(path, "w") as f:
            f.write(text.replace("labels = supervised\n", "")
                    .replace("hunt.window = 1", "hunt.window = 1\nhunt.labels = cwola, supervised"))
        scanned = run_cwola(1, "run", "--job", path, "--output",
                            os.path.join(self.dir, "scanned.h5"), check=2)
        self.assertIn("hunt.labels", scanned.stderr)

    def test_a_supervised_stage_sits_beside_the_hunt_and_is_left_out_of_the_fit(self):
        # One job, three stages (a league job): the hunt (0 and 500 injected), the supervised
        # reference (500) and a second hunt (another network, 0 injected). The select -> fit
        # step fits the two hunts, each summarised on its own; the reference's tasks carry
        # supervised_reference = 1, learn, and are left out of the fit.
        text = (job(self.data, self.signal).replace("repeats = 2", "repeats = 1")
                .replace("hunt.window = 1, 2\nhunt.injected_signal = 0, 500\n", "")
                .replace("[scan]", "window = 1\n\n[stage.hunt]\n"
                         "scan.hunt.injected_signal = 0, 500\n\n[stage.reference]\n"
                         "hunt.labels = supervised\nhunt.injected_signal = 500\n\n"
                         "[stage.twin]\nhunt.injected_signal = 0\nmodel.hidden = 8, 8\n"))
        path = os.path.join(self.dir, "staged.ini")
        with open(path, "w") as f:
            f.write(text)
        store = os.path.join(self.dir, "staged.h5")
        run_cwola(1, "run", "--job", path, "--output", store, "--no-plots", check=0)
        with h5py.File(store, "r") as s:
            names = [n.decode() for n in s["stages/name"][:]]
            stage = s["tasks/stage"][:]
            point = s["tasks/point"][:]
            reference = stage == names.index("reference")
            flag = s["results/supervised_reference"][:]
            np.testing.assert_array_equal(flag, reference.astype(float))
            self.assertGreater(s["results/auc"][reference].mean(), 0.8)
            hunt_points = set(point[~reference].tolist())
        with h5py.File(store[:-3] + "_hunt.h5", "r") as f:
            self.assertEqual([n.decode() for n in f["meta/stages"][:]], names)
            fitted = f["samples/point"][:]
            self.assertEqual(sorted(fitted.tolist()), sorted(hunt_points))
            fitted_stage = f["samples/stage"][:]
            self.assertEqual(sorted(zip(fitted_stage.tolist(), f["samples/injected"][:].tolist())),
                             [(0, 0), (0, 500), (2, 0)])
            # Summaries and the null per (stage, window) and (stage, seed), never mixed.
            self.assertEqual(list(zip(f["windows/stage"][:], f["windows/window"][:])),
                             [(0, 1), (2, 1)])
            self.assertEqual(list(zip(f["null/stage"][:], f["null/seed"][:])), [(0, 0), (2, 0)])
        # Two hunt stages must share the select -> fit settings: refused otherwise.
        with open(path, "w") as f:
            f.write(text.replace("hunt.labels = supervised\n", "hunt.efficiencies = 0.2\n"))
        refused = run_cwola(1, "run", "--job", path, "--output",
                            os.path.join(self.dir, "two_fits.h5"), check=2)
        self.assertIn("hunt.efficiencies", refused.stderr)

    def test_a_draw_that_empties_a_class_fails_its_task_and_the_job_goes_on(self):
        # 8 injected W' (about 7 in the signal region) pass the up-front fold check, but some
        # seeds' validation blocks draw none of them: those tasks fail with the reason, the
        # others finish, and the run exits 4 (tasks failed), not 2.
        text = (job(self.data, self.signal).replace("repeats = 2", "repeats = 4")
                .replace("hunt.window = 1, 2\nhunt.injected_signal = 0, 500\n", "")
                .replace("inner_folds = 2", "inner_folds = 1")
                .replace("[scan]", "window = 1\ninjected_signal = 8\nlabels = supervised\n\n[scan]"))
        path = os.path.join(self.dir, "few.ini")
        with open(path, "w") as f:
            f.write(text)
        store = os.path.join(self.dir, "few.h5")
        result = run_cwola(1, "run", "--job", path, "--output", store, "--no-plots", check=4)
        self.assertIn("failed", result.stderr)
        with h5py.File(store, "r") as s:
            status = s["results/status"][:]
            reasons = [r.decode() if isinstance(r, bytes) else str(r)
                       for r in s["results/failure_reason"][:]]
        self.assertTrue(np.all((status == 1) | (status == 2)), status)
        self.assertGreater(np.sum(status == 2), 0)
        self.assertGreater(np.sum(status == 1), 0)
        for task in np.flatnonzero(status == 2):
            self.assertIn("training.folds", reasons[task])
            self.assertIn("events of training class 1", reasons[task])

    def test_bad_hunts_exit_2_naming_the_key(self):
        cases = [("edges = 2725, 4071, 3331, 4975", "hunt.edges"),
                 ("edges = 1000, 1100, 1200, 1300", "hunt.window"),
                 ("mass_column = m_jj", "hunt.data_file"),
                 ("injected_signal = 100000", "hunt.injected_signal"),
                 ("pseudo_datasets = 5000", "hunt.pseudo_datasets")]
        for setting, key in cases:
            path = os.path.join(self.dir, "bad.ini")
            text = (job(self.data, self.signal).replace("hunt.injected_signal = 0, 500\n", "")
                    .replace("hunt.window = 1, 2", "hunt.window = 1"))
            if setting.startswith("edges"):
                text = text.replace(f"edges = {EDGES}", setting)
            else:
                text = text.replace("[scan]", f"{setting}\n\n[scan]")
            with open(path, "w") as f:
                f.write(text)
            result = run_cwola(1, "run", "--job", path, "--output",
                               os.path.join(self.dir, "bad.h5"), check=2)
            self.assertIn(key, result.stderr, setting)
        result = run_cwola(1, "hunt", self.data, "--output", os.path.join(self.dir, "x.h5"),
                           check=2)
        self.assertIn(self.data, result.stderr)


if __name__ == "__main__":
    unittest.main()
