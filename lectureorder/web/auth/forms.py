"""The login form and the account page's forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..forms import SafeForm


class LoginForm(SafeForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Please enter your username.")), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Please enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Stay logged in on this phone"))


class PasswordForm(SafeForm):
    current = PasswordField(_l("Current password"), validators=[
        InputRequired(_l("Please enter your current password.")), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[
        InputRequired(_l("Please enter a new password.")),
        Length(max=200)])  # the 8-character minimum is the service's rule
    confirm = PasswordField(_l("New password again"), validators=[
        InputRequired(_l("Please enter the new password again.")),
        EqualTo("new", message=_l("The two new passwords differ."))])


class ActionForm(SafeForm):
    """A button that changes something: only the CSRF token (sign out everywhere, revoke)."""
