"""Phones (normalise, mask, last four) and order codes."""

import random

import pytest

from lectureorder.domain.contact import (
    CODE_ALPHABET,
    last4_matches,
    mask_phone,
    new_order_code,
    normalise_order_code,
    normalise_phone,
)
from lectureorder.domain.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800001234", "13800001234"),
        ("138 0000 1234", "13800001234"),
        ("138-0000-1234", "13800001234"),
        ("１３８００００１２３４", "13800001234"),  # full-width digits
        ("+86 138 0000 1234", "13800001234"),
        ("0086 13800001234", "13800001234"),
        ("8613800001234", "13800001234"),
        ("19212345678", "19212345678"),  # a newer prefix is accepted
        ("0972-8612110", "0972-8612110"),
        ("0972 861 2110", "0972-8612110"),
        ("09728612110", "0972-8612110"),
    ],
)
def test_normalise_accepts(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12800001234",
        "1380000123",
        "138000012345",
        "abc",
        "138OOOO1234",
        "010-12345678",
        "0972-861211",
        "+1 415 555 0100",
    ],
)
def test_normalise_rejects_with_the_phone_field(raw):
    with pytest.raises(DomainError) as info:
        normalise_phone(raw)
    assert info.value.field == "phone"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800001234", "138****1234"),
        ("0972-8612110", "0972-***2110"),
        (None, ""),
        ("", ""),
    ],
)
def test_mask(phone, masked):
    assert mask_phone(phone) == masked


def test_last4_matches_only_the_right_digits():
    assert last4_matches("13800001234", "1234")
    assert last4_matches("13800001234", "１２３４")
    assert not last4_matches("13800001234", "1235")
    assert not last4_matches("13800001234", "")
    assert last4_matches("0972-8612110", "2110")


def test_codes_are_short_and_unambiguous():
    rng = random.Random(1)
    codes = {new_order_code(rng.choice) for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 6
        assert not set(code) & set("01OIL")
        assert set(code) <= set(CODE_ALPHABET)


@pytest.mark.parametrize(("raw", "code"), [(" ab-c2 34 ", "ABC234"), ("ｋ７ｍ", "K7M")])
def test_codes_typed_by_hand_are_normalised(raw, code):
    assert normalise_order_code(raw) == code
