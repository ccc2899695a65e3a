"""The HTML views' one error idiom (`web.errors.domain_errors`): rollback, message, status.

First on two small views built for the test (a form view and a redirecting view that write a
row, then fail), then through real views of each kind.
"""

from __future__ import annotations

import pytest
from flask import flash, get_flashed_messages, redirect, render_template_string, request
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import StringField

from lectureorder.domain.errors import N_, Conflict, DomainError, ValidationFailed
from lectureorder.extensions import db as _db
from lectureorder.models import LectureSession, Order, Township
from lectureorder.web.errors import domain_errors
from tests.conftest import run_dispatch_pass
from tests.helpers import login, order_body

RANGE = N_("Please enter a number from %(min)s to %(max)s.")
RANGE_ZH = "请填写 1 到 5 之间的数字。"
TAKEN = N_("Sorry, this order has already been taken or the offer has expired.")
TAKEN_ZH = "抱歉，这个订单已被别人接了，或已过了接单时限。"

PAGE = """{% for m in get_flashed_messages() %}<p class="flash">{{ m }}</p>{% endfor %}
{% for m in form.name.errors %}<p class="field">{{ m }}</p>{% endfor %}
{% for m in form.form_errors %}<p class="top">{{ m }}</p>{% endfor %}"""


class NameForm(FlaskForm):
    name = StringField()


def _fail(how: str) -> None:
    """Write a row, then fail the way the form asks: the row must never reach the database."""
    _db.session.add(Township(name=f"写了一半-{how}", position=99))
    _db.session.flush()
    if how == "invalid":
        raise ValidationFailed([DomainError("name", RANGE, min=1, max=5),
                                DomainError(None, TAKEN)])
    if how == "rule":
        raise DomainError("name", RANGE, min=1, max=5)
    if how == "conflict":
        raise Conflict(None, TAKEN)
    if how == "crash":
        raise RuntimeError("not a domain error")


@pytest.fixture
def idiom_app(app):
    def form_view():
        form = NameForm()
        errors = domain_errors(form)
        if form.validate_on_submit():
            with errors:
                _fail(form.name.data)
                _db.session.commit()
                flash("saved", "success")
                return redirect("/_idiom/form")
        return render_template_string(PAGE, form=form), errors.status

    def redirect_view():
        with domain_errors():
            _fail(request.form["how"])
            _db.session.commit()
            flash("saved", "success")
        return redirect("/_idiom/done")

    def done():
        return "|".join(get_flashed_messages())

    def unguarded():
        _fail(request.form["how"])
        return "unreachable"

    app.add_url_rule("/_idiom/form", "idiom_form", form_view, methods=["GET", "POST"])
    app.add_url_rule("/_idiom/redirect", "idiom_redirect", redirect_view, methods=["POST"])
    app.add_url_rule("/_idiom/done", "idiom_done", done)
    app.add_url_rule("/_idiom/unguarded", "idiom_unguarded", unguarded, methods=["POST"])
    return app


def townships(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Township))


