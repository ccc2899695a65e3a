"""QR posters: a printable A4 page per village, school and market whose code opens the public
order form with that place chosen and the channel recorded as ``qr``."""

from __future__ import annotations

import segno
from flask import abort, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import raiseload, selectinload

from ...extensions import db
from ...models import Township
from ...services import ordering, scheduling
from .. import edge
from ..access import coordinator_required
from . import bp

# Q (25 % redundancy) rather than the default M: a poster on a village wall gets dirty and torn.
QR_ERROR = "q"


def order_link(kind: str, place_id: int) -> str:
    """The absolute link a poster carries: under PUBLIC_BASE_URL when it is set (the address
    phones reach, which may not be the one the coordinator uses), else under this request's."""
    args = {"place": f"{kind}:{place_id}", "channel": "qr"}
    base = edge.settings().notify.public_base_url
    if base:
        return base + url_for("public.new_order", **args)[len(request.script_root):]
    return url_for("public.new_order", _external=True, **args)


def qr_svg(link: str) -> str:
    """The code as inline SVG: a viewBox only, so the stylesheet sets its printed size."""
    return segno.make(link, error=QR_ERROR).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None)


@bp.get("/posters")
@coordinator_required
def posters():
    towns = db.session.scalars(
        select(Township).options(
            selectinload(Township.villages), selectinload(Township.schools),
            selectinload(Township.markets), raiseload("*"),
        ).order_by(Township.position, Township.id)
    ).all()
    return render_template("coord/posters.html", towns=towns)


@bp.get("/posters/<kind>/<int:place_id>")
@coordinator_required
def poster(kind: str, place_id: int):
    model = scheduling.PLACE_MODELS.get(kind)
    place = db.session.get(model, place_id) if model else None
    # The order form offers only active markets: a poster for another would lead nowhere.
    if place is None or (kind == "market" and not place.active):
        abort(404)
    link = order_link(kind, place.id)
    return render_template("coord/poster.html", kind=kind, place=place, link=link,
                           qr=Markup(qr_svg(link)), topics=ordering.active_topics())
