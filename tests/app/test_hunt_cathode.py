"""CATHODE as a method of the hunt (hunt.method = cathode, docs/cathode.md) end to end on tiny
LHCO-like data: per task a flow on the training part's sidebands, samples in the signal region,
a classifier of signal-region data against them, the held-out fold scored into /artifacts/scores.
Checks: identical results, scores, stored samples and stored models (the classifier and the flow,
job.models = all) on 1 and 2 ranks; the flow's settings and scaling buffers in the store,
`cwola inspect` listing it, and no models at all with the default job.models = read; every data
event of the
window scored once, out of fold; the artifact /artifacts/cathode_samples with its provenance,
hunt.cathode_oversampling x the task's signal-region training events, sampled m_jj inside the
signal region; jobs without hunt.method keep their effective config; bad jobs exit 2 naming
the key.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import json
import os
import sys
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (assert_identical, computed_results, datasets, generate,  # noqa: E402
                          run_cwola)
from tiny_hunt import TinyHuntCase, artifact_values, text, tiny_hunt_job  # noqa: E402

OVERSAMPLING = 3


def job(data, signal, method="method = cathode", training=""):
    return tiny_hunt_job("hunt_cathode_test", data, signal, method,
                         "max_epochs = 4\npatience = 2\n" + training, "[model]\nhidden = 8, 8\n")


CATHODE = f"""method = cathode
cathode_oversampling = {OVERSAMPLING}

