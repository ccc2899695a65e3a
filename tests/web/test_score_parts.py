"""Score parts reach people translated: labels and notes on the order page and in the API."""

from flask import g
from flask_babel import gettext
from sqlalchemy import select

from lectureorder.domain.matching import PART_LABELS
from lectureorder.models import Offer
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body
from tests.web.test_api import token


def fresh_locale() -> None:
    """The test app context outlives requests, and Flask-Babel caches the locale in `g`."""
    g.pop("_flask_babel", None)


def chinese(app, msgid: str, **params) -> str:
    with app.test_request_context("/"):
        fresh_locale()
        text = gettext(msgid, **params)
    fresh_locale()
    return text


def place(client, world) -> str:
    response = client.post("/api/v1/orders", json=order_body(world))
    assert response.status_code == 201
    run_dispatch_pass()
    return response.get_json()["code"]


def test_candidates_api_gives_labels_and_notes_in_the_language_asked(
        client, world, make_member, coordinator, frozen_now, app):
    make_member()
    code = place(client, world)
    headers = token(client, coordinator.username)
    fresh_locale()
    data = client.get(f"/api/v1/orders/{code}/candidates?lang=en", headers=headers).get_json()
    parts = {p["name"]: p for p in data["candidates"][0]["parts"]}
    assert list(parts) == ["vice_principal", "distance", "fairness", "experience", "rating"]
    assert parts["distance"]["label"] == "Distance"
    assert parts["distance"]["note"].endswith(" km from home")
    assert parts["fairness"]["note"] == "sessions in the last 30 days: 0"
    assert parts["rating"]["note"] == "no ratings yet"
    assert parts["vice_principal"]["note"] == ""
    assert {"weight", "value", "points"} <= set(parts["distance"])

    fresh_locale()
    data = client.get(f"/api/v1/orders/{code}/candidates", headers=headers).get_json()
    parts = {p["name"]: p for p in data["candidates"][0]["parts"]}
    label = chinese(app, PART_LABELS["fairness"])
    assert label != PART_LABELS["fairness"]  # the catalogue translates it
    assert parts["fairness"]["label"] == label
    assert parts["rating"]["note"] == chinese(app, "no ratings yet")


def test_order_page_shows_translated_parts(client, world, make_member, coordinator, frozen_now, app):
    make_member()
    code = place(client, world)
    login(client, coordinator.username)
    fresh_locale()
    page = client.get(f"/coord/orders/{code}").get_data(as_text=True)
    assert chinese(app, PART_LABELS["fairness"]) in page
    assert "Recent load (fairness)" not in page and "no ratings yet" not in page
    fresh_locale()
    page = client.get(f"/coord/orders/{code}?lang=en").get_data(as_text=True)
    assert "Recent load (fairness)" in page and "(no ratings yet)" in page


def test_member_offer_parts_are_translated_old_offers_keep_their_text(
        client, world, make_member, frozen_now, db, app):
    member = make_member()
    place(client, world)
    headers = token(client, member.user.username)
    fresh_locale()
    (offer,) = client.get("/api/v1/member/offers?lang=en", headers=headers).get_json()
    parts = {p["name"]: p for p in offer["parts"]}
    assert parts["distance"]["label"] == "Distance" and parts["rating"]["note"] == "no ratings yet"

    stored = db.session.scalar(select(Offer))  # an offer stored before parts carried notes
    stored.parts = [{"name": "distance", "weight": 25.0, "value": 1.0, "points": 25.0,
                     "detail": "0.0 km"}]
    db.session.commit()
    fresh_locale()
    (offer,) = client.get("/api/v1/member/offers?lang=en", headers=headers).get_json()
    assert offer["parts"] == [{"name": "distance", "label": "Distance", "weight": 25.0,
                               "value": 1.0, "points": 25.0, "note": "0.0 km"}]
