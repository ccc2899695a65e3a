"""QR posters: who may see them, what a poster shows, and that its code (as served) decodes to
a link that opens the order form with the place chosen and records the order as ``qr``."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
import segno
import zxingcpp
from PIL import Image
from sqlalchemy import select

from lectureorder.models import Order
from tests.helpers import login
from tests.web.test_public import FORM

SVG = re.compile(r'<svg viewBox="0 0 (\d+) (\d+)" class="qr"><path stroke="#000" d="([^"]+)"/></svg>')
PATH_PART = re.compile(r"([Mmh])(-?\d+(?:\.\d+)?)(?:\s+(-?\d+(?:\.\d+)?))?")


def svg_to_image(svg: str, pixels_per_module: int = 8) -> Image.Image:
    """Draw segno's one-path SVG (moves ``M``/``m``, horizontal runs ``h`` of dark modules
    along the middle of each row) as a black-on-white image; refuses anything else, so a
    change of output format fails here rather than decoding something else."""
    found = SVG.fullmatch(svg)
    assert found, svg[:200]
    width, height, path = int(found[1]), int(found[2]), found[3]
    assert re.sub(PATH_PART, "", path) == "", "unexpected SVG path commands"
    image = Image.new("L", (width * pixels_per_module, height * pixels_per_module), 255)
    x = y = 0.0
    for command, a, b in PATH_PART.findall(path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a run of dark modules in row floor(y)
            run = float(a)
            row = int(y)
            for col in range(int(x), int(x + run)):
                image.paste(0, (col * pixels_per_module, row * pixels_per_module,
                                (col + 1) * pixels_per_module, (row + 1) * pixels_per_module))
            x += run
    return image


def decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, results
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def served_svg(page: str) -> str:
    found = re.search(r"<svg.*?</svg>", page, re.S)
    assert found, "no inline SVG on the poster"
    return found[0]


@pytest.fixture
def as_coordinator(client, coordinator):
    login(client, coordinator.username)
    return client


def poster_url(world, kind="village") -> str:
    place = {"village": world.village, "school": world.school, "market": world.market}[kind]
    return f"/coord/posters/{kind}/{place.id}"


# --- access -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/coord/posters", "poster"])
def test_anonymous_is_sent_to_login(client, world, path):
    url = poster_url(world) if path == "poster" else path
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.parametrize("path", ["/coord/posters", "poster"])
def test_a_member_is_refused(client, world, make_member, path):
    member = make_member()
    login(client, member.user.username)
    url = poster_url(world) if path == "poster" else path
    assert client.get(url).status_code == 403


def test_the_list_shows_every_place_by_township(as_coordinator, world):
    response = as_coordinator.get("/coord/posters")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for kind, place in [("village", world.village), ("school", world.school),
                        ("market", world.market), ("village", world.far_village)]:
        assert f'href="/coord/posters/{kind}/{place.id}"' in page
        assert place.name in page
    # grouped: each township's heading comes before its own places
    assert page.index("三合镇") < page.index(world.village.name) < page.index("洪水泉回族乡")
    assert page.index("洪水泉回族乡") < page.index(world.far_village.name)
    assert 'href="/coord/posters"' in page  # the coordinators' menu links here


def test_an_inactive_market_has_no_poster(as_coordinator, world, db):
    world.market.active = False
    db.session.commit()
    assert f"/coord/posters/market/{world.market.id}" not in as_coordinator.get(
        "/coord/posters").get_data(as_text=True)
    assert as_coordinator.get(poster_url(world, "market")).status_code == 404


@pytest.mark.parametrize("url", ["/coord/posters/township/1", "/coord/posters/village/99999",
                                 "/coord/posters/school/99999", "/coord/posters/market/99999",
                                 "/coord/posters/village/abc", "/coord/posters/village/-1",
                                 "/coord/posters/village"])
def test_unknown_kind_or_place_is_404(as_coordinator, world, url):
    assert as_coordinator.get(url).status_code == 404


# --- the poster ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["village", "school", "market"])
def test_poster_shows_place_topics_phone_and_an_inline_qr(as_coordinator, world, app, kind):
    response = as_coordinator.get(poster_url(world, kind))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    place = {"village": world.village, "school": world.school, "market": world.market}[kind]
    assert place.name in page and "三合镇" in page
    for title in ["防范电信网络诈骗", "“两卡”违法犯罪", "交通安全", "校园安全与防欺凌", "防毒识毒"]:
        assert title in page
    poster = page.split('<article class="poster')[1].split("</article>")[0]
    assert app.config["STATION_PHONE"] in poster
    assert "<svg" in page and "<img" not in served_svg(page)
    assert "css/poster.css" in page


def test_poster_lists_only_active_topics_in_the_page_language(as_coordinator, world, db):
    world.topics["drug_awareness"].active = False
    db.session.commit()
    as_coordinator.get("/lang/en")
    page = as_coordinator.get(poster_url(world)).get_data(as_text=True)
    poster = page.split('<article class="poster')[1]
    assert "Anti-fraud" in poster and "Traffic safety" in poster
    assert "Drug awareness" not in poster and "防范电信网络诈骗" not in poster


def test_poster_css_sets_a4_and_hides_the_site_in_print(app):
    static = Path(app.static_folder, "css")
    css = (static / "poster.css").read_text(encoding="utf-8")
    assert re.search(r"@page\s*{\s*size:\s*A4;\s*margin:", css)
    print_rules = css.split("@media print")[1]
    assert ".poster-screen" in print_rules
    app_css = (static / "app.css").read_text(encoding="utf-8")
    assert re.search(r"@media print\s*{\s*\.top, \.foot, \.nav, \.subnav", app_css)


@pytest.mark.parametrize("kind", ["village", "school", "market"])
def test_the_served_code_decodes_to_the_order_link(as_coordinator, world, kind):
    place = {"village": world.village, "school": world.school, "market": world.market}[kind]
    expected = f"http://localhost/orders/new?place={kind}:{place.id}&channel=qr"
    page = as_coordinator.get(poster_url(world, kind)).get_data(as_text=True)
    svg = served_svg(page)
    # the SVG exactly as served, drawn and decoded
    assert decode(svg_to_image(svg)) == expected
    # and segno's own PNG of that link decodes to it too
    png = io.BytesIO()
    segno.make(expected, error="q").save(png, kind="png", scale=8, border=4)
    png.seek(0)
    assert decode(Image.open(png)) == expected
    # the link is also printed under the code (for typing it in)
    assert html.escape(expected) in page


def test_the_link_uses_public_base_url_when_set(as_coordinator, world, app):
    app.config["PUBLIC_BASE_URL"] = "https://jiang.example.cn/"
    page = as_coordinator.get(poster_url(world)).get_data(as_text=True)
    assert decode(svg_to_image(served_svg(page))) == (
        f"https://jiang.example.cn/orders/new?place=village:{world.village.id}&channel=qr")


# --- the link, followed -------------------------------------------------------------------

def _selected_place(page: str) -> list[str]:
    return re.findall(r'<option selected value="([^"]*)"', page)


def _channel(page: str) -> str | None:
    found = re.search(r'<input id="channel" name="channel" type="hidden" value="([^"]*)"', page)
    return found[1] if found else None


@pytest.mark.parametrize("kind", ["village", "school", "market"])
def test_following_the_code_preselects_the_place_and_orders_as_qr(
        as_coordinator, world, make_member, frozen_now, db, app, kind):
    place = {"village": world.village, "school": world.school, "market": world.market}[kind]
    link = decode(svg_to_image(served_svg(
        as_coordinator.get(poster_url(world, kind)).get_data(as_text=True))))
    visitor = app.test_client()  # a villager's phone: no login
    response = visitor.get(link)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _selected_place(page) == [f"{kind}:{place.id}"]
    # the township comes with the place: it is the group the selected option sits in
    group = page.split(f'value="{kind}:{place.id}"')[0].rsplit("<optgroup", 1)[1]
    assert 'label="三合镇"' in group
    assert _channel(page) == "qr"

    make_member()
    fmt = {"village": "field_class", "school": "school_talk", "market": "market_talk"}[kind]
    audience = {"village": "villagers", "school": "pupils", "market": "market_goers"}[kind]
    data = dict(FORM, format=fmt, audience_type=audience,
                place=_selected_place(page)[0], channel=_channel(page))
    response = visitor.post("/orders/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    order = db.session.scalar(select(Order))
    assert order.status == "submitted" and order.channel == "qr"
    assert order.place_kind == kind and order.township_id == world.town.id
    assert getattr(order, f"{kind}_id") == place.id


@pytest.mark.parametrize("query", [
    "place=village:99999", "place=nonsense", "place=village:", "place=:{v}", "place=village:abc",
    "place=township:{v}", "place=village:{v}:2", "place=village: {v}",
    "place=" + "9" * 400, "place=village:{v}&place=school:{v}",  # the first one counts
    "channel=phone", "channel=cadre", "channel=", "channel=QR", "channel=qr ",
])
def test_bad_presets_are_ignored(client, world, query):
    response = client.get("/orders/new?" + query.format(v=world.village.id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if query.startswith("place=village:{v}&"):
        assert _selected_place(page) == [f"village:{world.village.id}"]
    else:
        assert _selected_place(page) == []
    assert _channel(page) == ""


@pytest.mark.parametrize("query", ["place=%00", "channel=qr%01"])
def test_control_characters_in_a_preset_are_refused_as_anywhere(client, world, query):
    assert client.get("/orders/new?" + query).status_code == 422  # the edge's guard, never a 500


def test_an_inactive_market_is_not_preselected(client, world, db):
    world.market.active = False
    db.session.commit()
    page = client.get(f"/orders/new?place=market:{world.market.id}").get_data(as_text=True)
    assert _selected_place(page) == []


def test_without_the_parameter_the_form_keeps_todays_default_channel(client, world, make_member,
                                                                     frozen_now, db):
    page = client.get("/orders/new").get_data(as_text=True)
    assert _selected_place(page) == [] and _channel(page) == ""
    make_member()
    response = client.post("/orders/new", data=dict(FORM, place=f"village:{world.village.id}"))
    assert response.status_code == 302
    assert db.session.scalar(select(Order.channel)) == "qr"


@pytest.mark.parametrize("channel", ["phone", "cadre", "walk_in", "nonsense"])
def test_a_staff_channel_cannot_be_claimed_through_the_public_form(client, world, make_member,
                                                                   frozen_now, db, channel):
    make_member()
    response = client.post("/orders/new", data=dict(FORM, place=f"village:{world.village.id}",
                                                    channel=channel))
    assert response.status_code == 302
    assert db.session.scalar(select(Order.channel)) == "qr"
