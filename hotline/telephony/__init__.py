"""Twilio's webhooks: voice here (`routes`), SMS in `sms`."""
from flask import Blueprint

from hotline.extensions import machine_facing

bp = machine_facing(Blueprint("telephony", __name__, url_prefix="/voice"))

from . import desk, routes  # noqa: E402,F401
