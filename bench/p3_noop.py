"""Benchmark P3's baseline job: RQ's own cost of a job, nothing of the hotline's."""


def noop() -> None:
    return None
