"""Coordinator reports page and ledger exports: access, charts with tables, bad input, files."""

import csv
import io
from datetime import date, datetime, time

import openpyxl
import pytest
from flask_babel import force_locale, gettext

from tests.helpers import login
from tests.report_data import accept, at, make_order, make_session

URLS = ["/coord/reports", "/coord/reports/export.xlsx", "/coord/reports/export.csv",
        "/coord/photos/1"]
NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def ledger(db, world, make_member):
    """Two talks in November 2026 (expected figures below), one in October."""
    a = make_member("马建国")
    b = make_member("李海龙")
    o1 = make_order(db, world, created=at(date(2026, 11, 2), 9), status="closed")
    accept(db, o1, at(date(2026, 11, 2), 21))  # 12 h to acceptance
    make_session(db, world, a, order=o1, start=at(date(2026, 11, 6), 9, 30), headcount=60,
                 signins=55, rating=5, helpers=[b],
                 notes="=HYPERLINK(\"http://evil.example\",\"点我\")")
    o2 = make_order(db, world, created=at(date(2026, 11, 10), 8), status="delivered",
                    topics=("traffic_safety", "two_cards"), township=world.far)
    accept(db, o2, at(date(2026, 11, 11), 8))  # 24 h
    make_session(db, world, b, order=o2, start=at(date(2026, 11, 30), 19), headcount=120)
    make_order(db, world, created=at(date(2026, 11, 12), 8), status="cancelled")
    make_session(db, world, a, start=at(date(2026, 10, 30), 10), headcount=999)
    db.session.commit()
    return {"a": a, "b": b, "o1": o1}


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("url", URLS)
def test_members_are_refused(client, make_member, url):
    member = make_member()
    login(client, member.user.username)
    assert client.get(url).status_code == 403


def test_report_page_draws_charts_each_followed_by_a_table(client, coordinator, ledger):
    login(client, coordinator.username)
    response = client.get(f"/coord/reports?{NOV}&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html  # server-drawn, no JavaScript chart library
    charts = html.count("<svg class=\"chart\"")
    assert charts == 7  # stars, 5 breakdowns, orders by month
    # every chart is followed by a table with a caption before the next chart
    for part in html.split("<svg class=\"chart\"")[1:]:
        assert part.index("<table") < part.find("<svg class=\"chart\"") or "<svg" not in part
        table = part[part.index("<table"):]
        assert "<caption" in table.split("</table>")[0]
        assert 'scope="col"' in table.split("</table>")[0]
        assert 'scope="row"' in table.split("</table>")[0]
    assert 'role="img"' in html
    assert "Sessions delivered" in html
    assert ">180<" in html  # audience reached: 60 + 120
    assert "18.0 h" in html  # median time to acceptance: (12 h + 24 h) / 2
    assert "马建国" in html and "李海龙" in html
    assert "13800001234" not in html


def test_bad_parameters_get_a_message_never_a_500(client, coordinator, ledger):
    login(client, coordinator.username)
    response = client.get("/coord/reports?lang=en&from=2026-02-30&to=<b>x</b>&township=abc"
                          "&topic=../x&format=%3Cscript%3E&member=-1")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "is not a date" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "Unknown township" in html and "Unknown team member" in html


def test_filters_narrow_the_figures(client, coordinator, ledger, world):
    login(client, coordinator.username)
    html = client.get(f"/coord/reports?{NOV}&township={world.far.id}").get_data(as_text=True)
    assert ">120<" in html and ">180<" not in html


def read_xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(response.data))


