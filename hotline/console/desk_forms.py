"""The desk's forms (issue 16): my state, my languages and endpoint, and an interpreter of the roster."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from models.vocabulary import DESK_STATES

from .forms import REQUIRED, Select
from .words import choices


class DeskStateForm(FlaskForm):
    """Any state is accepted here: casework.desk says which a person may choose, in its own words."""

    state = Select(_l("State"))
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = [(code, code) for code in DESK_STATES]


class DeclineForm(FlaskForm):
    """The offer I decline: its id, so a click meant for a ring that ended cannot decline the next one."""

    offer = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)],
                         widget=HiddenInput())


class Languages(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label, **kwargs):
        super().__init__(label, validate_choice=False, **kwargs)  # casework.desk checks the codes


class DeskProfileForm(FlaskForm):
    languages = Languages(_l("Languages I take calls in"))
    kind = Select(_l("Ring me on"))
    address = StringField(_l("Phone number or SIP address"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.languages.choices = choices("language")
        self.kind.choices = choices("endpoint")


class InterpreterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(REQUIRED), Length(max=120, message=_l("Write at most 120 characters."))])
    language = Select(_l("Language"))
    phone = StringField(_l("Phone number"), validators=[DataRequired(REQUIRED), Length(max=40)])
    on_duty = Select(_l("On duty"), default="yes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = choices("language")
        self.on_duty.choices = [("yes", _l("on duty")), ("no", _l("off duty"))]
