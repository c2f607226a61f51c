"""gunicorn reads this file by itself (from the working directory): how many workers, prometheus-client's
multiprocess mode, so that /metrics adds up the request counters of every web worker, not only the one that answers,
and the places behind the API's locations, loaded once in the master."""
import gc
import os
import shutil
import tempfile

from casework.config import metrics_directory, web_workers

workers = web_workers()


def on_starting(server):
    # Before any worker forks and imports prometheus-client, which reads the variable once, at import.
    directory = metrics_directory()
    if directory is None:
        directory = tempfile.mkdtemp(prefix="hotline-metrics-")
        server._metrics_private = directory
    else:
        shutil.rmtree(directory, ignore_errors=True)  # counters of a previous run are not this run's
        directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    # Once, here, for every worker to inherit (shared, since nothing writes them), rather than by the
    # worker that happens to answer the first API report with a location.
    from models.places import load_points

    load_points()


def post_worker_init(worker):
    # The app is loaded: its ~140k long-lived objects need no more visits from the collector's
    # full passes, which otherwise cost each worker tens of milliseconds now and then (bench P1).
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    private = getattr(server, "_metrics_private", None)
    if private:
        shutil.rmtree(private, ignore_errors=True)
