"""The console's forms; every POST form carries the CSRF token (FlaskForm renders it)."""
from __future__ import annotations

import geothai
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from .words import choices

REQUIRED = _l("Please fill in this field.")


def listed(form, field) -> None:
    """A select's value must be one of its choices (in our words: WTForms has no Thai)."""
    if field.data not in {choice.value for choice in field.iter_choices()}:
        raise ValidationError(_l("Choose one of the options."))


class Select(SelectField):
    def __init__(self, label, **kwargs):
        super().__init__(label, validate_choice=False, validators=[listed], **kwargs)


class Day(DateField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Use a date like 2026-11-25."))) from error


def province_choices() -> list[tuple[str, str]]:
    thai = str(get_locale()) == "th"
    provinces = sorted(geothai.provinces(), key=lambda p: p.name_th if thai else p.name_en)
    return [(p.code, p.name_th if thai else p.name_en) for p in provinces]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=256)])


class RevealForm(FlaskForm):
    reason = TextAreaField(_l("Why do you need the number?"), validators=[
        DataRequired(REQUIRED), Length(min=5, max=500, message=_l("Write between 5 and 500 characters."))])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[
        DataRequired(REQUIRED), Length(max=5000, message=_l("A note may be at most 5,000 characters."))])
    supersedes = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])


class CallDetailsForm(FlaskForm):
    category = Select(_l("Kind of trafficking"))
    province = Select(_l("Province"))
    urgency = Select(_l("Urgency"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category.choices = [("", _l("not known yet"))] + choices("kind")
        self.province.choices = [("", _l("not known yet"))] + province_choices()
        self.urgency.choices = choices("urgency")


class Filters(Form):
    """A list's filters, a GET form (no CSRF token): a filter the URL leaves out means "any", so only the
    submitted ones are checked and a first visit shows no error."""

    def validate(self, extra_validators=None) -> bool:
        return all([field.validate(self) for field in self if field.raw_data])


class CallFilters(Filters):
    """The calls list's filters."""

    date_from = Day(_l("From"), validators=[Optional()])
    date_to = Day(_l("To"), validators=[Optional()])
    status = Select(_l("Status"))
    language = Select(_l("Language"))
    category = Select(_l("Kind"))
    province = Select(_l("Province"))

    def __init__(self, *args, provinces: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _l("any"))]
        self.status.choices = anything + choices("call_status")
        self.language.choices = anything + choices("language")
        self.category.choices = anything + choices("kind")
        every = province_choices()
        self.province.choices = anything + [c for c in every if provinces is None or c[0] in provinces]

    def values(self) -> dict:
        """The valid filters only, as URL parameters (an invalid one is dropped and shown as an error)."""
        out = {}
        for name in ("date_from", "date_to", "status", "language", "category", "province"):
            field = getattr(self, name)
            if field.data and not field.errors:
                out[name] = field.data.isoformat() if name.startswith("date") else field.data
        return out


class CaseFilters(Filters):
    """The cases list's filters; the CSV export takes the same ones."""

    status = Select(_l("Status"))
    province = Select(_l("Province"))
    category = Select(_l("Kind"))
    urgency = Select(_l("Urgency"))
    unacknowledged = Select(_l("Acknowledgement"))

    def __init__(self, *args, provinces: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _l("any"))]
        self.status.choices = anything + [("open", _l("open (not closed)"))] + choices("case_status")
        self.category.choices = anything + choices("kind")
        self.urgency.choices = anything + choices("urgency")
        self.unacknowledged.choices = anything + [("yes", _l("late (waiting or acknowledged late)"))]
        every = province_choices()
        self.province.choices = anything + [c for c in every if provinces is None or c[0] in provinces]

    def values(self) -> dict:
        """The valid filters only, as URL parameters (an invalid one is dropped and shown as an error)."""
        return {name: getattr(self, name).data for name in ("status", "province", "category", "urgency", "unacknowledged")
                if getattr(self, name).data and not getattr(self, name).errors}


class TransitionForm(FlaskForm):
    """Move a case along the workflow: one button per status models.vocabulary.NEXT allows."""

    status = Select(_l("New status"))
    outcome = Select(_l("Outcome (to close the case)"), default="")
    note = TextAreaField(_l("Why (optional)"), id="transition-note", validators=[
        Optional(), Length(max=1000, message=_l("Write at most 1,000 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices("case_status")
        self.outcome.choices = [("", _l("choose an outcome"))] + choices("outcome")


class SmsReplyForm(FlaskForm):
    """Answer a dry-run SMS as a field team would: a contact's number and the text."""

    contact = Select(_l("From the contact"))
    body = StringField(_l("Text"), validators=[
        DataRequired(REQUIRED), Length(max=160, message=_l("An SMS may be at most 160 characters."))])

    def __init__(self, *args, contacts: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.offer(contacts)

    def offer(self, contacts: list) -> None:
        """The picker: its prompt, then the contacts (tuples, or SelectChoice with the centre as optgroup)."""
        self.contact.choices = [("", _l("choose a contact")), *contacts]


class ContactForm(FlaskForm):
    """A centre's contact; the number is checked with phonenumbers and kept as E.164 in `phone.e164`."""

    name = StringField(_l("Name"), validators=[
        DataRequired(REQUIRED), Length(max=120, message=_l("Write at most 120 characters."))])
    role = StringField(_l("Role (optional)"), validators=[
        Optional(), Length(max=120, message=_l("Write at most 120 characters."))])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    level = Select(_l("Escalation level"))
    on_duty = Select(_l("On duty"), default="yes")

    def __init__(self, *args, central: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        levels = (1, 2, 3) if central else (1, 2)  # level 3 is the central division's, as in data/contacts.csv
        self.level.choices = [(str(n), str(LEVEL_WORDS[n])) for n in levels]
        self.on_duty.choices = [("yes", _l("on duty")), ("no", _l("off duty"))]

    def validate_phone(self, field) -> None:
        from models.reference import NotAnSmsNumber, sms_number

        try:
            field.e164 = sms_number(field.data.strip())
        except NotAnSmsNumber as error:
            raise ValidationError(_l("This is not a mobile number: SMS cannot reach it.") if error.problem == "not_mobile"
                                  else _l("This is not a valid phone number. Write it like 081 234 5678 or "
                                          "+66 81 234 5678.")) from None


class DutyForm(FlaskForm):
    on_duty = Select(_l("On duty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_duty.choices = [("yes", _l("on duty")), ("no", _l("off duty"))]


class ReassignForm(FlaskForm):
    """Move a case to another province (hence centre); the SMS ladder starts again there."""

    province = Select(_l("Move to province"))
    note = TextAreaField(_l("Why (optional)"), id="reassign-note", validators=[
        Optional(), Length(max=1000, message=_l("Write at most 1,000 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.province.choices = [("", _l("choose a province"))] + province_choices()


LEVEL_WORDS = {1: _l("1 · duty team"), 2: _l("2 · provincial head"), 3: _l("3 · central division")}
