"""The interpreters' roster (issue 16), like the centres' contacts: the 1300 centre's staff see it (numbers masked
but for supervisors), supervisors and admins add, edit, put on or off duty and deactivate, each change audited and
marked as the console's (`flask interpreters load` then leaves it as it is). The rules are casework.interpreters."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import interpreters
from models import Interpreter
from models.vocabulary import LANGUAGES

from . import bp
from .access import STAFF, current_user, db, requires
from .audit import record
from .desk_forms import InterpreterForm
from .forms import DutyForm
from .masking import mask_number

EDITORS = ("supervisor", "admin")
PROBLEMS = {
    "no_name": _l("Please fill in this field."),
    "long_name": _l("Write at most 120 characters."),
    "unknown_language": _l("Choose one of the options."),
    "bad_phone": _l("This is not a valid phone number. Write it like 081 234 5678 or +66 81 234 5678."),
    "taken": _l("Another interpreter has this number for this language."),
}
FIELDS = {"no_name": "name", "long_name": "name", "unknown_language": "language", "bad_phone": "phone", "taken": "phone"}


def render_roster(status: int = 200, form: InterpreterForm | None = None):
    editor = current_user().role in EDITORS
    rows = db().scalars(select(Interpreter).order_by(Interpreter.name, Interpreter.id)).all()
    order = list(LANGUAGES)
    active = sorted((row for row in rows if row.active), key=lambda row: order.index(row.language))
    return make_response(render_template(
        "console/interpreters.html", interpreters=active, inactive=len(rows) - len(active), editor=editor,
        number=(lambda phone: phone) if editor else mask_number, form=form or InterpreterForm(formdata=None),
        duty_form=DutyForm(formdata=None)), status)


@bp.get("/interpreters")
@requires(*STAFF)
def interpreters_roster():
    return render_roster()


def _save(interpreter: Interpreter | None, form: InterpreterForm) -> Interpreter | None:
    """The form's interpreter saved and audited; None (with a form error) when the rules refuse it."""
    before = interpreters.describe(interpreter) if interpreter else None
    try:
        saved = interpreters.save(db(), interpreter, form.name.data, form.phone.data, form.language.data,
                                  form.on_duty.data == "yes")
    except interpreters.Refused as refused:
        field = getattr(form, FIELDS[refused.problem])
        field.errors = [*field.errors, PROBLEMS[refused.problem]]
        return None
    if before is None:
        record(db(), "add_interpreter", current_user(), target=f"interpreter:{saved.id}",
               reason=interpreters.describe(saved))
    else:
        record(db(), "edit_interpreter", current_user(), target=f"interpreter:{interpreter.id}",
               reason=f"{before} -> {interpreters.describe(saved)}"
               + (f" (now interpreter:{saved.id})" if saved is not interpreter else ""))
    return saved


@bp.post("/interpreters")
@requires(*EDITORS)
def add_interpreter():
    form = InterpreterForm()
    if not form.validate() or _save(None, form) is None:
        db().rollback()
        return render_roster(400, form)
    db().commit()
    flash(_("Interpreter added."), "success")
    return redirect(url_for("console.interpreters_roster"))


def editable(interpreter_id: int, lock: bool = False) -> Interpreter:
    statement = select(Interpreter).where(Interpreter.id == interpreter_id)
    interpreter = db().scalar(statement.with_for_update() if lock else statement)
    if interpreter is None or not interpreter.active:
        abort(404)
    return interpreter


def render_interpreter(interpreter: Interpreter, form: InterpreterForm, status: int = 200):
    return make_response(render_template("console/interpreter.html", interpreter=interpreter, form=form), status)


@bp.get("/interpreters/<int:interpreter_id>")
@requires(*EDITORS)
def edit_interpreter(interpreter_id: int):
    interpreter = editable(interpreter_id)
    form = InterpreterForm(formdata=None, obj=interpreter)
    form.on_duty.data = "yes" if interpreter.on_duty else "no"
    return render_interpreter(interpreter, form)


@bp.post("/interpreters/<int:interpreter_id>")
@requires(*EDITORS)
def save_interpreter(interpreter_id: int):
    interpreter, form = editable(interpreter_id, lock=True), InterpreterForm()
    if not form.validate() or _save(interpreter, form) is None:
        db().rollback()
        return render_interpreter(editable(interpreter_id), form, 400)
    db().commit()
    flash(_("Interpreter saved."), "success")
    return redirect(url_for("console.interpreters_roster"))


@bp.post("/interpreters/<int:interpreter_id>/duty")
@requires(*EDITORS)
def set_interpreter_duty(interpreter_id: int):
    interpreter, form = editable(interpreter_id, lock=True), DutyForm()
    if not form.validate():
        db().rollback()
        return render_roster(400)
    on_duty = form.on_duty.data == "yes"
    if interpreters.set_duty(interpreter, on_duty):
        record(db(), "interpreter_duty", current_user(), target=f"interpreter:{interpreter.id}",
               reason=interpreters.describe(interpreter))
        db().commit()
    flash(_("%(name)s is on duty.", name=interpreter.name) if on_duty else
          _("%(name)s is off duty.", name=interpreter.name), "success")
    return redirect(url_for("console.interpreters_roster"))


@bp.post("/interpreters/<int:interpreter_id>/deactivate")
@requires(*EDITORS)
def deactivate_interpreter(interpreter_id: int):
    interpreter = db().scalar(select(Interpreter).where(Interpreter.id == interpreter_id).with_for_update())
    if interpreter is None:
        abort(404)
    if interpreters.deactivate(interpreter):
        record(db(), "deactivate_interpreter", current_user(), target=f"interpreter:{interpreter.id}",
               reason=interpreters.describe(interpreter))
        db().commit()
    flash(_("%(name)s is no longer on the roster.", name=interpreter.name), "success")
    return redirect(url_for("console.interpreters_roster"))
