"""The bad-input corpus (tests/faults/bad_inputs/MANIFEST): every case must be refused
before any work with exit 2, one error line that names the file/key/value, no crash or
hang, and no file created, changed or deleted.

Data-driven: a case is a file in bad_inputs/ (or a store this driver makes and damages)
plus one manifest line; new readers add their bad files the same way.

Run by CTest (CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS) with Debian's python3:
    /usr/bin/python3 tests/faults/test_bad_inputs.py [-k NAME]"""
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "bad_inputs")
CWOLA = os.environ.get("CWOLA_BIN", "build/cwola")
MPIEXEC = os.environ.get("CWOLA_MPIEXEC", "mpiexec")
MPIEXEC_FLAGS = os.environ.get("CWOLA_MPIEXEC_FLAGS", "--oversubscribe").split()
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")
TIMEOUT = 60  # seconds; a case still running then is a hang
CRASH_SIGNS = ("Segmentation fault", "terminate called", "MPI_ABORT", "core dumped",
               "Aborted", "Traceback")


def cwola(ranks, args, timeout=TIMEOUT):
    base = [MPIEXEC, "-np", str(ranks), *MPIEXEC_FLAGS, CWOLA] if ranks > 1 else [CWOLA]
    return subprocess.run(base + args, env=ENV, capture_output=True, text=True, timeout=timeout)


# --- stores for the cases: made once from good.ini, then damaged --------------------------
def _truncate(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)


def _empty(path):
    open(path, "w").close()


def _no_hash(path):
    os.remove(path)
    with h5py.File(path, "w") as f:
        f["job/text"] = "not made by cwola"
        f["results/status"] = np.zeros(4, dtype=np.int8)


def _missing_dataset(path):
    with h5py.File(path, "r+") as f:
        del f["results/auc"]


def _wrong_rows(path):
    with h5py.File(path, "r+") as f:
        rows = f["results/auc"][()]
        del f["results/auc"]
        f["results/auc"] = rows[:-1]


def _bad_status(path):
    with h5py.File(path, "r+") as f:
        status = f["results/status"][()]
        status[1] = 7
        f["results/status"][...] = status


# recipe -> (base store, damage)
STORE_RECIPES = {
    "complete": ("good", None),
    "truncated": ("good", _truncate),
    "empty": ("good", _empty),
    "other_job": ("other", None),
    "no_hash": ("good", _no_hash),
    "missing_dataset": ("good", _missing_dataset),
    "wrong_rows": ("good", _wrong_rows),
    "bad_status": ("good", _bad_status),
}


# --- users' tables for the user_samples cases: made by h5py, as a user would ------------
def _small_table(path, labels=None):
    rng = np.random.default_rng(5)
    with h5py.File(path, "w") as f:
        n = 200 if labels is None else len(labels)
        f["events/x"] = rng.normal(size=n)
        f["events/y"] = rng.normal(size=n)
        if labels is not None:
            f["events/label"] = np.asarray(labels, dtype=np.float64)


def _huge_table(path):
    # Declared, never written: HDF5 allocates contiguous data late, so the file stays small.
    with h5py.File(path, "w") as f:
        for c in range(16):
            f.create_dataset(f"events/f{c}", shape=(2_000_000_000,), dtype="f4")


TABLE_RECIPES = {
    "small": _small_table,
    "labels_with_two": lambda path: _small_table(path, [0, 1] * 50 + [2] + [0, 1] * 49),
    "huge_rows": _huge_table,
}


def parse_manifest(path):
    cases = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [field.strip() for field in line.split("|")]
            if len(fields) != 4:
                raise ValueError(f"{path}:{number}: expected 4 '|'-separated fields: {line!r}")
            case, ranks, args, mentions = fields
            cases.append({
                "line": number, "case": case, "ranks": [int(r) for r in ranks.split(",")],
                "args": args.split(), "mentions": [m.strip() for m in mentions.split(";")
                                                   if m.strip()]})
    return cases