def test_form_view_validation_failure_is_422_on_the_fields_and_writes_nothing(idiom_app, client, db):
    response = client.post("/_idiom/form", data={"name": "invalid"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field">{RANGE_ZH}</p>' in page  # translated, params filled, by its field
    assert f'<p class="top">{TAKEN_ZH}</p>' in page  # no field: at the top of the form
    assert 'class="flash"' not in page
    assert townships(db) == 0


def test_form_view_single_rule_error_goes_to_its_field(idiom_app, client, db):
    response = client.post("/_idiom/form", data={"name": "rule"})
    assert response.status_code == 422
    assert f'<p class="field">{RANGE_ZH}</p>' in response.get_data(as_text=True)
    assert townships(db) == 0


def test_form_view_conflict_is_409_flashed_not_blamed_on_a_field(idiom_app, client, db):
    response = client.post("/_idiom/form", data={"name": "conflict"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f'<p class="flash">{TAKEN_ZH}</p>' in page
    assert 'class="field"' not in page and 'class="top"' not in page
    assert townships(db) == 0


def test_form_view_success_and_get(idiom_app, client, db):
    assert client.get("/_idiom/form").status_code == 200
    response = client.post("/_idiom/form", data={"name": "ok"})
    assert response.status_code == 302
    assert townships(db) == 1


def test_form_view_in_english(idiom_app, client, db):
    client.get("/lang/en")
    page = client.post("/_idiom/form", data={"name": "invalid"}).get_data(as_text=True)
    assert "Please enter a number from 1 to 5." in page


@pytest.mark.parametrize("how", ["conflict", "rule", "invalid"])
def test_redirecting_view_flashes_after_the_redirect_and_writes_nothing(idiom_app, client, db, how):
    response = client.post("/_idiom/redirect", data={"how": how})
    assert response.status_code == 302 and response.location == "/_idiom/done"
    flashed = client.get("/_idiom/done").get_data(as_text=True).split("|")
    assert (TAKEN_ZH in flashed) if how != "rule" else (flashed == [RANGE_ZH])
    assert "saved" not in flashed
    assert townships(db) == 0


def test_redirecting_view_success_commits(idiom_app, client, db):
    assert client.post("/_idiom/redirect", data={"how": "ok"}).status_code == 302
    assert client.get("/_idiom/done").get_data(as_text=True) == "saved"
    assert townships(db) == 1


def test_other_exceptions_are_not_swallowed(idiom_app, client, db):
    with pytest.raises(RuntimeError):
        client.post("/_idiom/redirect", data={"how": "crash"})


@pytest.mark.parametrize(("how", "status", "message"), [
    ("conflict", 409, TAKEN_ZH), ("rule", 422, RANGE_ZH), ("invalid", 422, RANGE_ZH)])
def test_an_escaped_domain_error_still_rolls_back_with_a_message(idiom_app, client, db, how,
                                                                  status, message):
    response = client.post("/_idiom/unguarded", data={"how": how})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert townships(db) == 0


# --- Real views ------------------------------------------------------------------------------

FORM = {
    "topics": ["anti_fraud"], "format": "field_class", "audience_type": "villagers",
    "audience_size": "60", "earliest": "2026-11-01", "latest": "2026-11-10",
    "requester_name": "张三", "requester_org": "东庄村委会", "phone": "138 0000 1234", "notes": "",
}


def test_real_form_view_refused_by_the_service(client, world, make_member, frozen_now, db):
    make_member()
    response = client.post("/orders/new", data=dict(FORM, place=f"village:{world.village.id}"))
    assert response.status_code == 422
    assert "最早日期不能早于今天。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def _place(client, world) -> str:
    response = client.post("/api/v1/orders", json=order_body(world))
    assert response.status_code == 201, response.get_json()
    run_dispatch_pass()
    return response.get_json()["code"]


def test_real_redirecting_view_conflict(client, world, make_member, frozen_now, db):
    """Cancelling twice: the second is a Conflict, flashed after the redirect; nothing changes."""
    make_member()
    code = _place(client, world)
    assert client.post("/track", data={"code": code, "phone_last4": "1234"}).status_code == 302
    assert client.post("/track/cancel", data={"reason": ""}).status_code == 302
    events = len(db.session.scalar(select(Order)).events)
    response = client.post("/track/cancel", data={"reason": ""})
    assert response.status_code == 302 and response.location == "/track"
    assert "这个订单已不能取消。" in client.get("/track").get_data(as_text=True)
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    assert order.status == "cancelled" and len(order.events) == events


def test_real_accept_after_the_order_was_cancelled_books_nothing(client, world, make_member,
                                                                 frozen_now, db):
    from lectureorder.services import ordering

    member = make_member()
    _place(client, world)
    order = db.session.scalar(select(Order))
    offer = order.offers[0]
    start = offer.slot_times[0][0]
    ordering.cancel_order(order, now=frozen_now, reason="")
    db.session.commit()
    login(client, member.user.username)
    response = client.post(f"/member/offers/{offer.id}/accept",
                           data={f"o{offer.id}-slot_start": start.isoformat()})
    assert response.status_code == 302 and response.location == "/member/"
    page = client.get("/member/").get_data(as_text=True)
    assert f"</strong> {TAKEN_ZH}</p>" in page  # flashed as an error, translated
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LectureSession)) == 0
    assert db.session.get(type(offer), offer.id).status != "accepted"
