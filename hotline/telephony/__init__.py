"""Twilio's webhooks: voice now, SMS with the escalation issue."""
from flask import Blueprint

bp = Blueprint("telephony", __name__, url_prefix="/voice")

from . import routes  # noqa: E402,F401
