"""`cwola assign --predict`: the attention network's predictions in SPANet's predict layout
(docs/attention.md), written by all ranks into one parallel HDF5 file: the file must be the
same on 1 and 2 ranks, hold the predicted events' inputs as read, valid assignments, and, with
the detection head trained, detection and marginal probabilities (none without it).

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import shutil
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import SOURCE, datasets, generate, run_cwola  # noqa: E402

SPEC = os.path.join(SOURCE, "inputs", "dihiggs_spanet.yaml")
EVENTS = 1200
TRAIN_FRACTION = 0.5  # 600 test events: two prediction blocks of 512, one per rank at 2 ranks


class Assign(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_assign_")
        cls.events = os.path.join(cls.dir, "hh.h5")
        generate(1, "dihiggs_signal_500", cls.events, EVENTS)
        cls.predictions = {}
        for ranks in (1, 2):
            path = os.path.join(cls.dir, f"predict_{ranks}.h5")
            run_cwola(ranks, "assign", "--spec", SPEC, "--data", cls.events, "--epochs", "1",
                      "--train-fraction", str(TRAIN_FRACTION), "--detection-loss-scale", "1",
                      "--predict", path, check=0)
            cls.predictions[ranks] = path
        # The default, lambda_d = 0: the detection head is untrained, so it is not written.
        cls.without_detection = os.path.join(cls.dir, "predict_no_detection.h5")
        run_cwola(1, "assign", "--spec", SPEC, "--data", cls.events, "--epochs", "1",
                  "--train-fraction", str(TRAIN_FRACTION), "--predict", cls.without_detection,
                  check=0)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_the_same_file_on_one_and_two_ranks(self):
        one, two = datasets(self.predictions[1]), datasets(self.predictions[2])
        self.assertEqual(sorted(one), sorted(two))
        for name in one:
            self.assertTrue(np.array_equal(one[name], two[name]), f"{name} differs")

    def test_the_predict_layout(self):
        out = datasets(self.predictions[1])
        first = int(TRAIN_FRACTION * EVENTS)
        with h5py.File(self.events, "r") as f:  # the predicted events' inputs, as read
            for feature in ("pt", "eta", "phi", "mass", "btag"):
                np.testing.assert_array_equal(out[f"INPUTS/Source/{feature}"],
                                              f[f"INPUTS/Source/{feature}"][first:], feature)
            mask = f["INPUTS/Source/MASK"][first:].astype(bool)
        np.testing.assert_array_equal(out["INPUTS/Source/MASK"].astype(bool), mask)
        jets = mask.sum(axis=1)
        for particle in ("h1", "h2"):
            b1, b2 = out[f"TARGETS/{particle}/b1"], out[f"TARGETS/{particle}/b2"]
            self.assertEqual(len(b1), EVENTS - first)
            self.assertTrue(np.all((b1 >= 0) & (b1 < jets) & (b2 >= 0) & (b2 < jets)))
            self.assertTrue(np.all(b1 != b2))
            probability = out[f"TARGETS/{particle}/assignment_probability"]
            self.assertTrue(np.all((probability > 0) & (probability <= 1)))
        # Greedy, non-conflicting decoding: the two Higgs bosons never share a jet.
        h1 = np.stack([out["TARGETS/h1/b1"], out["TARGETS/h1/b2"]], axis=1)
        h2 = np.stack([out["TARGETS/h2/b1"], out["TARGETS/h2/b2"]], axis=1)
        shared = (h1[:, :, None] == h2[:, None, :]).any(axis=(1, 2))
        self.assertFalse(shared.any())

    def test_detection_and_marginal_probabilities(self):
        out = datasets(self.predictions[1])
        for particle in ("h1", "h2"):
            detection = out[f"TARGETS/{particle}/detection_probability"]
            assignment = out[f"TARGETS/{particle}/assignment_probability"]
            self.assertEqual(detection.dtype, np.float32)
            self.assertTrue(np.all((detection > 0) & (detection < 1)))
            self.assertGreater(np.ptp(detection), 0)  # per event, not one constant
            # SPANet's marginal probability: detection times assignment probability.
            np.testing.assert_array_equal(out[f"TARGETS/{particle}/marginal_probability"],
                                          detection * assignment)
        plain = datasets(self.without_detection)
        self.assertFalse(any(name.endswith(("detection_probability", "marginal_probability"))
                             for name in plain))
        self.assertIn("TARGETS/h1/assignment_probability", plain)


if __name__ == "__main__":
    unittest.main(verbosity=2)
