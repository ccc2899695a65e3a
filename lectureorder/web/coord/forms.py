"""Forms of the coordinator pages."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ...domain.errors import DomainError
from ..forms import SafeForm
from ..i18n import error_message


class AssignForm(SafeForm):
    member = SelectField(_l("Team member"), coerce=int, validators=[InputRequired(_l("Please choose a team member."))])
    slot_start = SelectField(_l("Time"), validators=[Optional()])


class CancelOrderForm(SafeForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Please give a reason.")), Length(max=200)])


class ActionForm(SafeForm):
    """A bare form: CSRF protection for one-button actions."""


class MoveForm(SafeForm):
    slot_start = SelectField(_l("New time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class RainForm(SafeForm):
    day = DateField(_l("Evening"), validators=[InputRequired(_l("Please choose the date."))])


class BacklogForm(SafeForm):
    """Carries the previewed proposals back, so exactly what was shown is what gets sent."""

    plan = HiddenField(validators=[InputRequired(_l("There is nothing to send."))])

    def validate_plan(self, field) -> None:
        from ...services.batch import parse_plan_token

        try:
            self.proposals = parse_plan_token(field.data)
        except DomainError as exc:
            raise ValidationError(error_message(exc)) from None
