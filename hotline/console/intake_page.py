"""The case's intake on the call page (filled while talking, saved without leaving the page) and on the case page
(a summary in words, the staff's edit form, the versions), the API report's fields, and revealing with a reason
what a role does not see by default. The rules are casework.case_facts'; this is how the console shows them."""
from __future__ import annotations

import geothai
from flask import flash, g, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from casework import case_facts as facts
from casework.intake import case_for_call
from hotline.db import enqueue_after_commit
from models import Call, Case, Report, User
from models.vocabulary import INDICATORS

from . import bp, story
from .access import EVERYONE, STAFF, current_user, db, requires, visible_call
from .audit import record
from .call_page import render_call
from .cases import render_case, visible_case
from .forms import REQUIRED, province_choices
from .i18n import province_label
from .masking import mask_number
from .words import say

LABEL = {
    "people_count": _l("People involved"), "minors_count": _l("Of them under 18"),
    "female_count": _l("Women and girls"), "male_count": _l("Men and boys"), "nationalities": _l("Nationalities"),
    "province_code": _l("Province"), "district_code": _l("District"), "subdistrict_code": _l("Subdistrict"),
    "place": _l("Place (address, building)"), "landmark": _l("Landmark"), "latitude": _l("Latitude"),
    "longitude": _l("Longitude"), "indicators": _l("Signs of trafficking"),
    "immediate_danger": _l("In immediate danger"), "held_responsible": _l("Place or people held responsible"),
}
REPORT_LABEL = {"reporter_type": _l("Reported by"), "reporter_id": _l("Reporter's id"),
                "contact_number": _l("Contact number"), "description": _l("What the reporter wrote"),
                "latitude": _l("Coordinates")}
REPORTER = {"app_user": _l("app user"), "volunteer": _l("volunteer"), "agency": _l("agency")}
AUDIT_REVEAL = {facts.ACCOUNT: "reveal_account", facts.IDENTITY: "reveal_identity"}


class FactsRevealForm(FlaskForm):
    facts = HiddenField()
    reason = TextAreaField(_l("Why do you need to see this?"), id="facts-reason", validators=[
        DataRequired(REQUIRED), Length(min=5, max=500, message=_l("Write between 5 and 500 characters."))])


def _language() -> str:
    return "th" if str(get_locale()) == "th" else "en"


def _place_name(found) -> str | None:
    return (found.name_th if _language() == "th" else found.name_en) if found else None


def words(name: str, value) -> str:
    """One fact in the user's words."""
    if value is None or value == []:
        return "–"
    if name == "nationalities":
        return ", ".join(facts.country_name(code, _language()) for code in value)
    if name == "indicators":
        return "; ".join(say("indicator", code) for code in value)
    if name == "immediate_danger":
        return _("yes") if value else _("no")
    if name == "province_code":
        return province_label(value)
    if name == "district_code":
        return _place_name(geothai.district(value)) or value
    if name == "subdistrict_code":
        return _place_name(geothai.subdistrict(value)) or value
    return str(value)


def revealed() -> set[str]:
    """The classes a reveal in this request showed (once: the next page hides them again)."""
    return g.get("facts_revealed", set())


def shown(user: User, klass: str) -> bool:
    return facts.sees(user.role, klass) or klass in revealed()


def summary(intake, user: User) -> list[dict]:
    rows = []
    for name in facts.FIELDS:
        if name == "longitude":
            continue
        klass = facts.SENSITIVITY[name]
        row = {"name": name, "label": LABEL[name], "class": klass, "shown": shown(user, klass)}
        if name == "latitude":
            row["label"] = _("Coordinates")
            if intake.latitude is not None and intake.longitude is not None:
                row.update(text=f"{intake.latitude:.5f}, {intake.longitude:.5f}",
                           href=f"geo:{intake.latitude},{intake.longitude}")
            else:
                row["text"] = "–"
        else:
            row["text"] = words(name, getattr(intake, name))
        if not row["shown"]:
            row.pop("href", None)
            row["text"] = None
        rows.append(row)
    return rows


