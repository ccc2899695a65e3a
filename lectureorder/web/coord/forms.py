"""Forms of the coordinator pages."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ...domain.errors import DomainError
from ...domain.orders import MAX_QUESTION
from ...services.questions import MAX_ANSWER
from ..forms import SafeForm
from ..i18n import error_message


class ConfirmedForm(SafeForm):
    """A change that is shown before it is made: the first POST (no ``confirm``) renders what
    will change and stores nothing; the second carries ``confirm`` and ``seen``, the state the
    coordinator saw, so a change made meanwhile is refused instead of overwritten."""

    confirm = HiddenField()
    seen = HiddenField(validators=[Optional(), Length(max=80)])

    @property
    def confirmed(self) -> bool:
        return self.confirm.data == "1"


class AssignForm(ConfirmedForm):
    member = SelectField(_l("Team member"), coerce=int, validators=[InputRequired(_l("Please choose a team member."))])
    slot_start = SelectField(_l("Time"), validators=[Optional()])


class CancelOrderForm(ConfirmedForm):
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Please give a reason.")), Length(max=200)])


class ActionForm(SafeForm):
    """A bare form: CSRF protection for one-button actions."""


class MoveForm(ConfirmedForm):
    slot_start = SelectField(_l("New time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class RainForm(ConfirmedForm):
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


class QuestionFilterForm(SafeForm):
    """The filters of the questions list (GET, no CSRF)."""

    class Meta:
        csrf = False

    topic = SelectField(_l("Talk"), validators=[Optional()])
    answered = SelectField(_l("Answered at the talk"), validators=[Optional()], choices=[
        ("", _l("All")), ("yes", _l("Answered")), ("no", _l("Not answered yet"))])
    published = SelectField(_l("On the topic page"), validators=[Optional()], choices=[
        ("", _l("All")), ("yes", _l("Published")), ("no", _l("Not published"))])


class PublishQuestionForm(SafeForm):
    """A coordinator's approval: the wording shown, the short answer, the topic page."""

    text = StringField(_l("Question as published"), validators=[
        InputRequired(_l("Please enter the question.")), Length(max=MAX_QUESTION)])
    answer = TextAreaField(_l("Short answer"), validators=[
        InputRequired(_l("Please write a short answer.")), Length(max=MAX_ANSWER)])
    topic = SelectField(_l("Topic page"), coerce=int,
                        validators=[InputRequired(_l("Please choose the topic page."))])
