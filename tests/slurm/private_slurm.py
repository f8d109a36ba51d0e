"""A private single-node SLURM for tests: munged, slurmctld and slurmd started from a
temporary directory (config, state, spool, logs, munge key and socket all inside it),
on free loopback ports, with one fake GPU. Nothing outside the directory is touched, so
it runs beside a system SLURM. See ../shared/notes/slurm-on-loopback.md for the settings.

    with PrivateSlurm() as slurm:          # raises Unavailable(reason) if it cannot start
        job = slurm.sbatch(["--ntasks=1", "script.sbatch"])
        slurm.wait([job])

The daemons run in the foreground as children of this process and are stopped by
their PIDs (never by name)."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
            "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


class Unavailable(Exception):
    """SLURM cannot run here (packages missing, daemons do not start); tests skip."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def which_or_unavailable(name):
    for directory in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        raise Unavailable(f"'{name}' is not installed (apt-get install slurmctld slurmd "
                          "slurm-client munge)")
    return found


class PrivateSlurm:
    def __init__(self, cpus=4, requeue_delay=5):
        self.cpus = cpus
        self.gpus = 1  # one fake GPU (File=/dev/null): enough to check the scripts' logic
        self.requeue_delay = requeue_delay
        self.dir = None
        self.daemons = []  # (name, Popen), started in order, stopped in reverse
        self.stopped = []  # (name, pid) of the daemons stop() ended
        self.env = None
        self.node = None

    # -- lifetime ---------------------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if os.geteuid() != 0:
            raise Unavailable("needs root (SlurmUser=root and munged's key handling)")
        binaries = {name: which_or_unavailable(name) for name in
                    ("munged", "mungekey", "munge", "unmunge", "slurmctld", "slurmd", "sbatch",
                     "scontrol", "sinfo", "scancel")}
        self.bin = binaries
        self.dir = tempfile.mkdtemp(prefix="cwola_slurm_")
        os.chmod(self.dir, 0o755)  # munged wants the socket directory searchable
        d = self.dir
        for sub in ("munge", "state", "spool", "log"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chmod(os.path.join(d, "munge"), 0o755)
        key = os.path.join(d, "munge", "munge.key")
        self._check([binaries["mungekey"], "--create", f"--keyfile={key}"], "mungekey")
        os.chmod(key, 0o400)
        sock = os.path.join(d, "munge", "socket")
        self._spawn("munged", [binaries["munged"], "-F", "--force", f"--socket={sock}",
                               f"--key-file={key}", f"--pid-file={d}/munge/pid",
                               f"--log-file={d}/log/munged.log", f"--seed-file={d}/munge/seed"])
        self._wait_for(lambda: os.path.exists(sock), 10, "munged did not create its socket")
        probe = subprocess.run(f"{binaries['munge']} -n --socket={sock} | "
                               f"{binaries['unmunge']} --socket={sock}", shell=True,
                               capture_output=True, text=True)
        if probe.returncode != 0:
            raise Unavailable(f"munge does not work: {probe.stderr.strip()}")

        self.node = socket.gethostname().split(".")[0]
        ctld_port, slurmd_port = free_port(), free_port()
        memory = self._node_memory_mb()
        conf = os.path.join(d, "slurm.conf")
        with open(conf, "w") as f:
            f.write(f"""ClusterName=cwolatest
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (120 s
# by default, at least 5); the time-limit test requeues, so keep it short.
AuthInfo=socket={sock},cred_expire={self.requeue_delay}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SchedulerParameters=batch_sched_delay=0,sched_interval=2
MinJobAge=3600
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmdLogFile={d}/log/slurmd.log
GresTypes=gpu
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} Boards=1 SocketsPerBoard=1 \
CoresPerSocket={self.cpus} ThreadsPerCore=1 RealMemory={memory} Gres=gpu:{self.gpus} State=UNKNOWN
PartitionName=test Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")
        with open(os.path.join(d, "gres.conf"), "w") as f:
            # A fake GPU: the job sees CUDA_VISIBLE_DEVICES=0 (to check script logic only).
            f.write(f"NodeName={self.node} Name=gpu File=/dev/null\n")
        self.env = dict(os.environ, SLURM_CONF=conf)
        self._spawn("slurmctld", [binaries["slurmctld"], "-D", "-c", "-f", conf])
        self._spawn("slurmd", [binaries["slurmd"], "-D", "-N", self.node, "-f", conf])
        self._wait_for(self._node_idle, 30, "the node did not become idle")

    def stop(self):
        """Cancels every job, then stops the daemons by PID (reverse order)."""
        if self.env is not None and self.daemons:
            subprocess.run([self.bin["scancel"], "--full", "--quiet", "-u", "root"],
                           env=self.env, capture_output=True)
            deadline = time.time() + 15
            while time.time() < deadline and self._active_jobs():
                time.sleep(0.5)
        for name, process in reversed(self.daemons):
            self.stopped.append((name, process.pid))
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)  # reaps it: no zombie left behind
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        self.daemons = []

    def gone(self, pid):
        """True once `pid` has exited (a zombie counts as gone: see /proc/PID/stat)."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().split(")")[-1].split()[0] in ("Z", "X")
        except OSError:
            return True

    def log_tail(self, lines=30):
        out = []
        for name in ("slurmctld.log", "slurmd.log", "munged.log"):
            path = os.path.join(self.dir or "", "log", name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    out.append(f"--- {name}\n" + "".join(f.readlines()[-lines:]))
        return "\n".join(out)

    # -- jobs -------------------------------------------------------------------------
    def sbatch(self, args, env=None, cwd=None):
        """Submits; returns the job id (the array's id for arrays)."""
        done = subprocess.run([self.bin["sbatch"], "--parsable", *args], env=env or self.env,
                              cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"sbatch {args} failed: {done.stderr}")
        return done.stdout.strip().split(";")[0]

    def jobs(self, job_id=None):
        """scontrol show job as a list of dicts (array tasks are separate jobs)."""
        args = [self.bin["scontrol"], "-o", "show", "job"] + ([str(job_id)] if job_id else [])
        done = subprocess.run(args, env=self.env, capture_output=True, text=True)
        result = []
        for line in done.stdout.splitlines():
            fields = {}
            for item in line.split():
                if "=" in item:
                    k, v = item.split("=", 1)
                    fields[k] = v
            if fields:
                result.append(fields)
        return result

    def wait(self, job_ids, timeout):
        """Waits until every job (and array task) of `job_ids` is in a terminal state."""
        deadline = time.time() + timeout
        while True:
            jobs = [j for i in job_ids for j in self.jobs(i)]
            if jobs and all(j.get("JobState") in TERMINAL for j in jobs):
                return jobs
            if time.time() > deadline:
                raise AssertionError(f"jobs {job_ids} not finished after {timeout} s: " +
                                     ", ".join(f"{j.get('JobId')}={j.get('JobState')}"
                                               for j in jobs) + "\n" + self.log_tail())
            time.sleep(1)

    # -- helpers ----------------------------------------------------------------------
    def _spawn(self, name, args):
        log = open(os.path.join(self.dir, "log", f"{name}.out"), "w")
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ, SLURM_CONF=os.path.join(self.dir,
                                                                                "slurm.conf")))
        self.daemons.append((name, process))
        time.sleep(0.2)
        if process.poll() is not None:
            raise Unavailable(f"{name} exited at start (code {process.returncode}): " +
                              self._read(os.path.join(self.dir, "log", f"{name}.out")))

    def _wait_for(self, condition, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, process in self.daemons:
                if process.poll() is not None:
                    raise Unavailable(f"{name} died (code {process.returncode}): " +
                                      self._read(os.path.join(self.dir, "log", f"{name}.out")))
            if condition():
                return
            time.sleep(0.2)
        raise Unavailable(f"{what} within {timeout} s\n{self.log_tail()}")

    def _node_idle(self):
        done = subprocess.run([self.bin["sinfo"], "-h", "-N", "-o", "%T"], env=self.env,
                              capture_output=True, text=True)
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def _active_jobs(self):
        return [j for j in self.jobs() if j.get("JobState") not in TERMINAL]

    def _check(self, args, what):
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            raise Unavailable(f"{what} failed: {done.stderr.strip()}")

    @staticmethod
    def _node_memory_mb():
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(int(line.split()[1]) / 1024 * 0.9)
        return 1000

    @staticmethod
    def _read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""
