"""Coordinator views for the campaign calendar: awareness days, school-term starts and
slowdowns (/coord/admin/awareness...)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Optional

from ...domain import campaigns as camp
from ...extensions import db
from ...models import AwarenessDay
from ...services import campaigns
from ...services.clock import now_utc
from ..access import coordinator_required
from ..errors import domain_errors
from ..forms import MultiCheckboxField, SafeForm
from ..i18n import current_lang
from . import bp
from .forms import ActionForm


class AwarenessDayForm(SafeForm):
    """Reads the input only; the rules (names, a real day, kind, topics) are the domain's."""

    name_zh = StringField(_l("Name (Chinese)"))
    name_en = StringField(_l("Name (English, optional)"))
    month = IntegerField(_l("Month"), validators=[Optional()])
    day = IntegerField(_l("Day"), validators=[Optional()])
    days = IntegerField(_l("Lasts (days)"), validators=[Optional()], default=1)
    kind = SelectField(_l("Kind"), validate_choice=False, default="awareness")
    topics = MultiCheckboxField(_l("Talks for it"), validate_choice=False)
    active = BooleanField(_l("Active (shown on the campaign pages)"), default=True)

    def fill_choices(self, lang: str) -> None:
        self.kind.choices = [(k, gettext(v)) for k, v in camp.KINDS.items()]
        self.topics.choices = [(t.code, t.title(lang)) for t in campaigns.active_topics().values()]

    def to_input(self) -> camp.DayInput:
        return camp.DayInput(
            name_zh=self.name_zh.data or "", name_en=self.name_en.data or "",
            month=self.month.data, day=self.day.data, days=self.days.data,
            kind=self.kind.data or "", topics=tuple(self.topics.data or ()),
            active=bool(self.active.data),
        )


def _get_or_404(day_id: int) -> AwarenessDay:
    row = db.session.get(AwarenessDay, day_id)
    if row is None:
        abort(404)
    return row


def _form_page(form: AwarenessDayForm, row: AwarenessDay | None, status: int):
    return render_template("coord/admin/awareness_form.html", form=form, row=row), status


@bp.get("/admin/awareness")
@coordinator_required
def admin_awareness():
    return render_template("coord/admin/awareness.html", rows=campaigns.calendar_rows(),
                           kind_labels=camp.KINDS, action_form=ActionForm(),
                           topic_titles={c: t.title(current_lang())
                                         for c, t in campaigns.active_topics().items()})


@bp.route("/admin/awareness/new", methods=["GET", "POST"])
@coordinator_required
def admin_awareness_new():
    form = AwarenessDayForm()
    form.fill_choices(current_lang())
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            campaigns.create_day(form.to_input(), now=now_utc(), actor=current_user)
            db.session.commit()
            flash(gettext("Calendar day saved."), "success")
            return redirect(url_for(".admin_awareness"))
    return _form_page(form, None, 422 if form.errors or form.form_errors else 200)


@bp.route("/admin/awareness/<int:day_id>", methods=["GET", "POST"])
@coordinator_required
def admin_awareness_edit(day_id: int):
    row = _get_or_404(day_id)
    form = AwarenessDayForm() if request.method == "POST" else AwarenessDayForm(
        data=campaigns.day_form_data(row))
    form.fill_choices(current_lang())
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            campaigns.update_day(row, form.to_input(), now=now_utc(), actor=current_user)
            db.session.commit()
            flash(gettext("Calendar day saved."), "success")
            return redirect(url_for(".admin_awareness"))
    return _form_page(form, row, 422 if form.errors or form.form_errors else 200)


@bp.post("/admin/awareness/<int:day_id>/delete")
@coordinator_required
def admin_awareness_delete(day_id: int):
    row = _get_or_404(day_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    campaigns.delete_day(row, now=now_utc(), actor=current_user)
    db.session.commit()
    flash(gettext("Calendar day deleted."), "success")
    return redirect(url_for(".admin_awareness"))
