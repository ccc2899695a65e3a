"""Coordinator views for campaigns (宣传活动): the list and the calendar ahead, the planner
(preview the proposed sessions, then send the orders to the dispatch pass), a campaign's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ...domain import campaigns as camp
from ...domain import formats as fm
from ...domain.errors import ValidationFailed
from ...extensions import db
from ...services import campaigns
from ...services.clock import local_today, now_utc
from .. import edge
from ..access import coordinator_required
from ..errors import domain_errors
from ..forms import MultiCheckboxField, SafeForm, place_choices
from ..i18n import current_lang, error_message
from . import bp

# The flash area is not a report: past this many skipped places, the rest are summed up.
SKIPPED_SHOWN = 10


class CampaignForm(SafeForm):
    """The planner: what, when, where. The rules are the domain's (``campaigns.validate_plan``);
    the form only reads the input."""

    name = StringField(_l("Name of the campaign"))
    awareness_day = SelectField(_l("Awareness day (optional)"), validate_choice=False)
    topics = MultiCheckboxField(_l("Talks"), validate_choice=False)
    first = DateField(_l("First day"), validators=[
        InputRequired(_l("Please choose the first day of the campaign."))])
    last = DateField(_l("Last day"), validators=[
        InputRequired(_l("Please choose the last day of the campaign."))])
    village_format = RadioField(_l("In villages, the talk is"), validate_choice=False,
                                default="field_class")
    places = MultiCheckboxField(_l("Places"), validate_choice=False)
    notes = TextAreaField(_l("Notes for the team (optional)"),
                          validators=[Optional(), Length(max=camp.MAX_NOTES)])
    #: The places the preview showed as planned: "send" sends those and nothing else.
    planned = HiddenField()

    def fill_choices(self, lang: str) -> None:
        self.awareness_day.choices = [("", gettext("— none —"))] + [
            (str(r.id), r.display(lang)) for r in campaigns.calendar_rows()
            if r.active and r.kind in camp.PLANNABLE]
        self.topics.choices = [(t.code, t.title(lang)) for t in campaigns.active_topics().values()]
        self.village_format.choices = [(f, fm.format_label(f, lang)) for f in camp.VILLAGE_FORMATS]
        groups = place_choices()
        self.places.choices = [c for group in groups.values() for c in group]
        self.place_groups = groups

    def to_input(self) -> camp.PlanInput:
        raw_day = (self.awareness_day.data or "").strip()
        day_id = int(raw_day) if raw_day.isascii() and raw_day.isdigit() and len(raw_day) < 10 \
            else (-1 if raw_day else None)
        return camp.PlanInput(
            name=self.name.data or "", topics=tuple(self.topics.data or ()),
            first=self.first.data, last=self.last.data, places=tuple(self.places.data or ()),
            village_format=self.village_format.data or "", awareness_day_id=day_id,
            notes=self.notes.data or "",
        )


def _page(form: CampaignForm, preview=None, status: int = 200):
    today = local_today(now_utc())
    return render_template(
        "coord/campaign_new.html", form=form, preview=preview,
        upcoming=campaigns.upcoming(today, kinds=camp.PLANNABLE), args=request.args,
        kind_labels=camp.KINDS,
    ), status


@bp.get("/campaigns")
@coordinator_required
def campaigns_list():
    today = local_today(now_utc())
    return render_template("coord/campaigns.html", rows=campaigns.campaigns_overview(),
                           upcoming=campaigns.upcoming(today), kind_labels=camp.KINDS,
                           tally_labels=camp.TALLY_LABELS, today=today)


@bp.get("/campaigns/new")
@coordinator_required
def campaign_new():
    lang = current_lang()
    data = campaigns.planner_defaults(request.args, request.args.getlist,
                                      today=local_today(now_utc()), lang=lang)
    form = CampaignForm(formdata=None, data=data)
    form.fill_choices(lang)
    return _page(form)


@bp.post("/campaigns/new")
@coordinator_required
def campaign_plan():
    form = CampaignForm()
    form.fill_choices(current_lang())
    if not form.validate_on_submit():
        return _page(form, status=422)
    data = form.to_input()
    if request.form.get("action") == "send":
        sending = domain_errors(form)
        with sending:
            report = campaigns.send(data, form.planned.data, now=now_utc(), actor=current_user,
                                    settings=edge.settings())
            db.session.commit()
            _flash_report(report)
            return redirect(url_for(".campaign", campaign_id=report.campaign.id))
        if isinstance(sending.error, ValidationFailed):  # the plan itself: already at its fields
            return _page(form, status=422)
    previewing = domain_errors(form)
    preview = None
    with previewing:
        preview = campaigns.preview(data, now=now_utc(), settings=edge.settings())
        form.planned.data = preview.token
    status = 422 if (form.errors or form.form_errors) else 200
    return _page(form, preview, status)


def _flash_report(report: campaigns.SendReport) -> None:
    flash(ngettext("Campaign saved: %(num)d order placed; the dispatch pass offers it to the team.",
                   "Campaign saved: %(num)d orders placed; the dispatch pass offers them to the "
                   "team.", len(report.orders)), "success")
    for row in report.skipped[:SKIPPED_SHOWN]:
        flash(gettext("Not sent for %(place)s: %(why)s", place=row.place.name,
                      why=error_message(row.problem)), "error")
    if len(report.skipped) > SKIPPED_SHOWN:
        flash(gettext("%(n)d more places were not sent.", n=len(report.skipped) - SKIPPED_SHOWN),
              "error")


@bp.get("/campaigns/<int:campaign_id>")
@coordinator_required
def campaign(campaign_id: int):
    view = campaigns.campaign_view(campaign_id)
    if view is None:
        abort(404)
    topics = campaigns.active_topics()
    c = view.campaign
    # Its orders count in the reports from the day they were placed; its talks up to its end.
    placed = local_today(c.created_at)
    report_query = {"from": min(placed, c.first).isoformat(),
                    "to": max(c.last, placed).isoformat(), "campaign": str(c.id)}
    return render_template("coord/campaign.html", view=view, tally_labels=camp.TALLY_LABELS,
                           topic_titles={k: t.title(current_lang()) for k, t in topics.items()},
                           report_query=report_query)
