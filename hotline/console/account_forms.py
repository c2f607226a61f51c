"""The forms of console accounts: the admin's users page and a user's own password change."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from casework import accounts, passwords

from .forms import REQUIRED, Select, province_choices
from .i18n import LANGUAGES
from .words import LANGUAGE, choices

PASSWORD_PROBLEMS = {
    "short": _l("The password needs at least %(n)s characters.", n=passwords.MIN_LENGTH),
    "username": _l("The password may not contain the username."),
    "common": _l("This is one of the most common passwords. Choose another."),
}
SCOPE_PROBLEMS = {
    "needs_province": _l("A field officer needs at least one province."),
    "no_province": _l("Only field officers have provinces: the other roles see every province."),
}


class Provinces(SelectMultipleField):
    """Province codes from the list (in our words: WTForms has no Thai)."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validate_choice=False, **kwargs)

    def pre_validate(self, form) -> None:
        allowed = {value for value, _label in self.choices}
        if any(code not in allowed for code in self.data or []):
            raise ValidationError(_l("Choose one of the options."))


class NewPassword:
    """A new password typed twice, checked against the one password rule (`casework.passwords`)."""

    password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords differ."))])
    username_for_rule = ""

    def validate_password(self, field) -> None:
        problem = passwords.problem(field.data, self.username_for_rule)
        if problem:
            raise ValidationError(PASSWORD_PROBLEMS[problem])


class Scope:
    role = Select(_l("Role"))
    provinces = Provinces(_l("Provinces (field officers only)"))

    def set_scope_choices(self) -> None:
        self.role.choices = choices("role")
        self.provinces.choices = province_choices()

    def validate_provinces(self, field) -> None:
        problem = accounts.scope_problem(self.role.data, field.data or [])
        if problem and not self.role.errors:
            raise ValidationError(SCOPE_PROBLEMS[problem])


class NewUserForm(NewPassword, Scope, FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(REQUIRED), Length(max=64),
        Regexp(accounts.USERNAME, message=_l("2 to 64 lower-case letters, digits, '.', '_' or '-', "
                                             "starting with a letter or a digit."))])
    language = Select(_l("Language"), default="th")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_scope_choices()
        self.language.choices = [(code, str(LANGUAGE[code])) for code in LANGUAGES]
        self.username_for_rule = (self.username.data or "").strip().lower()
        if self.username.data:
            self.username.data = self.username_for_rule


class RoleForm(Scope, FlaskForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_scope_choices()


class ResetPasswordForm(NewPassword, FlaskForm):
    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.username_for_rule = username


class ChangePasswordForm(NewPassword, FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED), Length(max=256)])

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.username_for_rule = username
