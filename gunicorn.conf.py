"""gunicorn reads this file by itself (from the working directory), for both pools of the Procfile: `voice`
(HOTLINE_POOL=webhooks: Twilio's callbacks, sync workers) and `web` (the console and the API, gthread workers at a
lower CPU priority). The app is loaded once in the master and shared by the workers it forks (`preload_app`), with
the collector told to leave it alone (`gc.freeze`); prometheus-client's multiprocess mode adds up the counters of
every worker of the pool, not only the one that answers /metrics."""
import ctypes
import gc
import os
import shutil
import tempfile
from pathlib import Path

from casework.config import metrics_directory, pool

POOL = pool()
workers = POOL.workers
threads = POOL.threads
worker_class = "gthread" if POOL.threads > 1 else "sync"
preload_app = True
proc_name = f"hotline-{POOL.name}"

# Before the app (hence prometheus-client, which reads the variable once, at import) is loaded: with
# preload_app that happens before any server hook runs. Each pool has a directory of its own.
_base = metrics_directory()
_private = _base is None
_directory = Path(tempfile.mkdtemp(prefix=f"hotline-metrics-{POOL.name}-")) if _private else _base / POOL.name
if not _private:
    shutil.rmtree(_directory, ignore_errors=True)  # counters of a previous run are not this run's
    _directory.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_directory)


def when_ready(server):
    if POOL.nice:
        _lower_session_priority(POOL.nice)
    # The app and everything it loaded are the master's now, shared by every worker forked from it: frozen, the
    # collector's full passes neither cost a worker tens of milliseconds (bench P1) nor copy those pages.
    if POOL.name == "web":
        from hotline import console
        from models.places import load_points

        load_points()  # the places behind the API's locations (1-3 s on first use): once, here, for every worker
        console.preload(server.app.wsgi())
    gc.collect()
    gc.freeze()


def _lower_session_priority(nice: int) -> None:
    """Linux schedules each session as one group (autogroup) whatever its processes' niceness: when this pool has a
    session of its own (systemd and most supervisors start each process in one), the group is niced as a whole.
    Under systemd's CPU controller autogroup does not apply: give the unit a lower CPUWeight (docs/deploy.md)."""
    if os.getsid(0) != os.getpid():
        return  # a session shared with the other processes (honcho): the workers' own niceness does it
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(nice))
    except OSError:
        pass  # no autogroup here (another kernel, or disabled)


def post_fork(server, worker):
    from hotline import db

    db.after_fork(server.app.wsgi())  # the master's engines hand no connection on to a worker
    if POOL.nice:
        os.nice(POOL.nice)


def post_request(worker, req, environ, resp):
    if POOL.name == "web":
        _give_back_freed_memory()


_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; None elsewhere


def _give_back_freed_memory() -> None:
    """A console page or an export frees megabytes in the middle of the C heap, where glibc keeps them for the next
    request (and each of the pool's threads has a heap of its own): hand those pages back to the system. ~0.1 ms a
    request; bench/memory.py: a web worker 81 -> 73-77 MB PSS on the 1,000,000-call database."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _private:
        shutil.rmtree(_directory, ignore_errors=True)
