"""Helpers shared by the fault tests: how to start cwola, kill process trees, and compare
what stores computed."""
import os
import subprocess

import h5py
import numpy as np

CWOLA = os.environ.get("CWOLA_BIN", "build/cwola")
MPIEXEC = os.environ.get("CWOLA_MPIEXEC", "mpiexec")
MPIEXEC_FLAGS = os.environ.get("CWOLA_MPIEXEC_FLAGS", "--oversubscribe").split()
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")

# Columns that describe where and how fast a task ran, not what it computed.
RUN_DEPENDENT = {"wall_seconds", "rank", "device"}


def cwola_command(ranks, *args):
    base = [MPIEXEC, "-np", str(ranks), *MPIEXEC_FLAGS, CWOLA] if ranks > 1 else [CWOLA]
    return base + list(args)


def process_tree(pid):
    """pid and all its descendants (Open MPI starts ranks in process groups of their own)."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                              text=True).stdout.split()
    tree = [pid]
    for child in children:
        tree += process_tree(int(child))
    return tree


def computed_results(path, groups=("results", "curves", "tasks")):
    """Everything the tasks computed, keyed by dataset."""
    with h5py.File(path, "r") as f:
        out = {}
        for group in groups:
            for name, dataset in f[group].items():
                if name in RUN_DEPENDENT or name.startswith("wall_seconds"):
                    continue
                out[f"{group}/{name}"] = dataset[()]
        return out


def assert_identical(test, a, b, what):
    test.assertEqual(sorted(a), sorted(b), what)
    for key in a:
        if a[key].dtype.kind == "f":
            same = np.array_equal(a[key], b[key], equal_nan=True)
        else:
            same = np.array_equal(a[key], b[key])
        test.assertTrue(same, f"{what}: {key} differs\n{a[key]}\n{b[key]}")
