"""All TwiML leaves through here."""
from flask import Response
from twilio.twiml.voice_response import VoiceResponse


def twiml(response: VoiceResponse | str | None) -> Response:
    return Response(str(response if response is not None else VoiceResponse()), mimetype="text/xml")
