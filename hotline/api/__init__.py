"""The JSON API, versioned under /api/v1, for the Protect-U app, volunteers and the ministry's systems."""
from flask import Blueprint, request

from hotline.extensions import machine_facing

bp = machine_facing(Blueprint("api", __name__, url_prefix="/api/v1"))

from . import guard, routes  # noqa: E402,F401

guard.register_errors(bp)


@bp.after_request
def not_stored(response):
    """Cases, reports and callers' numbers stay off proxies' and clients' disks; the OpenAPI description may be kept."""
    if request.endpoint != "api.openapi":
        response.headers["Cache-Control"] = "no-store"
    return response
