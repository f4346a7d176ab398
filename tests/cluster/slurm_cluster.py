#!/usr/bin/env python3
"""A throwaway single-node SLURM cluster on this machine, from Debian's packages.

    python3 tests/cluster/slurm_cluster.py start   # apt-get install if needed, configure, start
    python3 tests/cluster/slurm_cluster.py status
    python3 tests/cluster/slurm_cluster.py stop    # cancel jobs; stop slurmd, slurmctld, munged

Root on Debian only. One node (this machine, ``hostname -s``) in two partitions,
``cpu`` (default) and ``gpu``, with two ``gpu`` GRES that are character devices
with /dev/null's numbers: ``--gpus=1`` jobs run and see CUDA_VISIBLE_DEVICES.
No slurmdbd: ``squeue`` shows finished jobs for MinJobAge seconds. The config is
at the default path, /etc/slurm/slurm.conf, because the SLURM executor plugin's
job step drops SLURM_CONF. ``start`` refuses to replace a config it did not
write; ``stop`` signals only the daemons whose pid files it wrote, and removes
its config (with none, SLURM commands fail at once instead of waiting ~9 s for a
controller, which every Snakemake start would pay: the plugin asks
``scontrol show config`` when it is loaded).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

MARKER = "# written by selfalign tests/cluster/slurm_cluster.py"
ETC = Path("/etc/slurm")
STATE = Path("/var/lib/selfalign-test-slurm")  # state, spool, logs, pid files
LOCK = Path("/var/lib/selfalign-test-slurm.lock")
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_RUN = Path("/run/munge")
PACKAGES = ("slurm-wlm", "munge")
COMMANDS = ("sbatch", "srun", "squeue", "scancel", "scontrol", "sinfo", "slurmctld", "slurmd")
SBIN = ("/usr/sbin", "/sbin")
DAEMONS = ("slurmd", "slurmctld", "munged")  # stopped in this order
N_GPUS = 2
MIN_JOB_AGE = 1800  # seconds squeue keeps finished jobs (>= 120 for the plugin)


class ClusterUnavailable(RuntimeError):
    """The cluster cannot be set up here; the message says why."""


def _run(cmd, timeout: float = 30, check: bool = True, **kwargs):
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as err:
        raise ClusterUnavailable(f"{' '.join(cmd)} timed out after {timeout:.0f} s") from err
    except OSError as err:
        raise ClusterUnavailable(f"{' '.join(cmd)}: {err}") from err
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout)[-2000:]
        raise ClusterUnavailable(f"{' '.join(cmd)} exited {result.returncode}: {output}")
    return result


def _missing_commands() -> list[str]:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    return [c for c in (*COMMANDS, "munged") if not shutil.which(c, path=path)]


def unavailable_reason() -> str | None:
    """Why no cluster can be started here without trying (None: worth a try)."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if os.geteuid() != 0:
        return "needs root (writes /etc/slurm, starts daemons)"
    missing = _missing_commands()
    if missing and not (Path("/etc/debian_version").exists() and shutil.which("apt-get")):
        return f"missing {', '.join(missing)} and no apt-get to install slurm-wlm and munge"
    return None


def install(timeout: float = 600) -> None:
    """apt-get install slurm-wlm and munge when their commands are missing."""
    if not _missing_commands():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    if _run(cmd, timeout=timeout, check=False, env=env).returncode != 0:
        _run(["apt-get", "update", "-q"], timeout=timeout, env=env)  # stale package lists
        _run(cmd, timeout=timeout, env=env)
    if _missing_commands():
        raise ClusterUnavailable(f"missing after apt-get: {', '.join(_missing_commands())}")


