"""Forms of the member pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import SafeForm


class AcceptForm(SafeForm):
    slot_start = RadioField(_l("Choose a time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])


class DeclineForm(SafeForm):
    reason = StringField(_l("Why can you not take it?"), validators=[
        InputRequired(_l("Please say why you cannot take it.")), Length(max=200)])


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


class EvidenceForm(SafeForm):
    """Sign-in count and more photos for a session already delivered."""

    signin_count = IntegerField(_SIGNIN_LABEL, validators=[Optional(), _SIGNIN_RANGE])
    photos = MultipleFileField(_PHOTOS_LABEL, render_kw=_PHOTO_INPUT)


class RemovePhotoForm(SafeForm):
    """Only a button; the form carries the CSRF token."""
