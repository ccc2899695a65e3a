"""The clock is read in one place (`services.clock`) and frozen there: a view, a job and a CLI
command all see the frozen time, and no module reads the time any other way."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import lectureorder
from lectureorder.domain.calendars import TZ
from lectureorder.models import Offer, Order
from lectureorder.services import clock
from tests.helpers import login, order_body

PACKAGE = Path(lectureorder.__file__).parent
# The models' timestamp column default records when a row was written, not a business time.
# Rate-limit windows run on the real clock, as the limits package and Redis TTLs do: never on
# the frozen business clock (web/limits.wall_clock is that module's one read).
MAY_READ_THE_TIME = {PACKAGE / "services" / "clock.py", PACKAGE / "models" / "base.py",
                     PACKAGE / "web" / "limits.py"}
# (module or class name, attribute) pairs that read the wall clock.
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "time_ns"), ("pendulum", "now"),
               ("arrow", "now"), ("arrow", "utcnow")}


def _clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in CLOCK_READS:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                             f"{name}.{node.func.attr}()")
        if isinstance(node, ast.FunctionDef) and node.name == "now_utc" and path not in MAY_READ_THE_TIME:
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} its own now_utc()")
    return found


def test_nothing_but_the_clock_module_reads_the_time():
    problems = [hit for path in sorted(PACKAGE.rglob("*.py")) if path not in MAY_READ_THE_TIME
                for hit in _clock_reads(path)]
    assert not problems, "read the time through services.clock.now_utc():\n" + "\n".join(problems)


def test_every_imported_now_utc_is_the_clock_modules(app):
    """`from ..services.clock import now_utc` binds the function, not a copy of the time:
    freezing the clock reaches modules that imported it by name too."""
    bound = []
    for info in pkgutil.walk_packages(lectureorder.__path__, "lectureorder."):
        module = importlib.import_module(info.name)
        if "now_utc" in vars(module):
            bound.append(info.name)
            assert module.now_utc is clock.now_utc, info.name
    assert "lectureorder.jobs" in bound and "lectureorder.cli" in bound  # the test sees them


def test_freeze_needs_an_aware_time_and_thaws():
    with pytest.raises(ValueError):
        clock.freeze(datetime(2030, 1, 1))
    at = datetime(2030, 1, 1, 8, 0, tzinfo=TZ)
    clock.freeze(at)
    assert clock.now_utc() == at and clock.now_utc().tzinfo is UTC
    clock.freeze(None)
    assert abs(clock.now_utc() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_view_sees_the_frozen_clock(client, world, db):
    clock.freeze(datetime(2031, 5, 4, 23, 30, tzinfo=UTC))  # already May 5th in Beijing
    page = client.get("/orders/new").get_data(as_text=True)
    assert 'value="2031-05-05"' in page


def test_views_jobs_and_cli_see_the_same_frozen_clock(app, client, runner, world, make_member,
                                                      frozen_now, db, monkeypatch, dispatch_pass):
    from lectureorder import jobs
    from lectureorder.services import dispatch

    member = make_member()
    assert client.post("/api/v1/orders", json=order_body(world)).status_code == 201  # API view
    dispatch_pass()
    offer = db.session.scalar(select(Offer))
    assert offer.expires_at > frozen_now
    assert offer.expires_at - frozen_now <= timedelta(hours=app.config["OFFER_EXPIRY_HOURS"])

    login(client, member.user.username)  # an HTML view: the offer is open at the frozen time
    assert f"offer-{offer.id}" in client.get("/member/").get_data(as_text=True)
    clock.freeze(offer.expires_at + timedelta(minutes=1))  # move the one clock on
    assert f"offer-{offer.id}" not in client.get("/member/").get_data(as_text=True)

    seen = []
    real_sweep = dispatch.expire_offers

    def sweep(*, now, settings):
        seen.append(now)
        return real_sweep(now=now, settings=settings)

    monkeypatch.setattr(dispatch, "expire_offers", sweep)
    result = runner.invoke(args=["expire-offers"])  # a CLI command
    assert result.exit_code == 0 and "expired 1" in result.output, result.output
    assert seen == [offer.expires_at + timedelta(minutes=1)]

    later = offer.expires_at + timedelta(days=1)
    clock.freeze(later)
    assert jobs.run_job(app, lambda now, settings: seen.append(now) or 0, "probe") == 0  # a job
    assert seen[-1] == later
    db.session.expire_all()
    assert db.session.scalar(select(Order)).offers[0].status == "expired"
