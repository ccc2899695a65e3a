"""Placing an order from a form (the public form and 代下单), once: a rendered form's one-time
token makes Back + submit again, or a double tap, answer with the first order."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..services import ordering
from ..services.clock import now_utc
from . import edge
from .errors import DomainErrors
from .forms import OrderForm


def submit(form: OrderForm, errors: DomainErrors, *, channel: str,
           staff: bool = False) -> str | None:
    """The code of the order this (validated) form placed: a new one, or the first one for its
    token; None when the order was refused (the messages are on ``form``/``errors``)."""
    once = form.once_key()
    if once is not None and (earlier := ordering.earlier_answer(once)) is not None:
        return earlier.order.code
    with errors:
        now = now_utc()
        placed = ordering.place(
            form.to_request(channel), now=now, actor=current_user if staff else None,
            settings=edge.settings(), check_repeat=not form.confirm_repeat.data,
            limit_phone=not staff)  # staff's 代下单 is not limited per phone
        if once is not None:
            ordering.remember(once, placed, now=now)
        try:
            db.session.commit()
        except IntegrityError:  # a double tap: the other request stored the order first
            db.session.rollback()
            earlier = ordering.earlier_answer(once) if once is not None else None
            if earlier is None:
                raise
            return earlier.order.code
        return placed.code
    return None
