"""`cwola generate` for the dijet processes under mpiexec: the LHCO R&D-like files (table only)
and the hidden-valley files (constituents) are identical on 1 and 2 ranks; the table has the
documented columns; bad cards exit 2 naming the key.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SOURCE_DIR)."""
import os
import shutil
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import datasets, run_cwola  # noqa: E402

SOURCE = os.environ.get("CWOLA_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLUMNS = ["mjj", "mj1", "mj2", "delta_mj", "ptj1", "etaj1", "ptj2", "etaj2",
           "tau1j1", "tau2j1", "tau3j1", "tau21j1", "tau32j1", "nconstj1",
           "tau1j2", "tau2j2", "tau3j2", "tau21j2", "tau32j2", "nconstj2", "label"]
# Small sizes: 3 blocks, so 2 ranks split them unevenly.
SIZES = {"lhco_qcd": ["generator.events=150000", "generator.block_size=50000"],
         "lhco_wprime": ["generator.events=90", "generator.block_size=30"],
         "hidden_valley": ["generator.events=90", "generator.block_size=30"]}


def card(name):
    return os.path.join(SOURCE, "inputs", f"{name}.card")


class Generate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_generate_")
        cls.files = {}
        for name in SIZES:
            for ranks in (1, 2):
                path = os.path.join(cls.dir, f"{name}_{ranks}.h5")
                settings = [a for s in SIZES[name] for a in ("--set", s)]
                run_cwola(ranks, "generate", "--card", card(name), "--output", path, *settings,
                          check=0)
                cls.files[name, ranks] = path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_the_same_file_on_one_and_two_ranks(self):
        for name in SIZES:
            one, two = datasets(self.files[name, 1]), datasets(self.files[name, 2])
            self.assertEqual(sorted(one), sorted(two), name)
            for dataset in one:
                self.assertTrue(np.array_equal(one[dataset], two[dataset]),
                                f"{name}: {dataset} differs")

    def test_lhco_files_hold_the_table_only(self):
        for name, label in (("lhco_qcd", 0), ("lhco_wprime", 1)):
            with h5py.File(self.files[name, 2], "r") as f:
                self.assertEqual(sorted(f["TABLE"]), sorted(COLUMNS))
                self.assertNotIn("J1", f)  # no constituents unless asked
                mjj = f["TABLE/mjj"][:]
                self.assertGreater(len(mjj), 20, name)
                np.testing.assert_allclose(mjj, f["EVENT/mjj"][:], rtol=1e-6)
                self.assertTrue(np.all(f["TABLE/label"][:] == label))
                self.assertTrue(np.all(f["TABLE/delta_mj"][:] >= 0))
                self.assertTrue(np.all(np.maximum(f["TABLE/ptj1"][:], f["TABLE/ptj2"][:]) > 1200))
                steps = [s.decode() for s in f["CUTFLOW/step"][:]]
                self.assertIn("leading_pt>1200", steps)
                self.assertEqual(int(f["CUTFLOW/count"][steps.index("stored_window")]), len(mjj))

    def test_hidden_valley_files_keep_their_constituents(self):
        with h5py.File(self.files["hidden_valley", 1], "r") as f:
            self.assertIn("J1", f)
            self.assertNotIn("TABLE", f)

    def test_bad_cards_exit_2_naming_the_key(self):
        out = os.path.join(self.dir, "bad.h5")
        for setting, key in (("wprime.x_mass=-5", "wprime.x_mass"),
                             ("wprime.x_mass=1700", "x_mass"),
                             ("selection.leading_min_pt=-1", "selection.leading_min_pt"),
                             ("wprime.colour=3", "wprime.colour")):
            result = run_cwola(1, "generate", "--card", card("lhco_wprime"), "--output", out,
                               "--set", setting, check=2)
            self.assertIn(key, result.stderr, setting)
            self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