def snapshot(directory):
    """Every file under `directory` with its SHA-256 (to see creations, changes, deletions)."""
    files = {}
    for root, dirs, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO case: opening it would block
                files[os.path.relpath(path, directory)] = "special"
                continue
            with open(path, "rb") as f:
                files[os.path.relpath(path, directory)] = hashlib.sha256(f.read()).hexdigest()
        for name in dirs:
            files[os.path.relpath(os.path.join(root, name), directory) + "/"] = "dir"
    return files


def make_table(scratch, recipe):
    if recipe not in TABLE_RECIPES:
        raise AssertionError(f"unknown table recipe '{recipe}' (known: {sorted(TABLE_RECIPES)})")
    path = os.path.join(scratch, f"table_{recipe}.h5")
    if not os.path.exists(path):
        TABLE_RECIPES[recipe](path)
    return path


class BadInputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cwola_bad_")
        cls.bases = {}
        good = os.path.join(CORPUS, "good.ini")
        for name, extra in (("good", []), ("other", ["--set", "job.seed=778"])):
            path = os.path.join(cls.dir, f"{name}_base.h5")
            done = cwola(1, ["run", "--job", good, "--output", path, "--no-plots", "-q", *extra],
                         timeout=300)
            if done.returncode != 0:
                raise AssertionError(f"making the {name} store failed: {done.stderr}")
            cls.bases[name] = path
        cls.cases = parse_manifest(os.path.join(CORPUS, "MANIFEST"))
        cls.outcomes = []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        # The list of what happened, for the closing note of the issue.
        print("\nbad-input outcomes (line, ranks, case, exit, first error line):")
        for outcome in cls.outcomes:
            print("  " + outcome)

    def make_store(self, scratch, spec):
        recipe, _, tag = spec.partition("#")
        if recipe not in STORE_RECIPES:
            raise AssertionError(f"unknown store recipe '{recipe}' (known: {sorted(STORE_RECIPES)})")
        base, damage = STORE_RECIPES[recipe]
        path = os.path.join(scratch, f"{recipe}{'_' + tag if tag else ''}.h5")
        if not os.path.exists(path):
            shutil.copyfile(self.bases[base], path)
            if damage:
                damage(path)
        return path

    def prepare(self, case, scratch):
        """Copies or makes the case's files in `scratch`; returns the placeholder values."""
        values = {"scratch": scratch, "out": os.path.join(scratch, "out.h5"),
                  "good": os.path.join(scratch, "good.ini")}
        shutil.copyfile(os.path.join(CORPUS, "good.ini"), values["good"])
        name = case["case"]
        if name.startswith("store:"):
            values["case"] = self.make_store(scratch, name[len("store:"):])
        elif name.startswith("fifo:"):  # a named pipe: reading it would block forever
            values["case"] = os.path.join(scratch, name[len("fifo:"):])
            os.mkfifo(values["case"])
        elif name != "-":
            values["case"] = os.path.join(scratch, name)
            shutil.copyfile(os.path.join(CORPUS, name), values["case"])
        args = []
        for arg in case["args"]:
            for spec in re.findall(r"\{store:([^}]+)\}", arg):
                arg = arg.replace("{store:" + spec + "}", self.make_store(scratch, spec))
            for spec in re.findall(r"\{table:([^}]+)\}", arg):
                arg = arg.replace("{table:" + spec + "}", make_table(scratch, spec))
            args.append(arg.format(**values))
        mentions = [m.format(**values) if "{store:" not in m and "{table:" not in m else
                    re.sub(r"\{table:([^}]+)\}", lambda g: make_table(scratch, g.group(1)),
                           re.sub(r"\{store:([^}]+)\}",
                                  lambda g: self.make_store(scratch, g.group(1)), m))
                    for m in case["mentions"]]
        return args, mentions

    def check(self, case, ranks):
        """Runs one case; returns (problem or None, outcome line). Thread-safe."""
        scratch = tempfile.mkdtemp(dir=self.dir)
        args, mentions = self.prepare(case, scratch)
        before = snapshot(scratch)
        label = f"{case['line']:3d} np={ranks} {case['case']:36s}"
        try:
            done = cwola(ranks, args)
        except subprocess.TimeoutExpired:
            return f"hang: no exit within {TIMEOUT} s", f"{label} HANG"
        stderr = done.stderr
        errors = [line for line in stderr.splitlines() if "error:" in line]
        outcome = f"{label} exit {done.returncode}: " + (
            errors[0].split("error:", 1)[1].strip()[:150] if errors else "(no error line)")
        context = f"\ncommand: cwola {' '.join(args)}\nstdout:\n{done.stdout}\nstderr:\n{stderr}"
        for sign in CRASH_SIGNS:
            if sign in stderr + done.stdout:
                return f"crash ('{sign}')" + context, outcome
        if done.returncode != 2:
            return f"exit code {done.returncode}, expected 2" + context, outcome
        if len(errors) != 1:
            return f"{len(errors)} error lines, expected one" + context, outcome
        for mention in mentions:
            if mention not in errors[0]:
                return f"the message does not name '{mention}'" + context, outcome
        if snapshot(scratch) != before:
            return "files created, changed or deleted" + context, outcome
        return None, outcome

    def test_corpus(self):
        self.assertGreaterEqual(len([c for c in self.cases if c["case"].endswith(".ini")]), 25)
        # CWOLA_BAD_INPUT_CASES=a,b runs only the cases whose line contains a or b.
        only = [w for w in os.environ.get("CWOLA_BAD_INPUT_CASES", "").split(",") if w]
        runs = [(case, ranks) for case in self.cases for ranks in case["ranks"]
                if not only or any(w in case["case"] + " " + " ".join(case["args"]) for w in only)]
        self.assertTrue(runs, f"no case matches CWOLA_BAD_INPUT_CASES={only}")
        # Each case is mostly process start-up (MPI, LibTorch): run a few at once.
        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda run: self.check(*run), runs))
        for (case, ranks), (problem, outcome) in zip(runs, results):
            self.outcomes.append(outcome)
            with self.subTest(line=case["line"], case=case["case"], ranks=ranks):
                if problem:
                    self.fail(problem)

    def test_same_file_for_both_classes_is_warned(self):
        # Allowed (a null test), so a warning, not an error. It is given during validation:
        # a test file with a bad label stops the job right after it, with nothing run.
        scratch = tempfile.mkdtemp(dir=self.dir)
        job = os.path.join(scratch, "user_label_two.ini")
        shutil.copyfile(os.path.join(CORPUS, "user_label_two.ini"), job)
        same = make_table(scratch, "small")
        alias = os.path.join(scratch, "alias.h5")  # the same file under another name
        os.symlink(same, alias)
        for class0 in (same, alias):
            done = cwola(1, ["run", "--job", job, "--output", os.path.join(scratch, "out.h5"),
                             "--set", f"user.class1_file={same}", "--set",
                             f"user.class0_file={class0}", "--set",
                             f"user.test_file={make_table(scratch, 'labels_with_two')}"])
            self.assertEqual(done.returncode, 2, done.stderr)
            warnings = [line for line in done.stderr.splitlines() if "warning:" in line]
            self.assertEqual(len(warnings), 1, done.stderr)
            self.assertIn("user.class1_file and user.class0_file both read", warnings[0])
            self.assertIn(same, warnings[0])
        different = make_table(scratch, "labels_with_two")
        done = cwola(1, ["run", "--job", job, "--output", os.path.join(scratch, "out.h5"),
                         "--set", f"user.class1_file={same}", "--set",
                         f"user.class0_file={different}", "--set", f"user.test_file={different}"])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertNotIn("both read", done.stderr)  # different files: no warning
        self.assertFalse(os.path.exists(os.path.join(scratch, "out.h5")))

    @unittest.skipIf(os.geteuid() == 0, "root may write to a read-only directory")
    def test_unwritable_output_directory(self):
        scratch = tempfile.mkdtemp(dir=self.dir)
        locked = os.path.join(scratch, "locked")
        os.mkdir(locked, 0o555)
        done = cwola(1, ["run", "--job", os.path.join(CORPUS, "good.ini"), "--output",
                         os.path.join(locked, "s.h5")])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn(locked, done.stderr)
        self.assertEqual(os.listdir(locked), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
