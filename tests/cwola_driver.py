"""What every Python test of the cwola executable shares: how to start it (1 or N ranks),
how to kill a job the way a dead node does and wait until it is really gone, and how to
compare what two stores computed. CTest sets CWOLA_BIN, CWOLA_MPIEXEC, CWOLA_MPIEXEC_FLAGS."""
import os
import signal
import subprocess
import time

import h5py
import numpy as np

CWOLA = os.environ.get("CWOLA_BIN", "build/cwola")
MPIEXEC = os.environ.get("CWOLA_MPIEXEC", "mpiexec")
MPIEXEC_FLAGS = os.environ.get("CWOLA_MPIEXEC_FLAGS", "--oversubscribe").split()
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", HDF5_USE_FILE_LOCKING="FALSE")

# Columns that describe where and how fast a task ran, not what it computed.
RUN_DEPENDENT = {"wall_seconds", "rank", "device"}


def gaussian_job(name, seed, repeats, f1, dimensions=3, signal_mean=0.6, events=1500,
                 test_events=1000, training="max_epochs = 5", metrics="",
                 run="threads = 1\nprogress_seconds = 0"):
    """A small Gaussian CWoLa job: the fixture of the executable's tests (seconds per run).
    `training`, `metrics` and `run` are the bodies of those sections (empty: no section)."""
    text = (f"\n[job]\nname = {name}\nstudy = gaussian\nseed = {seed}\nrepeats = {repeats}\n\n"
            f"[scan]\ngaussian.f1 = {f1}\n\n"
            f"[gaussian]\ndimensions = {dimensions}\nsignal_mean = {signal_mean}\n"
            f"events_per_mixture = {events}\ntest_events = {test_events}\n")
    for section, body in (("training", training), ("metrics", metrics), ("run", run)):
        if body:
            text += f"\n[{section}]\n{body}\n"
    return text


def two_stage_sections(finetune_extra=""):
    """The stages of the tests' two-stage job (docs/stages.md): pretrain (2 tasks) -> fine-tune
    per pretrained model (2 points x 2 repeats each), with `finetune_extra` lines in the
    fine-tune stage."""
    return ("\n[model]\nhidden = 8, 8\n\n"
            "[stage.pretrain]\nrepeats = 2\ngaussian.f1 = 1.0\ngaussian.f2 = 0.0\n\n"
            "[stage.finetune]\nreads = pretrain\ntasks = per_task_of pretrain\nrepeats = 2\n"
            f"scan.gaussian.f1 = 0.6, 0.8\n{finetune_extra}\n")


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


# The source tree (inputs/ holds the generator cards).
SOURCE = os.environ.get("CWOLA_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generate(ranks, card, path, events, *settings):
    """`cwola generate` of `events` events of inputs/<card>.card into `path` on `ranks` ranks;
    `settings` are further --set assignments (e.g. "selection.max_constituents=60")."""
    extra = [item for setting in settings for item in ("--set", setting)]
    return run_cwola(ranks, "generate", "--card", os.path.join(SOURCE, "inputs", f"{card}.card"),
                     "--output", path, "--set", f"generator.events={events}", *extra, check=0)


def run_cwola(ranks, *args, check=None, env=None, timeout=600):
    """Runs `cwola ARGS` on `ranks` ranks; with `check`, fails unless it exits with that code."""
    done = subprocess.run(cwola_command(ranks, *args), env=env or ENV, capture_output=True,
                          text=True, timeout=timeout)
    if check is not None and done.returncode != check:
        raise AssertionError(f"exit {done.returncode} (expected {check}) for {args}\n"
                             f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done


def exited(pid):
    """True once no thread of `pid` runs. A killed process's main thread can be a zombie
    while another thread (one blocked in I/O) still holds the process's files."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):
        return True
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/stat") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X"):
                    return False
        except (FileNotFoundError, ProcessLookupError):
            pass
    return True


def wait_until_gone(pids, seconds=60):
    """Waits until every pid has exited. A SIGKILLed rank blocked in I/O lives on until the
    I/O ends and holds the store lock (its flock) until then; a resume started earlier is
    rightly refused as a second writer."""
    deadline = time.time() + seconds
    for pid in pids:
        while not exited(pid) and time.time() < deadline:
            time.sleep(0.05)


def kill_tree(pid, sig=signal.SIGKILL, wait=True):
    """Kills a job the way a dead node or scancel does: every process at once; then waits
    until they are gone."""
    members = process_tree(pid)
    for member in members:
        try:
            os.kill(member, sig)
        except ProcessLookupError:
            pass
    if wait:
        wait_until_gone(members)
    return members


def computed_results(path, groups=("results", "curves", "tasks")):
    """Everything the tasks computed, keyed by dataset (groups are walked down: "artifacts"
    gives every artifact's columns and per-task rows)."""
    with h5py.File(path, "r") as f:
        out = {}
        for group in groups:
            def keep(name, obj):
                leaf = name.rsplit("/", 1)[-1]
                if not isinstance(obj, h5py.Dataset) or leaf in RUN_DEPENDENT \
                        or leaf.startswith("wall_seconds"):
                    return
                out[f"{group}/{name}"] = obj[()]
            f[group].visititems(keep)
        return out


def datasets(path, group="/"):
    """Every dataset below `group` of an HDF5 file, keyed by its path relative to the group."""
    with h5py.File(path, "r") as f:
        out = {}
        f[group].visititems(lambda name, obj: out.__setitem__(name, obj[()])
                            if isinstance(obj, h5py.Dataset) else None)
        return out


def assert_identical(test, a, b, what):
    test.assertEqual(sorted(a), sorted(b), what)
    for key in a:
        if a[key].dtype.kind == "f":
            same = np.array_equal(a[key], b[key], equal_nan=True)
        else:
            same = np.array_equal(a[key], b[key])
        test.assertTrue(same, f"{what}: {key} differs\n{a[key]}\n{b[key]}")
