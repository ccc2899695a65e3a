"""Settings are built from config at the edge and passed in: no service reads current_app,
every edge and every service-to-service call hands them on, and bad config stops the start."""

from __future__ import annotations

import ast
import inspect
import pkgutil
import re
from importlib import import_module
from pathlib import Path

import pytest

import lectureorder.services as services_pkg
from config import DefaultConfig
from lectureorder import create_app
from lectureorder.domain.matching import Weights
from lectureorder.services.settings import DEFAULTS, Settings

ROOT = Path(__file__).resolve().parents[1] / "lectureorder"


def settings_taking() -> dict[str, int | None]:
    """Service functions that take ``settings``: name -> its position when it may be passed
    positionally (else None)."""
    found: dict[str, int | None] = {}
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = import_module(f"lectureorder.services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters.values())
            for i, param in enumerate(params):
                if param.name == "settings":
                    found[name] = i if param.kind is param.POSITIONAL_OR_KEYWORD else None
    found.pop("from_app", None)
    return found


# Calls on these names are not the services': the domain's own propose_slots takes its
# SlotSettings, and web/edge builds the settings itself.
OTHER_OWNERS = {"fm", "edge"}


def calls_without_settings(path: Path, wanted: dict[str, int | None]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id in OTHER_OWNERS:
                continue
            name = func.attr
        else:
            name = getattr(func, "id", None)
        if name not in wanted:
            continue
        position = wanted[name]
        by_keyword = any(k.arg in ("settings", None) for k in node.keywords)
        by_position = position is not None and len(node.args) > position
        if not (by_keyword or by_position):
            missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}()")
    return missing


def test_the_defaults_are_default_config():
    config = {k: getattr(DefaultConfig, k) for k in dir(DefaultConfig) if k.isupper()}
    assert Settings.from_config(config) == DEFAULTS


def test_no_service_reads_current_app():
    reads = re.compile(r"import[^\n]*\bcurrent_app\b|\bcurrent_app[.\[]")
    offenders = [p.name for p in (ROOT / "services").glob("*.py")
                 if reads.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_every_edge_and_service_call_passes_the_settings():
    wanted = settings_taking()
    assert {"place_order", "dispatch_order", "propose_slots", "expire_offers",
            "plan_backlog", "rain_out"} <= set(wanted)
    files = [*(ROOT / "web").rglob("*.py"), ROOT / "cli.py", ROOT / "jobs.py",
             *(ROOT / "services").glob("*.py")]
    missing = [m for f in files for m in calls_without_settings(f, wanted)]
    assert missing == [], "\n".join(missing)


def test_the_config_reaches_the_services_through_the_edge(client, world, make_member, app, db,
                                                          frozen_now, dispatch_pass):
    from sqlalchemy import func, select

    from lectureorder.models import Offer
    from tests.helpers import order_body

    for name in ("甲", "乙", "丙"):
        make_member(name=name)
    app.config.update(DISPATCH_MODE="pool", DISPATCH_POOL_SIZE=2, OFFER_EXPIRY_HOURS=2)
    assert client.post("/api/v1/orders", json=order_body(world)).status_code == 201
    dispatch_pass()
    offers = db.session.scalars(select(Offer)).all()
    assert len(offers) == 2  # the pool size from config, read at the edge
    assert all(o.expires_at - frozen_now <= __import__("datetime").timedelta(hours=2)
               for o in offers)
    assert db.session.scalar(select(func.count()).select_from(Offer)) == 2


@pytest.mark.parametrize(("key", "value"), [
    ("DISPATCH_MODE", "random"), ("DISPATCH_POOL_SIZE", 0), ("MATCH_WEIGHTS", {"luck": 1}),
    ("OFFER_EXPIRY_HOURS", "soon"),
])
def test_bad_config_stops_the_start(tmp_path, key, value):
    with pytest.raises(RuntimeError, match="invalid configuration"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}", key: value})


def test_weights_come_from_config():
    settings = Settings.from_config({"MATCH_WEIGHTS": {"distance": 50}})
    assert settings.weights == Weights(distance=50)
