"""The LINE chat inbox (issue 17): the chats waiting for a person, and one chat's page where an operator reads the
whole thread, replies (a push through the outbox), takes the chat, opens or links its case and ends it. The rules
are casework.line_inbox's; every action is audited, never with the words of a message."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from casework import case_facts as facts
from casework import desk, line_inbox
from casework.line_inbox import MAX_REPLY, Refused
from hotline.db import enqueue_after_commit
from models import Case, LineChat, User
from models.line import simulated

from . import bp, story
from .access import current_user, db, requires
from .audit import record
from .forms import REQUIRED
from .intake_page import shown
from .links import LinkForm, reference_of

CHAT_ROLES = ("operator", "supervisor")  # the people who answer; an admin runs the system, not the chats


class ReplyForm(FlaskForm):
    text = TextAreaField(_l("Your reply"), id="reply-text", validators=[
        DataRequired(REQUIRED), Length(max=MAX_REPLY, message=_l("Write at most 5,000 characters."))])


def refused_words(refused: Refused) -> str:
    words = {
        "not_waiting": _("This chat is not waiting for a person: the bot has it."),
        "taken": _("Another operator has this chat: take it first."),
        "blocked": _("The person has blocked the account: nothing can be sent."),
        "length": _("Write between 1 and 5,000 characters."),
        "has_case": _("This chat has case %(reference)s already.", reference=refused.reference),
        "case_has_chat": _("Case %(reference)s has another LINE chat already.", reference=refused.reference),
        "closed": _("Case %(reference)s is closed.", reference=refused.reference),
        "training": _("A simulator chat and a real case cannot be linked (case %(reference)s).",
                      reference=refused.reference),
    }
    return words.get(refused.why, refused.why)


@bp.get("/chats")
@requires(*CHAT_ROLES)
def chats():
    user = current_user()
    profile = desk.profile_of(db(), user)
    rows = line_inbox.waiting(db(), list(profile.languages or []) if profile else [])
    return render_template("console/chats.html", rows=rows, mask=line_inbox.masked, simulated=simulated,
                           has_languages=bool(profile and profile.languages))


def _chat(chat_id: int, lock: bool = False) -> LineChat:
    chat = db().get(LineChat, chat_id, with_for_update=lock)
    if chat is None:
        abort(404)
    return chat


@bp.get("/chats/<int:chat_id>")
@requires(*CHAT_ROLES)
def chat(chat_id: int):
    return render_chat(_chat(chat_id))


def render_chat(chat: LineChat, status: int = 200, reply_form: ReplyForm | None = None,
                link_form: LinkForm | None = None):
    said, cut = line_inbox.thread(db(), chat)
    taken_by = db().get(User, chat.taken_by_id) if chat.taken_by_id else None
    return render_template("console/chat.html", chat=chat, said=said, cut=cut, masked=line_inbox.masked(chat.line_user_id),
                           simulated=simulated(chat.line_user_id), taken_by=taken_by,
                           case=line_inbox.case_of(db(), chat), reply_form=reply_form or ReplyForm(formdata=None),
                           link_form=link_form or LinkForm(formdata=None), me=current_user()), status


def _back(chat: LineChat, anchor: str = "thread"):
    return redirect(url_for("console.chat", chat_id=chat.id, _anchor=anchor), 303)


@bp.post("/chats/<int:chat_id>/take")
@requires(*CHAT_ROLES)
def take_chat(chat_id: int):
    user, chat = current_user(), _chat(chat_id, lock=True)
    try:
        line_inbox.take(db(), chat, user)
    except Refused as refused:
        db().rollback()
        flash(refused_words(refused), "error")
        return _back(chat)
    record(db(), "take_chat", user, target=f"line_chat:{chat.id}")
    db().commit()
    flash(_("The chat is yours."), "success")
    return _back(chat, "reply")


@bp.post("/chats/<int:chat_id>/reply")
@requires(*CHAT_ROLES)
def reply_chat(chat_id: int):
    user, chat = current_user(), _chat(chat_id, lock=True)
    form = ReplyForm()
    if not form.validate():
        db().rollback()
        return render_chat(chat, 400, reply_form=form)
    try:
        job_id = line_inbox.reply(db(), chat, user, form.text.data)
    except Refused as refused:
        db().rollback()
        form.form_errors.append(refused_words(refused))
        return render_chat(_chat(chat_id), 409 if refused.why == "taken" else 400, reply_form=form)
    record(db(), "reply_chat", user, target=f"line_chat:{chat.id}", reason=job_id)
    db().commit()
    enqueue_after_commit([job_id])
    flash(_("Reply sent."), "success")
    return _back(chat, "reply")


@bp.post("/chats/<int:chat_id>/end")
@requires(*CHAT_ROLES)
def end_chat(chat_id: int):
    user, chat = current_user(), _chat(chat_id, lock=True)
    try:
        job_id = line_inbox.end(db(), chat, user)
    except Refused as refused:
        db().rollback()
        flash(refused_words(refused), "error")
        return _back(chat)
    record(db(), "end_chat", user, target=f"line_chat:{chat.id}")
    db().commit()
    enqueue_after_commit([job_id] if job_id else [])
    flash(_("The chat is back with the bot; the person was told."), "success")
    return redirect(url_for("console.chats"), 303)


@bp.post("/chats/<int:chat_id>/case")
@requires(*CHAT_ROLES)
def open_chat_case(chat_id: int):
    user, chat = current_user(), _chat(chat_id, lock=True)
    try:
        opened = line_inbox.open_case(db(), chat, user)
    except Refused as refused:
        db().rollback()
        flash(refused_words(refused), "error")
        return _back(chat, "case")
    record(db(), "open_case", user, target=f"case:{opened.case.id}", reason=f"line_chat:{chat.id}")
    db().commit()
    enqueue_after_commit(opened.job_ids)
    flash(_("Case %(reference)s opened from the chat.", reference=opened.case.reference), "success")
    return _back(chat, "case")


@bp.post("/chats/<int:chat_id>/link")
@requires(*CHAT_ROLES)
def link_chat(chat_id: int):
    user, chat = current_user(), _chat(chat_id, lock=True)
    form = LinkForm()
    if not form.validate():
        db().rollback()
        return render_chat(chat, 400, link_form=form)
    case = db().scalar(select(Case).where(Case.reference == reference_of(form.reference.data.strip())))
    if case is None:
        db().rollback()
        form.reference.errors = [*form.reference.errors, _("No case has this reference.")]
        return render_chat(chat, 400, link_form=form)
    try:
        linked = line_inbox.link_case(db(), chat, case, user)
    except Refused as refused:
        db().rollback()
        form.form_errors.append(refused_words(refused))
        return render_chat(_chat(chat_id), 400, link_form=form)
    if linked:
        record(db(), "link_chat", user, target=f"case:{case.id}", reason=f"line_chat:{chat.id}")
    db().commit()
    flash(_("The chat is now part of case %(reference)s.", reference=case.reference), "success")
    return _back(chat, "case")


# --- the case page: the thread is part of the case's story, seen like the intake's free text ------------------

@story.case_section
def case_line_thread(case: Case, user: User) -> dict:
    chat = line_inbox.chat_of_case(db(), case)
    if chat is None:
        return {"line_chat": None}
    if not shown(user, facts.ACCOUNT):  # revealed with a reason with the intake's account (audited there)
        hidden = [facts.ACCOUNT] if facts.may_reveal(user.role, facts.ACCOUNT) else []
        return {"line_chat": chat, "line_thread_said": None, "line_thread_masked": line_inbox.masked(chat.line_user_id),
                "line_thread_hidden": hidden}
    said, cut = line_inbox.thread(db(), chat)
    return {"line_chat": chat, "line_thread_said": said, "line_thread_cut": cut,
            "line_thread_masked": line_inbox.masked(chat.line_user_id)}
