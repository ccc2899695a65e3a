"""Coordinator reports: figures and charts, the ledger as .xlsx/.csv, delivery photos."""

from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for

from ...services import evidence
from ...services import reports as report_service
from ...services.clock import now_utc
from ..access import coordinator_required
from ..i18n import current_lang, error_message
from ..photos import send_photo
from . import bp
from .ledger import CSV_MIMETYPE, XLSX_MIMETYPE, csv_bytes, filename, xlsx_bytes

# Only these parameters travel from a refused export back to the report page.
PARAMS = ("from", "to", "township", "topic", "format", "member", "campaign")


@bp.get("/reports")
@coordinator_required
def reports():
    page = report_service.build(request.args, now=now_utc(), lang=current_lang())
    return render_template(
        "coord/reports.html", page=page,
        messages=[error_message(e) for e in page.errors],
    )


def _ledger_page():
    """The report with its ledger, or None when the parameters need fixing on the report page."""
    page = report_service.build(request.args, now=now_utc(), lang=current_lang(), ledger=True)
    return None if page.errors else page


def _back_to_report() -> str:
    return url_for(".reports", **{k: request.args[k][:40] for k in PARAMS if k in request.args})


def _download(data: bytes, mimetype: str, name: str):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"  # names and notes of villagers' talks
    return response


@bp.get("/reports/export.xlsx")
@coordinator_required
def export_xlsx():
    page = _ledger_page()
    if page is None:  # the report page explains what is wrong with the parameters
        return redirect(_back_to_report())
    return _download(xlsx_bytes(page), XLSX_MIMETYPE, filename(page, "xlsx"))


@bp.get("/reports/export.csv")
@coordinator_required
def export_csv():
    page = _ledger_page()
    if page is None:
        return redirect(_back_to_report())
    return _download(csv_bytes(page), CSV_MIMETYPE, filename(page, "csv"))


@bp.get("/photos/<int:photo_id>")
@coordinator_required
def photo(photo_id: int):
    try:
        item = evidence.staff_photo(photo_id)
    except LookupError:
        abort(404)
    return send_photo(item)
