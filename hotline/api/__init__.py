"""The JSON API, versioned under /api/v1, for the Protect-U app, volunteers and the ministry's systems."""
from flask import Blueprint

from hotline.extensions import machine_facing

bp = machine_facing(Blueprint("api", __name__, url_prefix="/api/v1"))

from . import guard, routes  # noqa: E402,F401

guard.register_errors(bp)