def _choices(values: dict) -> dict:
    language = _language()
    countries = sorted(facts.COUNTRIES, key=lambda code: facts.country_name(code, language))
    districts = geothai.districts(values["province_code"]) if values.get("province_code") else []
    subdistricts = geothai.subdistricts(values["district_code"]) if values.get("district_code") else []
    return {
        "provinces": province_choices(),
        "districts": [(d.code, _place_name(d)) for d in districts],
        "subdistricts": [(s.code, _place_name(s)) for s in subdistricts],
        "countries": [(code, facts.country_name(code, language)) for code in countries],
        "indicators": [(code, say("indicator", code)) for code in INDICATORS],
    }


def _form(values: dict, action: str) -> dict:
    """What _intake_form.html needs: the values to show, each field's error, the choices."""
    submitted = g.get("intake_submitted")
    shown_values = submitted if submitted is not None else values
    return {"values": shown_values, "errors": g.get("intake_errors", {}), "action": action,
            "choices": _choices(shown_values), "labels": LABEL}


def version_rows(case: Case) -> list[dict]:
    return [{"intake": intake, "author": intake.author.username if intake.author else "–",
             "changed": ", ".join(str(LABEL[name]) for name in names)}
            for intake, names in facts.versions(db(), case)]


def _hidden(user: User, classes) -> list[str]:
    """The classes hidden from this user here, in order, that the user may reveal."""
    return [klass for klass in (facts.ACCOUNT, facts.IDENTITY)
            if klass in classes and not shown(user, klass) and facts.may_reveal(user.role, klass)]


@story.case_section
def case_intake(case: Case, user: User) -> dict:
    intake = facts.current(db(), case)
    staff = user.role in STAFF
    return {
        "intake": intake, "intake_rows": summary(intake, user) if intake else [],
        "intake_versions": version_rows(case), "intake_may_edit": staff,
        "intake_edit": _form(facts.values_of(intake) if intake else _defaults(case.province_code, case.district_code),
                             url_for("console.save_case_intake", case_id=case.id)) if staff else None,
        "intake_hidden": _hidden(user, {facts.SENSITIVITY[n] for n in facts.FIELDS}) if intake else [],
        "facts_reveal_form": g.get("facts_reveal_form") or FactsRevealForm(),
    }


@story.case_section
def case_reports(case: Case, user: User) -> dict:
    report = db().scalar(select(Report).where(Report.case_id == case.id))
    if report is None:
        return {"api_report": None}
    rows = []
    for name, klass in facts.REPORT_SENSITIVITY.items():
        if name == "longitude":
            continue
        row = {"label": REPORT_LABEL[name], "class": klass, "shown": shown(user, klass), "text": "–"}
        value = getattr(report, name)
        if name == "latitude":
            if report.latitude is not None and report.longitude is not None:
                row.update(text=f"{report.latitude:.5f}, {report.longitude:.5f}",
                           href=f"geo:{report.latitude},{report.longitude}")
        elif name == "reporter_type":
            row["text"] = str(REPORTER.get(value, value))
        elif value:
            row["text"] = value
        if name == "contact_number" and value:
            row["masked"] = mask_number(value)
            if report.callback_consent is not None:
                row["consent"] = _("safe to call back") if report.callback_consent else _("do NOT call back")
            if not facts.number_may_be_revealed(report.callback_consent):
                row["text"], row["kept_hidden"] = "–", True  # a reveal of the reporter's identity leaves it masked
        rows.append(row)
    hidden = _hidden(user, {row["class"] for row in rows if row["text"] != "–"})
    for row in rows:
        if not row["shown"]:
            row.pop("href", None)
            row["text"] = None  # the masked number, if any, stays
    return {"api_report": report, "api_report_rows": rows, "api_report_hidden": hidden}


def _defaults(province: str | None, district: str | None) -> dict:
    values = facts.values_of(None)
    values.update(province_code=province, district_code=district)
    return values


@story.call_section
def call_intake(call: Call, user: User) -> dict:
    case = db().scalar(select(Case).where(Case.call_id == call.id))
    intake = facts.current(db(), case) if case else None
    context = {"call_intake": intake, "call_intake_rows": summary(intake, user) if intake else [],
               "call_intake_form": None}
    if user.role in STAFF:
        values = facts.values_of(intake) if intake else _defaults(call.province_code, call.district_code)
        context["call_intake_form"] = _form(values, url_for("console.save_call_intake", call_id=call.id))
    return context


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _submitted() -> dict:
    return {name: request.form.getlist(name) if name in facts.LISTS else request.form.get(name, "")
            for name in facts.FIELDS}


