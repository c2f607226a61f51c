"""LINE's webhook (issue 17): signed by the channel secret, machine-facing like Twilio's."""
from flask import Blueprint

from hotline.extensions import machine_facing

bp = machine_facing(Blueprint("line", __name__, url_prefix="/line"))

from . import routes  # noqa: E402,F401