[cathode]
blocks = 2
hidden = 8
epochs = 3
patience = 2
"""


class HuntCathode(TinyHuntCase, unittest.TestCase):
    prefix = "cwola_cathode_"

    @classmethod
    def setUpClass(cls):
        cls.make_data()
        cls.job = cls.write("cathode.ini", job(cls.data, cls.signal, CATHODE))
        # 1 and 2 ranks keeping every model (the flows too); a 2-rank run keeping only the
        # models a later stage reads (none: the default).
        cls.stores = {}
        for ranks in (1, 2):
            cls.stores[ranks] = os.path.join(cls.dir, f"cathode_{ranks}.h5")
            run_cwola(ranks, "run", "--job", cls.job, "--output", cls.stores[ranks], "--no-plots",
                      "--set", "job.models=all", check=0)
        cls.stores["read"] = os.path.join(cls.dir, "cathode_read.h5")
        run_cwola(2, "run", "--job", cls.job, "--output", cls.stores["read"], "--no-plots",
                  check=0)

    def test_one_and_two_ranks_agree(self):
        assert_identical(self, computed_results(self.stores[1]), computed_results(self.stores[2]),
                         "results")
        for group, names in (("artifacts/scores", ("score", "mass", "label")),
                             ("artifacts/cathode_samples", ("mj1", "mjj", "rows", "seed")),
                             ("models/main", None)):
            one, two = datasets(self.stores[1], group), datasets(self.stores[2], group)
            self.assertEqual(sorted(one), sorted(two), group)
            for name in names or one:
                np.testing.assert_array_equal(one[name], two[name], f"{group}/{name}")

    def test_the_flows_are_stored_models_next_to_the_classifier(self):
        with h5py.File(self.stores[1], "r") as s:
            main = s["models/main"]
            self.assertEqual(text(main.attrs["models"]), ["flow"])
            self.assertEqual(main["hidden0.weight"].shape, (6, 8, 4))  # the classifier
            flow = main["flow"]
            settings = dict(zip(text(flow.attrs["settings"]),
                                (text(flow.attrs[k])[0] for k in text(flow.attrs["settings"]))))
            self.assertEqual({k: settings[k] for k in ("features", "context", "blocks", "hidden",
                                                       "hidden_layers")},
                             {"features": "4", "context": "1", "blocks": "2", "hidden": "8",
                              "hidden_layers": "2"})
            self.assertEqual(settings["feature_columns"], "mj1,delta_mj,tau21j1,tau21j2")
            self.assertEqual(float(settings["logit_margin"]), 0.05)
            tensors = text(flow.attrs["tensors"])
            for buffer in ("feature_min", "feature_max", "logit_mean", "logit_std",
                           "context_mean", "context_std"):
                self.assertIn(buffer, tensors)
            self.assertEqual(flow["block0.input.weight"].shape[0], 6)  # a row per task
            epochs, best = flow["epochs"][:], flow["best_epoch"][:]
            self.assertTrue(np.all((epochs >= 1) & (epochs <= 3)), epochs)
            self.assertTrue(np.all((best >= 0) & (best < epochs)), best)
            # The scaling buffers are each task's own sideband ranges (masses in GeV): the
            # tasks train on different parts, so the rows differ, and every range is sane.
            low, high = flow["feature_min"][:], flow["feature_max"][:]
            self.assertTrue(np.all(low < high))
            self.assertGreater(len({tuple(r) for r in low}), 1)
            self.assertTrue(np.all((flow["context_mean"][:] > 2000) &
                                   (flow["context_mean"][:] < 6000)))
            self.assertTrue(np.all(flow["logit_std"][:] > 0))

    def test_inspect_lists_the_flows(self):
        table = run_cwola(0, "inspect", self.stores[1], check=0).stdout
        self.assertIn("model 'flow' of stage main: 6 x conditional MAF", table)
        self.assertIn("/models/main/flow/feature_min [6, 4]", table)
        info = json.loads(run_cwola(0, "inspect", self.stores[1], "--json", check=0).stdout)
        named = info["stages"][0]["named_models"]
        self.assertEqual([m["name"] for m in named], ["flow"])
        self.assertEqual(named[0]["settings"]["blocks"], "2")
        self.assertIn("/models/main/flow/logit_std",
                      [t["dataset"] for t in named[0]["tensors"]])

    def test_keeping_only_read_models_stores_no_flow_and_the_same_results(self):
        with h5py.File(self.stores["read"], "r") as s:
            self.assertNotIn("models", s)
        groups = ("results", "curves")
        assert_identical(self, computed_results(self.stores["read"], groups),
                         computed_results(self.stores[2], groups), "results")

    def test_every_window_event_is_scored_once_out_of_fold(self):
        with h5py.File(self.stores[1], "r") as s, h5py.File(self.data, "r") as d:
            mjj = d["TABLE/mjj"][:]
            low, high = s["results/span_low"][0], s["results/span_high"][0]
            count, inner = s["artifacts/scores/rows"][:], s["tasks/inner_fold"][:]
            mass = s["artifacts/scores/mass"][:]
            self.assertEqual(len(count), 6)  # 3 folds x 2 inner models
            scored = np.concatenate([mass[r, :count[r]] for r in range(6) if inner[r] == 0])
            expected = mjj[(mjj >= low) & (mjj < high)].astype(np.float32)
            np.testing.assert_array_equal(np.sort(scored), np.sort(expected))
            self.assertTrue(np.all(np.isfinite(s["artifacts/scores/score"][0, :count[0]])))

    def test_the_idealised_detector_scores_each_window_event_once_alike_on_1_and_2_ranks(self):
        # hunt.method = idealised: the signal region's data against simulated background of the
        # signal region from another generation (seed) of the same card. Same tasks and folds
        # as cathode: every window event scored once out of fold; 1 rank = 2 ranks; no flow.
        template = os.path.join(self.dir, "qcd_template.h5")
        generate(2, "lhco_qcd", template, 1200000, "generator.block_size=150000",
                 "generator.seed=7")
        method = (f"method = idealised\ntemplate_file = {template}\n"
                  "template_oversampling = 1\n")
        ideal = self.write("idealised.ini", job(self.data, self.signal, method))
        stores = {}
        for ranks in (1, 2):
            stores[ranks] = os.path.join(self.dir, f"idealised_{ranks}.h5")
            run_cwola(ranks, "run", "--job", ideal, "--output", stores[ranks], "--no-plots",
                      check=0)
        assert_identical(self, computed_results(stores[1]), computed_results(stores[2]),
                         "idealised")
        with h5py.File(stores[1], "r") as s, h5py.File(self.data, "r") as d:
            self.assertTrue(np.all(s["results/status"][:] == 1))
            self.assertNotIn("cathode_samples", s.get("artifacts", {}))
            mjj = d["TABLE/mjj"][:]
            low, high = s["results/span_low"][0], s["results/span_high"][0]
            count, inner = s["artifacts/scores/rows"][:], s["tasks/inner_fold"][:]
            mass = s["artifacts/scores/mass"][:]
            scored = np.concatenate([mass[r, :count[r]] for r in range(6) if inner[r] == 0])
            expected = mjj[(mjj >= low) & (mjj < high)].astype(np.float32)
            np.testing.assert_array_equal(np.sort(scored), np.sort(expected))
        bad = {
            "template_file": ("method = idealised\n", "hunt.template_file"),
            "oversampling": (method.replace("template_oversampling = 1",
                                            "template_oversampling = 1000"),
                             "hunt.template_oversampling"),
        }
        for name, (text_, key) in bad.items():
            path = self.write(f"bad_{name}.ini", job(self.data, self.signal, text_))
            done = run_cwola(1, "run", "--job", path, "--output",
                             os.path.join(self.dir, f"bad_{name}.h5"), "--no-plots", check=2)
            self.assertIn(key, done.stderr, name)
        supervised = self.write("bad_supervised.ini",
                                job(self.data, self.signal, method + "labels = supervised\n"))
        done = run_cwola(1, "run", "--job", supervised, "--output",
                         os.path.join(self.dir, "bad_sup.h5"), "--no-plots", check=2)
        self.assertIn("hunt.method", done.stderr)

    def test_the_samples_are_stored_with_provenance_and_the_right_rows(self):
        with h5py.File(self.stores[1], "r") as s:
            a = s["artifacts/cathode_samples"]
            self.assertEqual(text(a.attrs["stage"]), ["main"])
            self.assertEqual(text(a.attrs["seed_purpose"]), ["kFlowSample"])
            columns = text(a.attrs["columns"])
            self.assertEqual(columns, ["mj1", "delta_mj", "tau21j1", "tau21j2", "mjj"])
            sr_low, sr_high = s["results/signal_region_low"][:], s["results/signal_region_high"][:]
            n_sr = s["results/n_signal_region"][:]
            count, mass = s["artifacts/scores/rows"][:], s["artifacts/scores/mass"][:]
            rows = a["rows"][:]
            values = artifact_values(a)  # [task, row, column]
            with h5py.File(self.data, "r") as d:
                mjj = d["TABLE/mjj"][:]
                sidebands = (((mjj >= s["results/span_low"][0]) & (mjj < sr_low[0])) |
                             ((mjj >= sr_high[0]) & (mjj < s["results/span_high"][0])))
                ranges = [(d[f"TABLE/{c}"][:][sidebands].min(), d[f"TABLE/{c}"][:][sidebands].max())
                          for c in columns[:4]]
            self.assertTrue(np.all(a["written"][:] == 1))
            self.assertEqual(len(set(a["seed"][:].tolist())), len(rows))  # a stream per task
            for t in range(len(rows)):
                held = mass[t, :count[t]]
                held_in_sr = np.sum((held >= sr_low[t]) & (held < sr_high[t]))
                # The training part and validation block's signal-region events, oversampled;
                # equalise_fold_parts drops a few events so that every model of a sample trains
                # on as many (at most one per fold and class here).
                self.assertEqual(rows[t] % OVERSAMPLING, 0)
                dropped = (n_sr[t] - held_in_sr) - rows[t] // OVERSAMPLING
                self.assertTrue(0 <= dropped <= 3, (t, rows[t], n_sr[t], held_in_sr))
                sample = values[t, :rows[t]]
                self.assertTrue(np.all(np.isfinite(sample)), t)
                self.assertTrue(np.all(np.isnan(values[t, rows[t]:])), t)
                self.assertTrue(np.all((sample[:, 4] >= sr_low[t]) & (sample[:, 4] <= sr_high[t])),
                                (t, sample[:, 4].min(), sample[:, 4].max(), sr_low[t], sr_high[t]))
                # The flow's features stay inside the sidebands' range widened by the flow's
                # margin (5 % a side; the task trained on a subset, whose range is narrower).
                for c, (lo, hi) in enumerate(ranges):
                    margin = 0.05 * (hi - lo) * 1.001
                    self.assertTrue(np.all((sample[:, c] >= lo - margin) &
                                           (sample[:, c] <= hi + margin)),
                                    (t, c, sample[:, c].min(), sample[:, c].max(), lo, hi))

    def test_a_job_without_method_keeps_its_effective_config(self):
        plain = self.write("plain.ini", job(self.data, self.signal, method=""))
        dumped = run_cwola(0, "run", "--job", plain, "--output", os.path.join(self.dir, "p.h5"),
                           "--dump-config", check=0).stdout
        keys = [line.split("=")[0].strip() for line in dumped.splitlines()]
        self.assertNotIn("method", keys)
        self.assertNotIn("cathode_oversampling", keys)
        self.assertNotIn("[cathode]", keys)
        self.assertIn("cwola_hunting", dumped)

    def test_bad_cathode_jobs_exit_2_naming_the_key(self):
        cases = [("method = anode", "", "hunt.method"),
                 ("method = cathode\nlabels = supervised", "", "hunt.method"),
                 ("method = cathode\ncathode_oversampling = 0", "", "hunt.cathode_oversampling"),
                 ("method = cathode", "balance = cwola_hunting", "training.balance"),
                 ("method = cathode\n[cathode]\nepochs = 0", "", "cathode.epochs")]
        for i, (method, training, key) in enumerate(cases):
            bad = self.write(f"bad{i}.ini", job(self.data, self.signal, method, training))
            done = run_cwola(0, "run", "--job", bad, "--output",
                             os.path.join(self.dir, f"bad{i}.h5"), check=2)
            self.assertIn(key, done.stderr, method)


if __name__ == "__main__":
    unittest.main()