def _invalid(invalid: facts.Invalid, render):
    errors = {name: _(words, **params) for name, (words, params) in invalid.errors.items()}
    if _wants_json():
        return jsonify(errors={name: f"{LABEL[name]}: {error}" for name, error in errors.items()},
                       message=_("Not saved: check the fields marked.")), 400
    g.intake_errors, g.intake_submitted = errors, _submitted()
    g.intake_submitted.update(immediate_danger={"yes": True, "no": False}.get(g.intake_submitted["immediate_danger"]))
    return render(400)


def _saved(saved: facts.Saved, back, opened: bool):
    if not saved.changed:
        message = _("Nothing changed.")
    else:
        message = _("Saved, version %(n)s.", n=saved.intake.version)
    # The page reloads when its lists or its case link must follow (a new case, another province or district).
    reload = opened or bool({"province_code", "district_code"} & set(saved.changed))
    if not _wants_json() or reload:
        flash(message, "success" if saved.changed else "info")
    if _wants_json():
        return jsonify(message=message, version=saved.intake.version if saved.intake else None,
                       changed=[str(LABEL[name]) for name in saved.changed], reload=reload)
    return back()


def _write(case: Case, user: User, values: dict, call: Call | None) -> facts.Saved:
    saved = facts.save(db(), case, user, values, call=call)
    if saved.changed:
        record(db(), "save_intake", user, target=f"case:{case.id}",
               reason=f"version {saved.intake.version}: {', '.join(saved.changed)}")
    return saved


@bp.post("/calls/<int:call_id>/intake")
@requires(*STAFF)
def save_call_intake(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user(), lock=True)
    try:
        values = facts.parse(_submitted())
    except facts.Invalid as invalid:
        return _invalid(invalid, lambda status: render_call(call, status))
    database = db()
    opened = case_for_call(database, call, actor=f"user:{user.id}")  # the call's row lock: one case, however many save
    if opened.new:
        record(database, "open_case", user, target=f"call:{call.id}", reason=opened.case.reference)
    saved = _write(opened.case, user, values, call)
    database.commit()
    enqueue_after_commit(opened.job_ids)
    return _saved(saved, lambda: redirect(url_for("console.call", call_id=call.id, _anchor="intake")), opened=opened.new)


@bp.post("/cases/<int:case_id>/intake")
@requires(*STAFF)
def save_case_intake(case_id: int):
    user, case = current_user(), visible_case(case_id)
    try:
        values = facts.parse(_submitted())
    except facts.Invalid as invalid:
        return _invalid(invalid, lambda status: render_case(case, status))
    saved = _write(case, user, values, None)
    db().commit()
    return _saved(saved, lambda: redirect(url_for("console.case", case_id=case.id, _anchor="intake")), opened=False)


@bp.post("/cases/<int:case_id>/reveal")
@requires(*EVERYONE)
def reveal_case_facts(case_id: int):
    """Show, once, what this role does not see on the case by default, with a reason; the read is audited."""
    user, case = current_user(), visible_case(case_id)
    form = FactsRevealForm()
    g.facts_reveal_form = form
    klass = form.facts.data
    from .chats import case_line_thread  # chats reads this module's `shown`: imported here, not at the top

    offered = {*case_intake(case, user)["intake_hidden"], *case_reports(case, user).get("api_report_hidden", []),
               *case_line_thread(case, user).get("line_thread_hidden", [])}
    if klass not in offered:  # another role's class, one this role sees anyway, or nothing of it on the case
        form.form_errors.append(_("There is nothing of this kind for you to reveal on this case."))
        return render_case(case, 400)  # 403 is for a route the role may not use at all
    if not form.validate():
        return render_case(case, 400)
    record(db(), AUDIT_REVEAL[klass], user, target=f"case:{case.id}", reason=form.reason.data.strip())
    db().commit()
    g.facts_revealed = {klass}
    return render_case(case)
