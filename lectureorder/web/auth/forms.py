"""The login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(_l("Please enter your username.")), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Please enter your password.")), Length(max=200)])
    remember = BooleanField(_l("Stay logged in on this phone"))
