"""Forms of the coordinator pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional


class AssignForm(FlaskForm):
    member = SelectField(_l("Team member"), coerce=int, validators=[InputRequired(_l("Please choose a team member."))])
    slot_start = SelectField(_l("Time"), validators=[Optional()])


class CancelOrderForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Please give a reason.")), Length(max=200)])


class ActionForm(FlaskForm):
    """A bare form: CSRF protection for one-button actions."""