def test_xlsx_ledger_has_typed_cells_and_a_summary(client, coordinator, ledger):
    login(client, coordinator.username)
    response = client.get(f"/coord/reports/export.xlsx?{NOV}&lang=en")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename=ledger-2026-11.xlsx' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    wb = read_xlsx(response)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:5] + header[6:] == [
        "Date", "Start", "End", "Township", "Venue", "Talks", "Team members", "Headcount",
        "Sign-ins", "Photos", "Rating", "Notes", "Order code"]  # [5] is the form of the talk
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 3  # the October talk is outside the period
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["Date"].is_date and row["Date"].value.date() == date(2026, 11, 6)
    assert row["Date"].number_format == "yyyy-mm-dd"
    assert row["Start"].value == time(9, 30) and row["End"].value == time(10, 30)
    assert row["Township"].value == "Sanhe"
    assert row["Team members"].value == "马建国、李海龙"
    assert row["Headcount"].value == 60 and row["Headcount"].data_type == "n"
    assert row["Sign-ins"].value == 55 and row["Rating"].value == 5
    assert isinstance(row["Rating"].value, int)
    assert row["Notes"].data_type == "s"  # text starting with "=" never becomes a formula
    assert row["Notes"].value.startswith("=HYPERLINK")
    assert row["Order code"].value == ledger["o1"].code
    second = {h: c.value for h, c in zip(header, ws[3], strict=True)}
    assert second["Rating"] is None and second["Sign-ins"] is None
    assert second["Date"].date() == date(2026, 11, 30) and second["Start"] == time(19, 0)
    assert ws.column_dimensions["M"].width > ws.column_dimensions["L"].width
    assert "13800001234" not in str([[c.value for c in r] for r in ws.iter_rows()])

    summary = wb.worksheets[1]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    total_at = next(i for i, r in enumerate(rows) if r[0] == "Total")
    assert rows[total_at + 1][:9] == ["All", 2, 180, 55, 0, 3, 2, 1, 0.75]  # 18 h = 0.75 days
    by_month = next(i for i, r in enumerate(rows) if r[0] == "By month")
    assert rows[by_month + 1][:3] == ["2026-11", 2, 180]
    by_member = next(i for i, r in enumerate(rows) if r[0] == "By team member")
    assert rows[by_member][-2:] == ["Talks, all time", "Talks since 2023"]
    member_rows = {r[0]: r for r in rows[by_member + 1:] if r[0]}
    assert member_rows["马建国"][1] == 1 and member_rows["马建国"][-2:] == [2, 2]
    assert member_rows["李海龙"][1] == 2 and member_rows["李海龙"][-2:] == [2, 2]


def test_xlsx_headers_follow_the_language(client, coordinator, ledger, app):
    login(client, coordinator.username)
    wb = read_xlsx(client.get(f"/coord/reports/export.xlsx?{NOV}"))  # Chinese by default
    with app.test_request_context(), force_locale("zh_CN"):
        expected = [gettext("Date"), gettext("Headcount")]
    header = [c.value for c in wb.worksheets[0][1]]
    assert [header[0], header[8]] == expected


def test_csv_ledger_opens_in_excel(client, coordinator, ledger):
    login(client, coordinator.username)
    response = client.get(f"/coord/reports/export.csv?{NOV}&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename=ledger-2026-11.csv' in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:3] == ["Date", "Start", "End"]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Date"], first["Start"], first["Headcount"], first["Sign-ins"]) == (
        "2026-11-06", "09:30", "60", "55")
    assert first["Notes"].startswith("'=HYPERLINK")  # neutralised for spreadsheets
    assert sum(int(r[8]) for r in rows[1:]) == 180
    assert "13800001234" not in text


def test_whole_year_and_odd_ranges_name_the_file(client, coordinator, world):
    login(client, coordinator.username)
    response = client.get("/coord/reports/export.csv?from=2026-01-01&to=2026-12-31")
    assert "filename=ledger-2026.csv" in response.headers["Content-Disposition"]
    response = client.get("/coord/reports/export.csv?from=2026-11-03&to=2026-11-09")
    assert "filename=ledger-2026-11-03_2026-11-09.csv" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8-sig").count("\r\n") == 1  # just the header


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_with_bad_parameters_goes_back_to_the_report(client, coordinator, world, fmt):
    login(client, coordinator.username)
    response = client.get(f"/coord/reports/export.{fmt}?from=nope&to=2026-11-30&_external=1")
    assert response.status_code == 302
    assert response.location.startswith("/coord/reports?")
    assert "from=nope" in response.location and "_external" not in response.location
    follow = client.get(response.location)
    assert follow.status_code == 200


def test_report_page_is_reachable_from_the_coordinator_menu(client, coordinator, world):
    login(client, coordinator.username)
    assert "/coord/reports" in client.get("/coord/").get_data(as_text=True)


def test_default_period_renders(client, coordinator, world):
    login(client, coordinator.username)
    response = client.get("/coord/reports")
    assert response.status_code == 200
    assert datetime.now().strftime("%Y-") in response.get_data(as_text=True)
