"""The browser endpoint's access token (issue 16): a short-lived Twilio Voice SDK token, minted with the `twilio`
package, whose identity is the user's own (`casework.desk_dial.client_identity`), so the desk's dial of
`client:user-<id>` rings only their browser. Only to someone whose desk profile rings the browser."""
from __future__ import annotations

from flask import current_app, jsonify
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from casework import desk
from casework.desk_dial import client_identity

from . import bp
from .access import current_user, db, requires

TOKEN_SECONDS = 600  # the page asks for a new one before it runs out; a copied token is soon worthless


@bp.get("/desk/token")
@requires(*desk.DESK_ROLES, json=True)
def voice_token():
    config, user = current_app.config["HOTLINE"], current_user()
    profile = desk.profile_of(db(), user)
    if profile is None or profile.endpoint != desk.BROWSER:
        return _refuse("not_browser", "your desk profile does not ring the browser")
    if not (config.TWILIO_ACCOUNT_SID and config.TWILIO_API_KEY_SID and config.TWILIO_API_KEY_SECRET):
        return _refuse("browser_calls_off", "set TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET to take calls in the browser")
    token = AccessToken(config.TWILIO_ACCOUNT_SID, config.TWILIO_API_KEY_SID, config.TWILIO_API_KEY_SECRET,
                        identity=client_identity(user.id), ttl=TOKEN_SECONDS)
    token.add_grant(VoiceGrant(incoming_allow=True))
    return jsonify(token=token.to_jwt(), identity=client_identity(user.id), expires_in=TOKEN_SECONDS)


def _refuse(problem: str, detail: str):
    return jsonify(error=problem, detail=detail), 409  # the console's answers are never cached (pages.safe_headers)
