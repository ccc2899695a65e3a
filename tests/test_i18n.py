"""The message catalogues: every marked string has a Chinese translation, placeholders survive
translation, and the app really loads the compiled catalogues.

When a test here fails after you added or changed a string: run ``scripts/i18n.sh``, translate
the entries it lists in the Chinese catalogue (see ``ZH_PO`` below), run ``scripts/i18n.sh``
again to compile, and re-run the tests.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import flask_babel
import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from config import DefaultConfig
from lectureorder import create_app

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "lectureorder" / "translations"
# The same keywords as scripts/i18n.sh: gettext/_/ngettext… plus the project's markers.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}


def catalogue_dir(language: str) -> Path:
    """Where Flask-Babel looks for `language`: under Babel's canonical name, so "zh_CN" is
    found in zh_Hans_CN/ (a zh_CN/ directory would be silently ignored)."""
    return TRANSLATIONS / str(Locale.parse(language)) / "LC_MESSAGES"


ZH_PO = catalogue_dir(DefaultConfig.BABEL_DEFAULT_LOCALE) / "messages.po"

# printf-style conversions: %(name)s, %(n)d, %s, %d, %.1f … ("%%" is a literal percent sign).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> Counter[str]:
    return Counter(p for p in PLACEHOLDER.findall(text) if p != "%%")


def read_catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def is_translated(string: str | tuple[str, ...]) -> bool:
    """A msgstr, or every plural form of one, is filled in."""
    return all(string) if isinstance(string, tuple) else bool(string)


def extracted_messages() -> dict[tuple[str, str | None], list[str]]:
    """Everything the source marks for translation, as babel.cfg and scripts/i18n.sh extract it:
    {(msgid, context): ["file:line", …]}."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS,
        # like `--ignore-dirs '.*'` in scripts/i18n.sh: templates/_macros is read too
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((msgid, context), []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def compiled_catalogues() -> None:
    """Compile each .po whose .mo is missing or older (scripts/test.sh normally did this)."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        tmp = mo.with_name(f"messages.mo.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, read_catalogue(po), use_fuzzy=False)
        os.replace(tmp, mo)  # atomic: a concurrent test run never reads half a file


@pytest.mark.parametrize("language", DefaultConfig.LANGUAGES)
def test_each_language_has_a_catalogue_where_flask_babel_looks(language):
    po = catalogue_dir(language) / "messages.po"
    assert po.is_file(), (
        f"No catalogue for {language!r} at {po.relative_to(ROOT)}: Flask-Babel looks for "
        f"{str(Locale.parse(language))!r}. Run scripts/i18n.sh."
    )


def test_every_marked_string_has_a_chinese_translation():
    catalogue = read_catalogue(ZH_PO)
    source = extracted_messages()
    assert len(source) > 100, "extraction found suspiciously few strings; is babel.cfg intact?"
    absent, untranslated, fuzzy = [], [], []
    for (msgid, context), where in sorted(source.items()):
        entry = catalogue.get(msgid, context)
        label = f"{msgid!r}  ({where[0]})"
        if entry is None:
            absent.append(label)
        elif not is_translated(entry.string):
            untranslated.append(label)
        elif entry.fuzzy:
            fuzzy.append(label)
    problems = []
    if absent:
        problems.append("not in the catalogue yet (run scripts/i18n.sh):\n  " + "\n  ".join(absent))
    if untranslated:
        problems.append("without a Chinese translation:\n  " + "\n  ".join(untranslated))
    if fuzzy:
        problems.append(
            "marked fuzzy (check the guess, then delete the flag):\n  " + "\n  ".join(fuzzy)
        )
    assert not problems, f"In {ZH_PO.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", DefaultConfig.LANGUAGES)
def test_translations_keep_the_placeholders(language):
    catalogue = read_catalogue(catalogue_dir(language) / "messages.po")
    wrong = []
    for entry in catalogue:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = placeholders(ids[-1])
        for text in strings:
            if text and placeholders(text) != expected:
                wrong.append(
                    f"{ids[0]!r} → {text!r}: "
                    f"expected {sorted(expected.elements())}, "
                    f"found {sorted(placeholders(text).elements())}"
                )
    assert not wrong, "Placeholders changed in translation:\n  " + "\n  ".join(wrong)


@pytest.mark.usefixtures("compiled_catalogues")
def test_the_app_loads_the_compiled_catalogues():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context("/"):
        assert flask_babel.gettext("Order a talk") == "我要点单"
        assert flask_babel.gettext("Wrong username or password.") == "用户名或密码错误。"
    with app.test_request_context("/?lang=zh_CN"):
        assert flask_babel.gettext("Track my order") == "查询订单"
    with app.test_request_context("/?lang=en"):
        assert flask_babel.gettext("Order a talk") == "Order a talk"


MARKERS = {"gettext", "_", "_l", "lazy_gettext", "N_", "ngettext", "lazy_ngettext"}


def test_no_marked_string_escapes_extraction():
    """Every literal handed to a translation marker in the Python code is in the catalogue.
    Babel's extractor does not look inside f-strings, so ``f"（{gettext('school')}）"`` stayed
    English on Chinese pages; the AST sees every call."""
    import ast

    catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalogue(ZH_PO) if m.id}
    missing = []
    for path in sorted((ROOT / "lectureorder").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and node.args[0].value
                    and node.args[0].value not in catalogue):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value!r}")
    assert not missing, "marked but not in the catalogue:\n" + "\n".join(missing)


CJK = r"[\u4e00-\u9fff]"
# ASCII punctuation touching a Chinese character: "请注意:" or "(可选)" instead of "请注意：", "（可选）".
HALF_WIDTH = re.compile(rf"{CJK}[,:;?!()]|[,:;?!()]{CJK}")


def test_chinese_uses_full_width_punctuation():
    bad = []
    for m in read_catalogue(ZH_PO):
        for text in (m.string if isinstance(m.string, tuple) else (m.string,)):
            if text and HALF_WIDTH.search(re.sub(PLACEHOLDER, "x", text)):
                bad.append(f"{m.id!r}: {text!r}")
    assert not bad, "half-width punctuation next to Chinese:\n" + "\n".join(bad)
