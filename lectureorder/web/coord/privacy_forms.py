"""Forms of the coordinator's people's-data page (PIPL export and erasure)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..forms import SafeForm


class RequesterLookupForm(SafeForm):
    phone = StringField(_l("Requester's phone number"), validators=[
        InputRequired(_l("Please enter a phone number.")), Length(max=40)])


class RequesterActionForm(SafeForm):
    """Export or erase, carrying the phone found (in the form body, never in a URL)."""

    phone = HiddenField(validators=[InputRequired(_l("Please enter a phone number.")),
                                    Length(max=40)])
    format = HiddenField(validators=[Optional(), AnyOf(("json", "csv"))])
    confirm = HiddenField(validators=[Optional(), AnyOf(("yes",))])
