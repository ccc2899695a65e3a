"""The session ledger (台账) as files: .xlsx with typed cells and a summary sheet, and .csv."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, time
from typing import Any

from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...domain.reports import DIMENSIONS
from ...services.reports import LedgerRow, ReportPage

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
# A spreadsheet runs text starting with these as a formula (CSV/formula injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def ledger_columns() -> list[tuple[str, Callable[[LedgerRow], Any], str | None]]:
    """(header, value, number format) per column; headers in the reader's language."""
    return [
        (gettext("Date"), lambda r: r.day, DATE_FORMAT),
        (gettext("Start"), lambda r: r.start, TIME_FORMAT),
        (gettext("End"), lambda r: r.end, TIME_FORMAT),
        (gettext("Township"), lambda r: r.township, None),
        (gettext("Venue"), lambda r: r.venue, None),
        (gettext("Form"), lambda r: r.format, None),
        (gettext("Talks"), lambda r: r.topics, None),
        (gettext("Team members"), lambda r: r.members, None),
        (gettext("Headcount"), lambda r: r.headcount, "0"),
        (gettext("Sign-ins"), lambda r: r.signins, "0"),
        (gettext("Photos"), lambda r: r.photos, "0"),
        (gettext("Rating"), lambda r: r.rating, "0"),
        (gettext("Notes"), lambda r: r.notes, None),
        (gettext("Order code"), lambda r: r.order_code, None),
    ]


def summary_columns(with_career: bool, since_year: int) -> list[tuple[str, Callable, str | None]]:
    def days(td):
        return round(td.total_seconds() / 86400, 2) if td is not None else None

    columns: list[tuple[str, Callable, str | None]] = [
        (gettext("Sessions delivered"), lambda f: f.sessions, "0"),
        (gettext("Audience reached"), lambda f: f.audience, "0"),
        (gettext("Sign-ins"), lambda f: f.signins, "0"),
        (gettext("Photos"), lambda f: f.photos, "0"),
        (gettext("Orders received"), lambda f: f.received, "0"),
        (gettext("Orders fulfilled"), lambda f: f.fulfilled, "0"),
        (gettext("Orders cancelled"), lambda f: f.cancelled, "0"),
        (gettext("Median days to acceptance"), lambda f: days(f.to_acceptance), "0.00"),
        (gettext("Median days to delivery"), lambda f: days(f.to_delivery), "0.00"),
        (gettext("Ratings"), lambda f: f.rating_count, "0"),
        (gettext("Average rating"), lambda f: round(f.rating_avg, 2) if f.rating_avg else None,
         "0.00"),
    ]
    if with_career:
        columns += [
            (gettext("Talks, all time"), lambda c: c[0] if c else None, "0"),
            (gettext("Talks since %(year)d", year=since_year), lambda c: c[1] if c else None, "0"),
        ]
    return columns


def dimension_titles() -> dict[str, str]:
    return {
        "month": gettext("By month"), "township": gettext("By township"),
        "topic": gettext("By talk"), "format": gettext("By form"),
        "member": gettext("By team member"),
    }


def not_set() -> str:
    return gettext("(not set)")


def safe_text(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is kept as text by a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, date | time):
        return 10
    text = value if isinstance(value, str) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit_columns(ws: Worksheet, widths: dict[int, int], minimum: int = 6, maximum: int = 60) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(maximum, width + 2))


def _write_row(ws: Worksheet, row: int, values: Sequence[Any], formats: Sequence[str | None],
               widths: dict[int, int], bold: bool = False) -> None:
    for col, (value, number_format) in enumerate(zip(values, formats, strict=True), start=1):
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # openpyxl would store it as a formula
        if number_format and not isinstance(value, str) and value is not None:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        if isinstance(value, str) and len(value) > 60:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[col] = max(widths.get(col, 0), _display_width(value))


def _filter_line(page: ReportPage) -> str:
    flt = page.filter
    parts = [gettext("Period: %(first)s – %(last)s", first=flt.first.isoformat(),
                     last=flt.last.isoformat())]
    for dim, title in (("township", gettext("Township")), ("topic", gettext("Talk")),
                       ("format", gettext("Form")), ("member", gettext("Team member"))):
        value = getattr(flt, dim)
        if value is not None:
            label = next((c.label for c in page.choices[dim] if c.value == value), str(value))
            parts.append(f"{title}: {label}")
    return " · ".join(parts)


def xlsx_bytes(page: ReportPage) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = gettext("Ledger")[:31]
    columns = ledger_columns()
    widths: dict[int, int] = {}
    _write_row(ws, 1, [c[0] for c in columns], [None] * len(columns), widths, bold=True)
    for i, row in enumerate(page.ledger, start=2):
        _write_row(ws, i, [c[1](row) for c in columns], [c[2] for c in columns], widths)
    ws.freeze_panes = "A2"
    if page.ledger:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(page.ledger) + 1}"
    _fit_columns(ws, widths)

    summary = wb.create_sheet(gettext("Summary")[:31])
    _write_summary(summary, page)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _write_summary(ws: Worksheet, page: ReportPage) -> None:
    widths: dict[int, int] = {}
    ws.cell(row=1, column=1, value=_filter_line(page)).font = Font(bold=True)
    row = 3
    plain = summary_columns(False, page.since.year)
    header = [gettext("Total")] + [c[0] for c in plain]
    _write_row(ws, row, header, [None] * len(header), widths, bold=True)
    _write_row(ws, row + 1, [gettext("All")] + [c[1](page.total) for c in plain],
               [None] + [c[2] for c in plain], widths)
    row += 3
    titles = dimension_titles()
    for dim in DIMENSIONS:
        career = dim == "member"
        columns = summary_columns(career, page.since.year)
        header = [titles[dim]] + [c[0] for c in columns]
        _write_row(ws, row, header, [None] * len(header), widths, bold=True)
        row += 1
        for item in page.rows[dim]:
            values = [item.label if item.label is not None else not_set()]
            values += [value(item.figures) for _title, value, _fmt in columns[:len(plain)]]
            values += [value(item.career) for _title, value, _fmt in columns[len(plain):]]
            _write_row(ws, row, values, [None] + [c[2] for c in columns], widths)
            row += 1
        row += 1
    _fit_columns(ws, {1: max(widths.get(1, 0), 12), **{k: v for k, v in widths.items() if k > 1}},
                 maximum=40)
    ws.freeze_panes = "B1"


def csv_bytes(page: ReportPage) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Chinese), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ledger_columns()
    writer.writerow([c[0] for c in columns])
    for row in page.ledger:
        writer.writerow([_csv_value(c[1](row)) for c in columns])
    return out.getvalue().encode("utf-8-sig")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(value)


def filename(page: ReportPage, extension: str) -> str:
    return f"ledger-{page.filter.file_stem}.{extension}"
