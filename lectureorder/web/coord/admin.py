"""Coordinator views for the calendars behind scheduling: markets, school terms, township
blackouts, announced 调休 days, the film season and the equipment kits (/coord/admin/...)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ...domain.errors import DomainError, ValidationFailed
from ...extensions import db
from ...models import Blackout, EquipmentKit, HolidayOverride, Market, School, SchoolTerm, Township
from ...services import calendar_admin as admin
from ...services import clock
from ...services import holidays_admin as holidays
from ...services import screenings_admin as screenings
from ..access import coordinator_required
from ..forms import apply_errors
from ..i18n import current_lang
from . import bp
from .admin_forms import (
    WEEKDAY_CHOICES,
    BlackoutForm,
    FilmSeasonForm,
    HolidayForm,
    KitForm,
    MarketForm,
    TermForm,
    township_choices,
)
from .forms import ActionForm


def _get_or_404(model, ident: int):
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _townships() -> list[Township]:
    return list(db.session.scalars(select(Township).order_by(Township.position, Township.id)))


def _today() -> date:
    return clock.local_today(clock.now_utc())


def _save(form: FlaskForm, change: Callable[[], Any], message: str) -> Any:
    """Run one service change for a submitted form: commit, flash and return what it saved;
    or put its errors onto the fields (nothing saved) and return None."""
    if not form.validate_on_submit():
        return None
    try:
        saved = change()
    except (DomainError, ValidationFailed) as exc:
        db.session.rollback()  # expires what the failed change touched: pages show stored values
        apply_errors(form, exc)
        return None
    db.session.commit()
    flash(message, "success")
    return saved


def _page(template: str, form: FlaskForm, **context):
    """Render a form page: 422 when the form carries errors, so nothing looks saved."""
    status = 422 if form.errors else 200
    return render_template(template, form=form, weekday_names=dict(WEEKDAY_CHOICES),
                           **context), status


def _check_action_form() -> None:
    """One-button actions (delete) still need their CSRF token."""
    if not ActionForm().validate_on_submit():
        abort(400)


# --- Home --------------------------------------------------------------------------------------


@bp.get("/admin/")
@coordinator_required
def admin_home():
    summary = admin.admin_summary(
        _today(), default_all_year=current_app.config["FILM_SEASON_ALL_YEAR"])
    return render_template("coord/admin/index.html", summary=summary)


# --- Markets -----------------------------------------------------------------------------------


@bp.get("/admin/markets")
@coordinator_required
def admin_markets():
    return render_template("coord/admin/markets.html", markets=admin.market_overview(_today()))


@bp.route("/admin/markets/new", methods=["GET", "POST"])
@coordinator_required
def admin_market_new():
    form = MarketForm()
    form.township_id.choices = township_choices(_townships(), current_lang())
    market = _save(form, lambda: admin.create_market(form.to_data(), now=clock.now_utc(),
                                                     actor=current_user),
                   gettext("Market saved. Check its next market days below."))
    if market is not None:
        return redirect(url_for(".admin_markets", _anchor=f"market-{market.id}"))
    return _page("coord/admin/market_form.html", form, market=None, view=None)


@bp.route("/admin/markets/<int:market_id>", methods=["GET", "POST"])
@coordinator_required
def admin_market_edit(market_id: int):
    market = _get_or_404(Market, market_id)
    form = MarketForm() if request.method == "POST" else MarketForm(
        data=admin.market_form_data(market))
    form.township_id.choices = township_choices(_townships(), current_lang())
    if _save(form, lambda: admin.update_market(market, form.to_data(), now=clock.now_utc(),
                                               actor=current_user),
             gettext("Market saved. Check its next market days below.")):
        return redirect(url_for(".admin_markets", _anchor=f"market-{market.id}"))
    return _page("coord/admin/market_form.html", form, market=market,
                 view=admin.market_view(market, _today()))


# --- School terms ------------------------------------------------------------------------------


@bp.get("/admin/schools")
@coordinator_required
def admin_schools():
    return render_template("coord/admin/schools.html", schools=admin.schools_overview(),
                           today=_today())


@bp.route("/admin/schools/<int:school_id>/terms", methods=["GET", "POST"])
@coordinator_required
def admin_terms(school_id: int):
    school = _get_or_404(School, school_id)
    form = TermForm()
    if _save(form, lambda: admin.add_term(school, form.first.data, form.last.data,
                                          now=clock.now_utc(), actor=current_user),
             gettext("Term added.")):
        return redirect(url_for(".admin_terms", school_id=school_id))
    return _page("coord/admin/terms.html", form, school=school, action_form=ActionForm(),
                 today=_today())


@bp.route("/admin/terms/<int:term_id>", methods=["GET", "POST"])
@coordinator_required
def admin_term_edit(term_id: int):
    term = _get_or_404(SchoolTerm, term_id)
    school_id = term.school_id
    form = TermForm() if request.method == "POST" else TermForm(obj=term)
    if _save(form, lambda: admin.update_term(term, form.first.data, form.last.data,
                                             now=clock.now_utc(), actor=current_user),
             gettext("Term saved.")):
        return redirect(url_for(".admin_terms", school_id=school_id))
    return _page("coord/admin/term_form.html", form, term=term,
                 school=_get_or_404(School, school_id))


@bp.post("/admin/terms/<int:term_id>/delete")
@coordinator_required
def admin_term_delete(term_id: int):
    term = _get_or_404(SchoolTerm, term_id)
    school_id = term.school_id
    _check_action_form()
    admin.delete_term(term, now=clock.now_utc(), actor=current_user)
    db.session.commit()
    flash(gettext("Term deleted."), "success")
    return redirect(url_for(".admin_terms", school_id=school_id))


# --- Township blackouts ------------------------------------------------------------------------


@bp.get("/admin/blackouts")
@coordinator_required
def admin_blackouts():
    return render_template("coord/admin/blackouts.html", blackouts=admin.blackouts_overview(),
                           weekday_names=dict(WEEKDAY_CHOICES), action_form=ActionForm(),
                           today=_today())


@bp.route("/admin/blackouts/new", methods=["GET", "POST"])
@coordinator_required
def admin_blackout_new():
    form = BlackoutForm() if request.method == "POST" else BlackoutForm(
        data={"township_id": request.args.get("township", "")[:10]})
    form.township_id.choices = township_choices(_townships(), current_lang())
    if _save(form, lambda: admin.create_blackout(form.to_data(), now=clock.now_utc(),
                                                 actor=current_user),
             gettext("Blackout saved.")):
        return redirect(url_for(".admin_blackouts"))
    return _page("coord/admin/blackout_form.html", form, blackout=None)


@bp.route("/admin/blackouts/<int:blackout_id>", methods=["GET", "POST"])
@coordinator_required
def admin_blackout_edit(blackout_id: int):
    blackout = _get_or_404(Blackout, blackout_id)
    form = BlackoutForm() if request.method == "POST" else BlackoutForm(data={
        "township_id": str(blackout.township_id), "label": blackout.label,
        "first": blackout.first, "last": blackout.last, "weekdays": list(blackout.weekdays or []),
        "start": blackout.start, "end": blackout.end,
    })
    form.township_id.choices = township_choices(_townships(), current_lang())
    if _save(form, lambda: admin.update_blackout(blackout, form.to_data(), now=clock.now_utc(),
                                                 actor=current_user),
             gettext("Blackout saved.")):
        return redirect(url_for(".admin_blackouts"))
    return _page("coord/admin/blackout_form.html", form,
                 blackout=blackout)


@bp.post("/admin/blackouts/<int:blackout_id>/delete")
@coordinator_required
def admin_blackout_delete(blackout_id: int):
    blackout = _get_or_404(Blackout, blackout_id)
    _check_action_form()
    admin.delete_blackout(blackout, now=clock.now_utc(), actor=current_user)
    db.session.commit()
    flash(gettext("Blackout deleted."), "success")
    return redirect(url_for(".admin_blackouts"))


# --- Holiday overrides (调休) ------------------------------------------------------------------


@bp.route("/admin/holidays", methods=["GET", "POST"])
@coordinator_required
def admin_holidays():
    # The "enter it" links next to unpublished holidays fill in the date and name.
    form = HolidayForm() if request.method == "POST" else HolidayForm(data={
        "day": _iso_day(request.args.get("day", "")), "name": request.args.get("name", "")[:60],
    })
    if _save(form, lambda: holidays.create_holiday(form.to_data(), now=clock.now_utc(),
                                                actor=current_user),
             gettext("Date saved.")):
        return redirect(url_for(".admin_holidays"))
    return _page("coord/admin/holidays.html", form, overview=holidays.holiday_overview(_today()),
                 action_form=ActionForm())


def _iso_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.route("/admin/holidays/<int:override_id>", methods=["GET", "POST"])
@coordinator_required
def admin_holiday_edit(override_id: int):
    override = _get_or_404(HolidayOverride, override_id)
    form = HolidayForm() if request.method == "POST" else HolidayForm(data={
        "day": override.day, "name": override.name,
        "working": "working" if override.working else "holiday",
    })
    if _save(form, lambda: holidays.update_holiday(override, form.to_data(), now=clock.now_utc(),
                                                actor=current_user),
             gettext("Date saved.")):
        return redirect(url_for(".admin_holidays"))
    return _page("coord/admin/holiday_form.html", form,
                 override=override)


@bp.post("/admin/holidays/<int:override_id>/delete")
@coordinator_required
def admin_holiday_delete(override_id: int):
    override = _get_or_404(HolidayOverride, override_id)
    _check_action_form()
    holidays.delete_holiday(override, now=clock.now_utc(), actor=current_user)
    db.session.commit()
    flash(gettext("Date deleted."), "success")
    return redirect(url_for(".admin_holidays"))


# --- Film season -------------------------------------------------------------------------------


@bp.route("/admin/film-season", methods=["GET", "POST"])
@coordinator_required
def admin_film_season():
    default_all_year = current_app.config["FILM_SEASON_ALL_YEAR"]
    if request.method == "POST":
        form = FilmSeasonForm()
    else:
        season = screenings.film_season_view(default_all_year)
        form = FilmSeasonForm(data={
            "all_year": season.all_year, "start_month": season.start[0],
            "start_day": season.start[1], "end_month": season.end[0], "end_day": season.end[1],
        })
    if _save(form, lambda: screenings.save_film_season(form.to_data(), now=clock.now_utc(),
                                                  actor=current_user),
             gettext("Film season saved.")):
        return redirect(url_for(".admin_film_season"))
    return _page("coord/admin/film_season.html", form,
                 season=screenings.film_season_view(default_all_year))


# --- Equipment kits ----------------------------------------------------------------------------


@bp.get("/admin/kits")
@coordinator_required
def admin_kits():
    return render_template("coord/admin/kits.html", kits=screenings.kits_overview())


@bp.route("/admin/kits/new", methods=["GET", "POST"])
@coordinator_required
def admin_kit_new():
    form = KitForm()
    form.base_township_id.choices = township_choices(_townships(), current_lang())
    if _save(form, lambda: screenings.create_kit(form.to_data(), now=clock.now_utc(),
                                            actor=current_user),
             gettext("Kit saved.")):
        return redirect(url_for(".admin_kits"))
    return _page("coord/admin/kit_form.html", form, kit=None)


@bp.route("/admin/kits/<int:kit_id>", methods=["GET", "POST"])
@coordinator_required
def admin_kit_edit(kit_id: int):
    kit = _get_or_404(EquipmentKit, kit_id)
    form = KitForm() if request.method == "POST" else KitForm(data={
        "name": kit.name, "contents": kit.contents, "active": kit.active,
        "base_township_id": str(kit.base_township_id or ""),
    })
    form.base_township_id.choices = township_choices(_townships(), current_lang())
    if _save(form, lambda: screenings.update_kit(kit, form.to_data(), now=clock.now_utc(),
                                            actor=current_user),
             gettext("Kit saved.")):
        return redirect(url_for(".admin_kits"))
    return _page("coord/admin/kit_form.html", form, kit=kit)
