"""Forms of the member pages."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ...domain.orders import MAX_QUESTION, MAX_QUESTIONS
from ..forms import MultiCheckboxField, SafeForm


class AcceptForm(SafeForm):
    slot_start = RadioField(_l("Choose a time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])


#: One tap in the field; "other" needs a few words. The chosen label (in the member's language)
#: and the words become the stored reason, as free text always was.
QUICK_REASONS = (
    ("other_duty", _l("Another task that day")),
    ("out_of_area", _l("Outside my area")),
    ("unwell", _l("Not feeling well")),
    ("not_my_topic", _l("Not my specialty")),
    ("other", _l("Other")),
)


class DeclineForm(SafeForm):
    quick = RadioField(_l("Why can you not take it?"), choices=QUICK_REASONS,
                       validators=[Optional()])
    # The stored reason holds at most 200 characters, the label and its colon included.
    reason = StringField(_l("In a few words (optional)"), validators=[Optional(), Length(max=180)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        words = (self.reason.data or "").strip()
        if not self.quick.data and not words:
            self.quick.errors = [*self.quick.errors, gettext("Please say why you cannot take it.")]
            return False
        if self.quick.data == "other" and not words:
            self.reason.errors = [*self.reason.errors, gettext("Please say in a few words why.")]
            return False
        return valid

    def reason_text(self) -> str:
        """The reason as stored: the chosen quick reason, then the member's words."""
        words = (self.reason.data or "").strip()
        if not self.quick.data:
            return words
        label = str(dict(QUICK_REASONS)[self.quick.data])
        return gettext("%(label)s: %(text)s", label=label, text=words) if words else label


# The phone's picker offers only pictures; the server still checks every file's own header.
_PHOTO_INPUT = {"accept": "image/jpeg,image/png,image/webp"}
_SIGNIN_LABEL = _l("How many signed the attendance sheet? (optional)")
_SIGNIN_RANGE = NumberRange(0, 5000, _l("Please enter a number from %(min)s to %(max)s."))
_PHOTOS_LABEL = _l("Photos (optional)")


class DeliveryForm(SafeForm):
    headcount = IntegerField(_l("How many people attended?"), validators=[
        InputRequired(_l("Please enter how many people attended.")),
        NumberRange(0, 5000, _l("Please enter a number from %(min)s to %(max)s."))])
    signin_count = IntegerField(_SIGNIN_LABEL, validators=[Optional(), _SIGNIN_RANGE])
    notes = TextAreaField(_l("Notes (questions asked, materials handed out…)"), validators=[Optional(), Length(max=2000)])
    photos = MultipleFileField(_PHOTOS_LABEL, render_kw=_PHOTO_INPUT)
    # 群众点题: which of the order's questions were answered (values are question ids) and up
    # to three raised on the spot. Longer text is refused with a message, never cut.
    answered = MultiCheckboxField(_l("Which of their questions did you answer?"), coerce=int,
                                  validators=[Optional()])
    asked_1 = StringField(_l("Asked on the spot 1"), validators=[Optional(), Length(max=MAX_QUESTION)])
    asked_2 = StringField(_l("Asked on the spot 2"), validators=[Optional(), Length(max=MAX_QUESTION)])
    asked_3 = StringField(_l("Asked on the spot 3"), validators=[Optional(), Length(max=MAX_QUESTION)])
    question_max = MAX_QUESTION

    def asked_fields(self):
        return [self.asked_1, self.asked_2, self.asked_3][:MAX_QUESTIONS]

    def asked_texts(self) -> list[str]:
        return [f.data or "" for f in self.asked_fields()]

    def offer_questions(self, questions) -> None:
        """The session's questions as the boxes to tick, the answered ones ticked at first."""
        self.answered.choices = [(q.id, q.text) for q in questions]
        if not self.is_submitted():
            self.answered.data = [q.id for q in questions if q.answered]


class EvidenceForm(SafeForm):
    """Sign-in count and more photos for a session already delivered."""

    signin_count = IntegerField(_SIGNIN_LABEL, validators=[Optional(), _SIGNIN_RANGE])
    photos = MultipleFileField(_PHOTOS_LABEL, render_kw=_PHOTO_INPUT)


class RemovePhotoForm(SafeForm):
    """Only a button; the form carries the CSRF token."""
