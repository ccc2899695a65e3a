"""Coordinator views for one requester's data (PIPL): find by phone, export it, erase it."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from ...domain.contact import mask_phone
from ...domain.errors import DomainError
from ...extensions import db
from ...services import privacy
from ...services.clock import local_today, now_utc
from ..access import coordinator_required
from ..errors import domain_errors
from ..forms import apply_errors
from . import bp
from .privacy_forms import RequesterActionForm, RequesterLookupForm

MIMETYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def _page(form: RequesterLookupForm, phone: str | None = None, orders=None, status: int = 200):
    action = RequesterActionForm(formdata=None, phone=phone) if phone else None
    return render_template("coord/privacy.html", form=form, phone=phone, orders=orders,
                           masked=mask_phone(phone), action=action), status


@bp.get("/privacy")
@coordinator_required
def privacy_home():
    return _page(RequesterLookupForm(formdata=None))


@bp.post("/privacy")
@coordinator_required
def privacy_find():
    form = RequesterLookupForm()
    errors = domain_errors(form)
    if form.validate_on_submit():
        with errors:
            phone, orders = privacy.orders_for_phone(form.phone.data)
            return _page(form, phone, orders)
    return _page(form, status=errors.status)


def _action_form() -> tuple[RequesterActionForm, str | None, list | None]:
    """The posted action form and the orders of its phone; (form, None, None) when invalid."""
    form = RequesterActionForm()
    if not form.validate_on_submit():
        return form, None, None
    try:
        phone, orders = privacy.orders_for_phone(form.phone.data)
    except DomainError as exc:
        apply_errors(form, exc)
        return form, None, None
    return form, phone, orders


def _start_again():
    flash(gettext("Please enter the phone number again."), "error")
    return redirect(url_for(".privacy_home"))


@bp.post("/privacy/export")
@coordinator_required
def privacy_export():
    form, phone, orders = _action_form()
    if phone is None:
        return _start_again()
    kind = form.format.data or "json"
    now = now_utc()
    data = (privacy.export_json(phone, orders, now=now) if kind == "json"
            else privacy.export_csv(orders))
    # the file name carries no phone: downloads folders and proxies keep names
    name = f"requester-data-{local_today(now).isoformat()}.{kind}"
    response = send_file(io.BytesIO(data), mimetype=MIMETYPES[kind], as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/privacy/erase")
@coordinator_required
def privacy_erase():
    form, phone, orders = _action_form()
    if phone is None:
        return _start_again()
    if form.confirm.data != "yes":  # the first press asks: are you sure?
        confirm = RequesterActionForm(formdata=None, phone=phone, confirm="yes")
        return render_template("coord/privacy_confirm.html", form=confirm, orders=orders,
                               masked=mask_phone(phone))
    with domain_errors():
        erased = privacy.erase_requester(phone, now=now_utc(), actor=current_user)
        db.session.commit()
        flash(ngettext("The requester's data was erased from %(num)d order.",
                       "The requester's data was erased from %(num)d orders.", len(erased)),
              "success")
    return redirect(url_for(".privacy_home"))
