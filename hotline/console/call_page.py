"""One call: timeline, IVR path in words, recording, the caller's earlier calls and cases, notes.

The caller's number is masked for everyone; the 1300 centre's staff may reveal it once,
with a reason, and the reveal is audited.
"""
from __future__ import annotations

from flask import make_response, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from casework import case_facts
from casework.desk_record import record_of_call
from casework.linking import linked_case
from models import Annotation, Call, Case

from . import bp, story
from .access import EVERYONE, STAFF, current_user, db, requires, scoped_calls, visible_call
from .audit import record
from .forms import CallDetailsForm, NoteForm, RevealForm
from .ivr_words import NODE, describe_path
from .recording import why_not_here
from .words import DESK_EVENT, say

EARLIER_LIMIT = 20


def note_owner(owner: Call | Case):
    """The Annotation column that ties a note to a call or to a case."""
    return Annotation.case_id if isinstance(owner, Case) else Annotation.call_id


def notes(owner: Call | Case) -> list[tuple[Annotation, list[Annotation]]]:
    """The notes in force (newest version of each), each with its earlier versions, oldest note first."""
    rows = db().scalars(select(Annotation).where(note_owner(owner) == owner.id).order_by(Annotation.id)).all()
    by_id = {note.id: note for note in rows}
    superseded = {note.supersedes_id for note in rows if note.supersedes_id}
    current = [note for note in rows if note.id not in superseded]
    threads = []
    for note in current:
        history, earlier = [], by_id.get(note.supersedes_id)
        while earlier is not None:
            history.append(earlier)
            earlier = by_id.get(earlier.supersedes_id)
        threads.append((note, history))
    threads.sort(key=lambda thread: (thread[1][-1] if thread[1] else thread[0]).id)
    return threads


def event_detail(event) -> str:
    """A webhook in a few words; never its raw parameters (they hold the caller's number)."""
    params = event.params or {}
    if event.kind == "status":
        return say("call_status", params.get("CallStatus"))
    if event.kind == "ivr":
        node = event.key.split(":")[2] if event.key.count(":") >= 3 else ""
        if params.get("RecordingSid"):
            return f"{NODE.get(node, node)}: " + _("%(n)s s", n=params.get("RecordingDuration", "?"))
        return f"{NODE.get(node, node)}: {params.get('Digits') or '–'}"
    if event.kind == "recording":
        return f"{params.get('RecordingStatus', '')} {params.get('RecordingDuration', '')}".strip()
    if event.kind == "desk" and event.key.startswith("desk:callback:"):
        return callback_step(event.key.split(":")[3] if event.key.count(":") >= 3 else "", params)
    if event.kind == "fallback":
        return _("Twilio error %(code)s", code=params.get("ErrorCode", "?"))
    if event.kind == "desk":
        return desk_detail(event.key)
    return ""


def desk_detail(key: str) -> str:
    """desk:offer:7:in-progress:2 -> "operator rung: in-progress"; the ids and sequence numbers stay out."""
    parts = key.split(":")
    what = parts[1] if len(parts) > 1 else ""
    tail = {"offer": parts[3:4], "conference": parts[2:3], "leave": parts[3:4], "control": parts[2:3] + parts[4:5]}
    return " ".join([f"{DESK_EVENT.get(what, what)}:", *tail.get(what, parts[2:3])]).rstrip(":")


def callback_step(step: str, params: dict) -> str:
    """A step of a callback (casework.desk_callback) in a few words."""
    if step == "requested":
        return _("call back asked by %(user)s", user=params.get("by", "?"))
    if step == "rung":
        return _("call back: the operator's phone rings")
    if step == "refused":
        return _("call back: Twilio refused the operator's phone")
    if step == "answered":
        return _("call back: the operator answered, the caller is dialled")
    detail = _("call back: %(status)s", status=say("call_status", step))
    return detail + (" " + _("%(n)s s", n=params["CallDuration"]) if params.get("CallDuration") else "")


def earlier_calls(call: Call) -> list[tuple[Call, str | None]]:
    """Other calls from the same number (that this user may see), newest first, with their case reference."""
    if not call.from_e164:
        return []
    statement = scoped_calls(select(Call, Case.reference).outerjoin(Case, Case.call_id == Call.id), current_user())
    return db().execute(statement.where(Call.from_e164 == call.from_e164, Call.id != call.id)
                        .order_by(Call.started_at.desc(), Call.id.desc()).limit(EARLIER_LIMIT)).all()


def render_call(call: Call, status: int = 200, revealed: str | None = None, **forms):
    user = current_user()
    details = forms.get("details_form") or CallDetailsForm(
        category=call.category or "", province=call.province_code or "", urgency=call.urgency or "normal")
    context = dict(
        call=call, case=db().scalar(select(Case).where(Case.call_id == call.id)) or linked_case(db(), call), path=describe_path(call.ivr_path),
        events=[(event, event_detail(event)) for event in call.events], earlier=earlier_calls(call), notes=notes(call), staff=user.role in STAFF,
        revealed=revealed, reveal_form=forms.get("reveal_form") or RevealForm(),
        note_form=forms.get("note_form") or NoteForm(), details_form=details, note_error_for=forms.get("note_error_for"),
        recording_unavailable=why_not_here(), desk_record=record_of_call(db(), call.id),
    )
    context.update(story.call_context(call, user))
    return make_response(render_template("console/call.html", **context), status)


@bp.get("/calls/<int:call_id>")
@requires(*EVERYONE)
def call(call_id: int):
    return render_call(visible_call(call_id, current_user()))


@bp.post("/calls/<int:call_id>/reveal")
@requires(*STAFF)
def reveal(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user())
    form = RevealForm()
    if call.caller_withheld or not (call.from_e164 or call.from_raw):
        form.form_errors.append(_("This call has no number to reveal."))
        return render_call(call, 400, reveal_form=form)
    if not case_facts.number_may_be_revealed(call.callback_consent):
        form.form_errors.append(_("The caller asked not to be called back: the number stays hidden."))
        return render_call(call, 400, reveal_form=form)
    if not form.validate():
        return render_call(call, 400, reveal_form=form)
    record(db(), "reveal_number", user, target=f"call:{call.id}", reason=form.reason.data.strip())
    db().commit()
    return render_call(call, revealed=call.from_e164 or call.from_raw)
