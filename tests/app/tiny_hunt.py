"""Tiny LHCO-like data and hunt jobs on it, shared by the end-to-end tests of the hunt's
methods (test_hunt_cathode.py: cathode and idealised; test_hunt_vae_qr.py: vae_qr)."""
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cwola_driver import generate  # noqa: E402

# CMS set B above the trigger's turn-on; window 1 holds the 3.5 TeV W′.
EDGES = "2725, 3331, 4071, 4975, 6081"


def tiny_hunt_job(name, data, signal, method="", training="", sections=""):
    """A one-window hunt (window 1, no injection, 3 x 2 folds, one seed) whose [hunt] ends with
    `method` lines, [training] with `training` lines, followed by further `sections`."""
    return f"""
[job]
name = {name}
study = hunt
seed = 5
repeats = 1

[hunt]
data_file = {data}
signal_file = {signal}
table = /TABLE
edges = {EDGES}
window = 1
injected_signal = 0
signal_test_events = 200
signal_mass = 3500
{method}

[training]
folds = 3
inner_folds = 2
{training}

{sections}

[run]
threads = 1
progress_seconds = 0
"""


def text(attribute):
    """An HDF5 string attribute (scalar or list) as a list of str."""
    values = np.atleast_1d(attribute)
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def artifact_values(group):
    """An artifact's rows as [tasks, rows, columns] (one dataset per column in the store)."""
    return np.stack([group[c][:] for c in text(group.attrs["columns"])], axis=-1)


class TinyHuntCase:
    """Generates the tiny data once per class (600k QCD events on 2 ranks: ~1 k in the span,
    400 W′) into a directory of its own, removed afterwards. A mixin (so that unittest does not
    collect it alone): a test class derives from it and unittest.TestCase, and its setUpClass
    runs its method into cls.stores[1] (1 rank) and cls.stores[2]."""
    prefix = "cwola_tiny_hunt_"

    @classmethod
    def make_data(cls):
        cls.dir = tempfile.mkdtemp(prefix=cls.prefix)
        cls.data = os.path.join(cls.dir, "qcd.h5")
        cls.signal = os.path.join(cls.dir, "wprime.h5")
        generate(2, "lhco_qcd", cls.data, 600000, "generator.block_size=150000")
        generate(2, "lhco_wprime", cls.signal, 400)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write(cls, name, content):
        path = os.path.join(cls.dir, name)
        with open(path, "w") as f:
            f.write(content)
        return path

    def test_every_task_is_done(self):
        with h5py.File(self.stores[1], "r") as s:
            self.assertTrue(np.all(s["results/status"][:] == 1), s["results/failure_reason"][:])
