"""Forms of the coordinator pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional


class AssignForm(FlaskForm):
    member = SelectField(_l("Team member"), coerce=int, validators=[InputRequired(_l("Please choose a team member."))])
    slot_start = SelectField(_l("Time"), validators=[Optional()])


class CancelOrderForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Please give a reason.")), Length(max=200)])


class ActionForm(FlaskForm):
    """A bare form: CSRF protection for one-button actions."""


class MoveForm(FlaskForm):
    slot_start = SelectField(_l("New time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class RainForm(FlaskForm):
    day = DateField(_l("Evening"), validators=[InputRequired(_l("Please choose the date."))])