def _fake_gpus() -> bool:
    """GPU device files for gres.conf: character devices with /dev/null's numbers.

    slurmd wants character devices; with them it sets CUDA_VISIBLE_DEVICES in
    jobs. Where mknod is not allowed the GPUs are a bare count.
    """
    try:
        for i in range(N_GPUS):
            os.mknod(STATE / "gpus" / f"nvidia{i}", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        return False
    return True


def _node(hostname: str) -> tuple[str, int, int]:
    """The node line for this machine as ``slurmd -C`` sees it, with 80 % of its memory."""
    first = _run(["slurmd", "-C"]).stdout.split("\n")[0].split()
    fields = dict(item.split("=", 1) for item in first if "=" in item)
    cpus, memory = int(fields.get("CPUs", 1)), int(int(fields.get("RealMemory", 2048)) * 0.8)
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    hardware = " ".join(f"{key}={fields[key]}" for key in keep if key in fields)
    line = f"NodeName={hostname} {hardware} RealMemory={memory} Gres=gpu:{N_GPUS} State=UNKNOWN"
    return line, cpus, memory


def _ours(path: Path) -> bool:
    return MARKER in path.read_text(errors="replace")


def write_config(hostname: str | None = None) -> dict:
    """Write /etc/slurm/slurm.conf and gres.conf, and a fresh state folder."""
    hostname = hostname or socket.gethostname().split(".")[0]
    for name in ("slurm.conf", "gres.conf"):
        if (ETC / name).exists() and not _ours(ETC / name):
            raise ClusterUnavailable(f"{ETC / name} exists and was not written by this script")
    shutil.rmtree(STATE, ignore_errors=True)
    for sub in ("ctld", "d", "log", "gpus"):
        (STATE / sub).mkdir(parents=True)
    gpu_devices = _fake_gpus()
    node, cpus, memory = _node(hostname)
    ETC.mkdir(parents=True, exist_ok=True)
    (ETC / "slurm.conf").write_text(
        f"""{MARKER}
ClusterName=selfalign-test
SlurmctldHost={hostname}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation={STATE}/ctld
SlurmdSpoolDir={STATE}/d
SlurmctldPidFile={STATE}/slurmctld.pid
SlurmdPidFile={STATE}/slurmd.pid
SlurmctldLogFile={STATE}/log/slurmctld.log
SlurmdLogFile={STATE}/log/slurmd.log
# no cgroups, no systemd, no accounting database
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
GresTypes=gpu
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge={MIN_JOB_AGE}
KillWait=5
InactiveLimit=0
MessageTimeout=10
{node}
# two jobs per CPU: test jobs mostly wait (Snakemake starting), so they overlap well
PartitionName=cpu Nodes={hostname} Default=YES MaxTime=INFINITE OverSubscribe=FORCE:2 State=UP
PartitionName=gpu Nodes={hostname} MaxTime=INFINITE OverSubscribe=FORCE:2 State=UP
"""
    )
    gres = f"File={STATE}/gpus/nvidia[0-{N_GPUS - 1}]" if gpu_devices else f"Count={N_GPUS}"
    (ETC / "gres.conf").write_text(
        f"{MARKER}\nAutoDetect=off\nNodeName={hostname} Name=gpu {gres}\n"
    )
    return {"hostname": hostname, "cpus": cpus, "mem_mb": memory, "gpu_devices": gpu_devices}


def _pid(name: str) -> int | None:
    """The pid of our daemon ``name``, if it runs (checked against /proc, never reused)."""
    try:
        pid = int((STATE / f"{name}.pid").read_text().split()[0])
        proc = Path(f"/proc/{pid}")
        running = (proc / "stat").read_text().rsplit(") ", 1)[1][0] != "Z"
        return pid if running and (proc / "comm").read_text().strip() == name else None
    except (OSError, ValueError, IndexError):
        return None


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    tails = []
    for log in sorted((STATE / "log").glob("*.log")):
        tails.append(f"\n--- {log}\n" + "\n".join(log.read_text().splitlines()[-15:]))
    raise ClusterUnavailable(f"{what} not up within {timeout:.0f} s{''.join(tails)}")


def _munge_answers() -> bool:
    return _run(["munge", "-n"], check=False, timeout=10).returncode == 0


def _controller_answers() -> bool:
    return _run(["scontrol", "ping"], check=False, timeout=15).returncode == 0


def _node_idle(hostname: str) -> bool:
    node = ["sinfo", "--noheader", "--Node", f"--nodes={hostname}", "--format=%T"]
    return set(_run(node, check=False, timeout=15).stdout.split()) == {"idle"}  # per partition


def _start_munged() -> None:
    if _pid("munged") or ((MUNGE_RUN / "munge.socket.2").exists() and _munge_answers()):
        return  # ours from before, or the machine's own: either will do
    if not MUNGE_KEY.exists():
        _run(["mungekey", "--create", f"--keyfile={MUNGE_KEY}"])
        shutil.chown(MUNGE_KEY, "munge", "munge")
        MUNGE_KEY.chmod(0o400)
    MUNGE_RUN.mkdir(parents=True, exist_ok=True)
    shutil.chown(MUNGE_RUN, "munge", "munge")
    pidfile = MUNGE_RUN / "selfalign-test.pid"
    munged = shutil.which("munged", path=os.pathsep.join(SBIN)) or "munged"
    _run(["runuser", "-u", "munge", "--", munged, "--force", f"--pid-file={pidfile}"])
    shutil.copy(pidfile, STATE / "munged.pid")
    _wait(_munge_answers, 20, "munged")


def start(timeout: float = 60) -> dict:
    """Install if needed, write the config, start the daemons, wait for an idle node."""
    reason = unavailable_reason()
    if reason:
        raise ClusterUnavailable(reason)
    try:
        stop()
        install()
        info = write_config()
        _start_munged()
        _run(["slurmctld"])
        _wait(_controller_answers, timeout, "slurmctld")
        _run(["slurmd"])
        _wait(lambda: _node_idle(info["hostname"]), timeout, f"node {info['hostname']}")
    except (OSError, LookupError, ClusterUnavailable) as err:  # e.g. no munge user
        stop()
        raise ClusterUnavailable(str(err)) from err
    return info


def stop() -> None:
    """Cancel this cluster's jobs, stop its daemons, remove its config."""
    if _pid("slurmctld"):
        busy = ["squeue", "--noheader", "--states=PD,R,CG,S", "--format=%i"]
        with contextlib.suppress(ClusterUnavailable):
            _run(["scancel", "--full", "--user=root"], check=False, timeout=15)
            _wait(lambda: not _run(busy, check=False, timeout=15).stdout.strip(), 30, "")
    for name in DAEMONS:
        pid = _pid(name)
        if pid:
            os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(ClusterUnavailable):
                _wait(lambda name=name: not _pid(name), 20, "")
            if _pid(name):
                os.kill(pid, signal.SIGKILL)
        (STATE / f"{name}.pid").unlink(missing_ok=True)
    for name in ("slurm.conf", "gres.conf"):
        if (ETC / name).exists() and _ours(ETC / name):
            (ETC / name).unlink()


@contextlib.contextmanager
def lock(timeout: float):
    """Hold the machine's one test cluster; ClusterUnavailable after ``timeout`` seconds."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ClusterUnavailable(
                        f"another process holds {LOCK} (the test cluster)"
                    ) from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def status() -> str:
    lines = [f"{name}: {'pid ' + str(_pid(name)) if _pid(name) else 'stopped'}" for name in DAEMONS]
    if _pid("slurmctld"):
        lines.append(_run(["sinfo"], check=False, timeout=15).stdout.rstrip())
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    if command not in ("start", "stop", "status"):
        print(__doc__)
        return 2
    try:
        if command == "start":
            print(start())
        elif command == "stop":
            stop()
        print(status())
    except ClusterUnavailable as err:
        print(f"no cluster: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
