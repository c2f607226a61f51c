"""An image, voice note, video or file a person sent on LINE, shown or played through the console: never by a URL
of its own (casework.line_media keeps it under MEDIA_DIR). What a person sends is their account of what happened
(casework.case_facts ACCOUNT): only the roles that see a case's account open it, and each opening is audited like a
recording's play. An image, a voice note or a video is shown inline; anything else (a file, a type a browser could
run, such as SVG or HTML) is a download of bytes; never sniffed (the console's headers, hotline.console.pages)."""
from __future__ import annotations

from flask import abort, current_app, render_template, send_file
from flask_babel import lazy_gettext as _l

from casework import line_media
from casework.case_facts import ACCOUNT, sees
from models import ROLES, LineMedia

from . import bp
from .access import current_user, db, requires
from .audit import record
from .recording import _first_request

SHOWN = ("image/jpeg", "image/png", "image/gif", "image/webp", "audio/", "video/mp4", "video/webm")
SEEING = tuple(role for role in ROLES if sees(role, ACCOUNT))
WHY_NOT = {
    "dry-run": _l("This run has no LINE access token, so it did not fetch what the person sent."),
    "too-large": _l("What the person sent was too large to keep."),
    "deleted": _l("What the person sent was deleted (retention period or data-subject request)."),
}


def shown_inline(content_type: str) -> bool:
    return content_type.startswith(SHOWN)


@bp.get("/line/media/<int:media_id>")
@requires(*SEEING)
def line_media_file(media_id: int):
    media = db().get(LineMedia, media_id)
    if media is None:
        abort(404)
    if media.status != "kept":
        message = WHY_NOT.get(media.status, _l("What the person sent could not be fetched from LINE."))
        return render_template("console/error.html", code=404, message=message), 404
    path = line_media.path_of(current_app.config["HOTLINE"], media.stored_as)
    if not path.is_file():
        abort(404)
    if _first_request():
        record(db(), "view_line_media", current_user(), target=f"line_media:{media.id}")
        db().commit()
    kind = media.content_type or "application/octet-stream"
    inline = shown_inline(kind)
    response = send_file(path, mimetype=kind if inline else "application/octet-stream", as_attachment=not inline,
                         download_name=media.file_name or f"line-{media.kind}-{media.id}", conditional=True,
                         etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
