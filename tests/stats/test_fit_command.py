"""End-to-end tests of `cwola fit`: toys identical on 1 and 2 ranks, --toys-this-run
then --resume equal to one uninterrupted run, a killed run resumed to the same toys,
and bad input rejected with exit 2 naming file, row and value.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS, CWOLA_SPECTRA) with
Debian's python3 (h5py, numpy)."""
import os
import signal
import subprocess
import tempfile
import time
import unittest

# Read the output while the job writes it: HDF5's own file lock would refuse the open.
os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
import h5py  # noqa: E402
import numpy as np

CWOLA = os.environ.get("CWOLA_BIN", "build/cwola")
MPIEXEC = os.environ.get("CWOLA_MPIEXEC", "mpiexec")
MPIEXEC_FLAGS = os.environ.get("CWOLA_MPIEXEC_FLAGS", "--oversubscribe").split()
SPECTRA = os.environ.get("CWOLA_SPECTRA", "../shared/data/spectra")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")
DIJET = os.path.join(SPECTRA, "cms_dijet_mass_13TeV_137fb.csv")
# Small but real: the CMS dijet spectrum, 3 parameters, 9 masses, Gaussian 5 %.
FIT = ["fit", "--csv", DIJET, "--counts", "scale", "--scale", "137", "--params", "3",
       "--masses", "2000:6000:9", "--alternative", "none", "--no-plots", "--seed", "17"]
TOY_DATASETS = ["/toys/z_max", "/toys/arg_max", "/toys/z_scan", "/toys/status"]


def run(args, ranks=1, **kwargs):
    # One rank runs as an MPI singleton (no mpiexec start-up); two under mpiexec.
    command = [MPIEXEC, "-np", str(ranks), *MPIEXEC_FLAGS, CWOLA, *args] if ranks > 1 else [CWOLA, *args]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, **kwargs)


def read(path, names):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in names}


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


class FitCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.reference = os.path.join(cls.tmp.name, "np1.h5")
        result = run([*FIT, "--toys", "40", "--output", cls.reference])
        assert result.returncode == 0, result.stderr
        cls.reference_toys = read(cls.reference, TOY_DATASETS + ["/global/value"])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_toys_identical_on_two_ranks(self):
        out = os.path.join(self.tmp.name, "np2.h5")
        result = run([*FIT, "--toys", "40", "--output", out], ranks=2)
        self.assertEqual(result.returncode, 0, result.stderr)
        two = read(out, TOY_DATASETS + ["/global/value"])
        for name, values in self.reference_toys.items():
            self.assertTrue(same(values, two[name]), name)
        self.assertTrue(np.all(two["/toys/status"] == 1))
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["/meta/complete"][0]), 1)
            # The observed scan and limits are there and finite.
            self.assertTrue(np.all(np.isfinite(f["/scan/z_signed"][()])))
            self.assertTrue(np.all(np.isfinite(f["/limits/observed"][()])))

    def test_partial_run_then_resume_on_two_ranks(self):
        out = os.path.join(self.tmp.name, "partial.h5")
        first = run([*FIT, "--no-limits", "--toys", "40", "--toys-this-run", "13", "--output", out])
        self.assertEqual(first.returncode, 3, first.stderr)  # toys left: exit 3
        with h5py.File(out, "r") as f:
            self.assertEqual(int(f["/meta/complete"][0]), 0)
            self.assertEqual(int(np.sum(f["/toys/status"][()] != 0)), 13)
        second = run([*FIT, "--no-limits", "--toys", "40", "--resume", "--output", out], ranks=2)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("13 of 40 done before, running 27", second.stderr)
        resumed = read(out, TOY_DATASETS + ["/global/value"])
        for name, values in self.reference_toys.items():
            self.assertTrue(same(values, resumed[name]), name)

    def test_killed_run_resumes_to_the_same_toys(self):
        out = os.path.join(self.tmp.name, "killed.h5")
        reference = os.path.join(self.tmp.name, "long.h5")
        args = [*FIT, "--no-limits", "--toys", "600"]
        process = subprocess.Popen([MPIEXEC, "-np", "2", *MPIEXEC_FLAGS, CWOLA, *args, "--output", out],
                                   env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        # Kill (SIGKILL, no clean-up) once some toys are flagged done.
        deadline = time.time() + 60
        while time.time() < deadline:
            time.sleep(0.05)
            try:
                with h5py.File(out, "r") as f:
                    if np.sum(f["/toys/status"][()] != 0) >= 16:
                        break
            except (OSError, KeyError):
                pass
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        with h5py.File(out, "r") as f:
            done_before = int(np.sum(f["/toys/status"][()] != 0))
        self.assertGreater(done_before, 0)
        self.assertLess(done_before, 600, "the run finished before the kill; raise --toys")
        resumed = run([*args, "--resume", "--output", out], ranks=2)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        straight = run([*args, "--output", reference])
        self.assertEqual(straight.returncode, 0, straight.stderr)
        a = read(out, TOY_DATASETS)
        b = read(reference, TOY_DATASETS)
        for name in TOY_DATASETS:
            self.assertTrue(same(a[name], b[name]), name)

    def test_bad_input_exit_2(self):
        tmp = self.tmp.name
        cases = []
        missing = os.path.join(tmp, "missing.csv")
        with open(missing, "w") as f:
            f.write("mass_center,value,err_up,bin_width\n1000,5,1,100\n")
        cases.append((["--csv", missing], [missing + ":1", "err_down"]))
        negative = os.path.join(tmp, "negative.csv")
        with open(negative, "w") as f:
            f.write("mass_center,value,err_up,err_down,bin_width\n")
            for i, v in enumerate([50, 40, -3, 20, 10, 5]):
                f.write(f"{1050 + 100 * i},{v},1,1,100\n")
        cases.append((["--csv", negative], [negative + ":4", "-3"]))
        few = os.path.join(tmp, "few.csv")
        with open(few, "w") as f:
            f.write("mass_center,value,err_up,err_down,bin_width\n1050,50,1,1,100\n1150,30,1,1,100\n"
                    "1250,20,1,1,100\n")
        cases.append((["--csv", few, "--params", "4"], ["bins", "3", "fewer bins than"]))
        edges = os.path.join(tmp, "edges.h5")
        with h5py.File(edges, "w") as f:
            f["edges"] = np.array([1000.0, 1100.0, 1100.0, 1300.0])
            f["counts"] = np.array([10.0, 5.0, 2.0])
        cases.append((["--histogram", edges], [edges, "edges[2]", "1.1e+03"]))
        nan = os.path.join(tmp, "nan.h5")
        with h5py.File(nan, "w") as f:
            f["edges"] = np.linspace(1000.0, 2000.0, 11)
            f["counts"] = np.array([10, 9, 8, np.nan, 6, 5, 4, 3, 2, 1.0])
        cases.append((["--histogram", nan], [nan, "counts[3]", "nan"]))
        for args, expected in cases:
            out = os.path.join(tmp, "bad.h5")
            result = run(["fit", *args, "--output", out, "--no-plots"])
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            for text in expected:
                self.assertIn(text, result.stderr, args)
            self.assertFalse(os.path.exists(out), "nothing is written for rejected input")

    def test_event_table_with_selection(self):
        tmp = self.tmp.name
        table = os.path.join(tmp, "events.h5")
        rng = np.random.default_rng(5)
        mass = 1500.0 + rng.exponential(400.0, 20000)
        tag = rng.uniform(0, 1, 20000)
        with h5py.File(table, "w") as f:
            f["mjj"] = mass
            f["score"] = tag
        out = os.path.join(tmp, "events_fit.h5")
        result = run(["fit", "--events", table, "--mass-column", "mjj", "--select", "score:0.5:1.01",
                      "--binning", "1500:4000:25", "--alternative", "none", "--no-limits",
                      "--no-plots", "--output", out])
        self.assertEqual(result.returncode, 0, result.stderr)
        with h5py.File(out, "r") as f:
            counts = f["/spectrum/counts"][()]
        inside = (mass >= 1500) & (mass < 4000) & (tag >= 0.5)
        self.assertEqual(int(counts.sum()), int(inside.sum()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
