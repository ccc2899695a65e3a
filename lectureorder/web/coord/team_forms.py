"""Forms of the coordinator's team pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ...domain import formats as fm
from ...services.team import DAILY_CAP, WEEKLY_CAP, MemberChanges
from ..forms import MultiCheckboxField, SafeForm
from ..i18n import current_lang

_RANGE = _l("Please enter a number from %(min)s to %(max)s.")


class MemberForm(SafeForm):
    daily_cap = IntegerField(_l("Sessions a day, at most"), validators=[
        InputRequired(_l("Please enter a number.")), NumberRange(*DAILY_CAP, message=_RANGE)])
    weekly_cap = IntegerField(_l("Sessions a week, at most"), validators=[
        InputRequired(_l("Please enter a number.")), NumberRange(*WEEKLY_CAP, message=_RANGE)])
    active = BooleanField(_l("Active in the lecture team (receives orders)"))
    formats = MultiCheckboxField(_l("Formats this member runs"))
    specialties = MultiCheckboxField(_l("Topics this member gives"))
    kit_qualified = BooleanField(_l("Can run the film kit"))

    def fill_choices(self, topics) -> None:
        lang = current_lang()
        self.formats.choices = [(f.value, fm.format_label(f, lang)) for f in fm.Format]
        self.specialties.choices = [(t.code, t.title(lang)) for t in topics]

    def fill_from(self, member) -> None:
        self.daily_cap.data = member.daily_cap
        self.weekly_cap.data = member.weekly_cap
        self.active.data = member.active
        self.formats.data = list(member.formats or ())
        self.specialties.data = [t.code for t in member.specialties]
        self.kit_qualified.data = member.kit_qualified

    def changes(self) -> MemberChanges:
        return MemberChanges(
            daily_cap=self.daily_cap.data, weekly_cap=self.weekly_cap.data,
            active=bool(self.active.data), formats=tuple(self.formats.data or ()),
            specialties=tuple(self.specialties.data or ()),
            kit_qualified=bool(self.kit_qualified.data),
        )
