"""Split studies without SLURM: runs with --part i/n fill stores of their own (same job
hash), `cwola merge` joins them into a store equal to an unsplit run in every computed
column and in the summary; a merge with a part missing leaves its tasks pending (exit 3)
and `cwola run --resume` on the merged store finishes it. Run by CTest with Debian's python3."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import (ENV, assert_identical, computed_results, cwola_command,  # noqa: E402
                          gaussian_job)

JOB = gaussian_job("split", 8080, 3, "0.6, 0.8, 1.0")


def cwola(ranks, *args):
    return subprocess.run(cwola_command(ranks, *args), env=ENV, capture_output=True, text=True,
                          timeout=600)


def summary(path):
    with h5py.File(path, "r") as f:
        return {k: f["summary"][k][()] for k in f["summary"] if not k.startswith("wall_seconds")}


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_merge_")
        cls.job = os.path.join(cls.dir, "split.ini")
        with open(cls.job, "w") as f:
            f.write(JOB)
        cls.reference = os.path.join(cls.dir, "unsplit.h5")
        done = cwola(1, "run", "--job", cls.job, "--output", cls.reference, "--no-plots")
        assert done.returncode == 0, done.stderr
        cls.parts = []
        for i, ranks in ((1, 2), (2, 1), (3, 1)):
            path = os.path.join(cls.dir, f"split.part{i}of3.h5")
            done = cwola(ranks, "run", "--job", cls.job, "--output", path, "--no-plots",
                         "--part", f"{i}/3")
            assert done.returncode == 0, done.stderr
            assert f"(part {i}/3: 3), 3 to run" in done.stderr, done.stderr
            cls.parts.append(path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_parts_hold_only_their_tasks_and_share_the_hash(self):
        hashes = set()
        for i, part in enumerate(self.parts, 1):
            with h5py.File(part, "r") as f:
                status = f["results/status"][()]
                hashes.add(f["job/hash"][()])
                self.assertEqual(f["job/complete"][()], 1)  # its part is complete
            ids = np.arange(9)
            np.testing.assert_array_equal(status[ids % 3 == i - 1], 1)
            np.testing.assert_array_equal(status[ids % 3 != i - 1], 0)
        with h5py.File(self.reference, "r") as f:
            hashes.add(f["job/hash"][()])
        self.assertEqual(len(hashes), 1)

    def test_merged_store_equals_the_unsplit_run(self):
        merged = self.path("merged.h5")
        done = cwola(1, "merge", "--output", merged, "--no-plots", *self.parts)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("9 tasks, 9 done, 0 failed, 0 pending", done.stderr)
        assert_identical(self, computed_results(self.reference), computed_results(merged),
                         "merged vs unsplit")
        assert_identical(self, summary(self.reference), summary(merged), "summary")
        with h5py.File(merged, "r") as f, h5py.File(self.reference, "r") as g:
            self.assertEqual(f["job/complete"][()], 1)
            self.assertEqual(f["job/hash"][()], g["job/hash"][()])
            self.assertIn("part = 1/1", f["job/text"][()].decode())
        self.assertFalse(os.path.exists(merged + ".partial"))
        # Merging again needs --overwrite, and gives the same store.
        self.assertEqual(cwola(1, "merge", "--output", merged, *self.parts).returncode, 2)
        again = cwola(1, "merge", "--output", merged, "--overwrite", "--no-plots", *self.parts)
        self.assertEqual(again.returncode, 0, again.stderr)
        assert_identical(self, computed_results(self.reference), computed_results(merged),
                         "merged again")

    def test_missing_part_stays_pending_and_resume_finishes_it(self):
        merged = self.path("incomplete.h5")
        done = cwola(1, "merge", "--output", merged, "--no-plots", self.parts[0], self.parts[2])
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn("3 pending", done.stderr)
        with h5py.File(merged, "r") as f:
            status = f["results/status"][()]
            self.assertEqual(f["job/complete"][()], 0)
            auc = f["results/auc"][()]
        np.testing.assert_array_equal(status, [1, 0, 1] * 3)
        self.assertTrue(np.all(np.isnan(auc[status == 0])))
        resumed = cwola(2, "run", "--job", self.job, "--output", merged, "--resume", "--no-plots")
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertIn("3 to run", resumed.stderr)
        assert_identical(self, computed_results(self.reference), computed_results(merged),
                         "merged, resumed vs unsplit")
        assert_identical(self, summary(self.reference), summary(merged), "summary")

    def test_a_part_given_twice_is_counted_once(self):
        copy = self.path("copy_of_part1.h5")
        shutil.copyfile(self.parts[0], copy)
        merged = self.path("duplicates.h5")
        done = cwola(1, "merge", "--output", merged, "--no-plots", *self.parts, copy)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("3 task(s) were finished in more than one part", done.stderr)
        assert_identical(self, computed_results(self.reference), computed_results(merged),
                         "with a duplicate part")


if __name__ == "__main__":
    unittest.main(verbosity=2)
