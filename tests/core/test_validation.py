"""Phone and code validation: what agents paste, what Termii receives, and every refusal's reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from termii_desk.core.errors import InputError
from termii_desk.core.validation import (
    CODE_MAX_LENGTH,
    CODE_MIN_LENGTH,
    generate_code,
    mask_code,
    validate_code,
    validate_phone,
)


@pytest.mark.parametrize(
    "typed",
    [
        "+234 803 123 4567",
        "2348031234567",
        "(0803) 123-4567",
        "0803.123.4567",
        "0803-123-4567",
        "00234 803 123 4567",
        "  +2348031234567  ",
        "08031234567",
        "+234\u00a0803\u00a0123\u00a04567",
    ],
)
def test_phone_forms_agents_paste_become_termii_digits(typed: str) -> None:
    phone = validate_phone(typed, "NG")
    assert phone.digits == "2348031234567"
    assert phone.display == "+234 803 123 4567"
    assert phone.country == "Nigeria"
    assert phone.carrier == "MTN"
    assert phone.summary == "+234 803 123 4567 · Nigeria · MTN"


def test_default_region_reads_national_numbers() -> None:
    phone = validate_phone("024 412 3456", "GH")
    assert phone.digits.startswith("233")
    assert phone.country == "Ghana"


def test_without_carrier_names_the_number_is_the_same_and_names_no_network() -> None:
    full, quick = validate_phone("0803 123 4567"), validate_phone("0803 123 4567", with_carrier=False)
    assert full.carrier == "MTN" and quick.carrier == ""
    assert (quick.digits, quick.display, quick.country, quick.region) == (full.digits, full.display, full.country,
                                                                          full.region)


def test_number_without_known_carrier_has_empty_carrier() -> None:
    phone = validate_phone("+1 202 555 0143")
    assert phone.digits == "12025550143"
    assert phone.carrier == ""


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter the customer's phone number"),
        ("   ", "Enter the customer's phone number"),
        ("0803 CALL ME", "remove the letters"),
        ("+234 803", "too short for Nigeria"),
        ("1234", "too short"),
        ("+2348031234567890123", "too long"),
        ("+999 1234567", "Unknown country code"),
        ("+234 ٨٠٣ ١٢٣ ٤٥٦٧", "another script"),
        ("+234 803 123 4567; DROP TABLE", "letters"),
        ("+234*803", "cannot contain '*'"),
        ("+234 111 111 1111", "not a valid phone number"),
        ("0803 12", "too short for Nigeria"),
        ("080312345", "too short for Nigeria"),
        ("9" * 100, "too long to be a phone number"),
    ],
)
def test_bad_phone_numbers_get_a_specific_reason(typed: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_phone(typed, "NG")
    assert reason in str(caught.value)


@pytest.mark.parametrize(("typed", "digits"), [("1234", "1234"), ("123 456", "123456"), (" 98765432 ", "98765432")])
def test_valid_codes_keep_their_digits(typed: str, digits: str) -> None:
    code = validate_code(typed)
    assert code.digits == digits
    assert code.number == int(digits)
    assert str(code.number) == digits


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter the code"),
        ("123", "at least 4"),
        ("123456789", "at most 8"),
        ("0123", "0123 would arrive as 123"),
        ("١٢٣٤", "another script"),
        ("１２３４", "another script"),
        ("12a4", "digits only"),
        ("12\u200b34", "digits only"),
        ("12-34", "digits only"),
        ("12\t34", "digits only"),
        ("1" * 1000, "far too long"),
    ],
)
def test_bad_codes_get_a_specific_reason(typed: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_code(typed)
    assert reason in str(caught.value)


def test_code_repr_is_masked() -> None:
    code = validate_code("482916")
    assert "482916" not in repr(code)
    assert code.masked == "••••16"


def test_mask_code_keeps_only_last_two() -> None:
    assert mask_code("123456") == "••••56"
    assert mask_code("12345678") == "••••••78"


@pytest.mark.parametrize("length", range(CODE_MIN_LENGTH, CODE_MAX_LENGTH + 1))
def test_generated_codes_are_valid_and_never_start_with_zero(length: int) -> None:
    # 3,000 codes per length: a generator whose first digit may be 0 (one chance in ten) fails every run.
    codes = [generate_code(length) for _ in range(3000)]
    assert all(len(code) == length and validate_code(code).digits == code for code in codes)
    assert {code[0] for code in codes} == set("123456789")  # every allowed first digit, and never 0
    assert {code[-1] for code in codes} == set("0123456789")  # the other digits do use 0


@pytest.mark.parametrize("drawn", ["lowest", "highest"])
def test_the_first_digits_range_is_one_to_nine_whatever_the_random_source_draws(
    monkeypatch: pytest.MonkeyPatch, drawn: str
) -> None:
    """The range itself, not a sample: the random source forced to its lowest and highest draws."""
    import secrets

    bounds: list[int] = []

    def extreme(n: int) -> int:
        bounds.append(n)
        return 0 if drawn == "lowest" else n - 1

    monkeypatch.setattr(secrets, "randbelow", extreme)
    for length in range(CODE_MIN_LENGTH, CODE_MAX_LENGTH + 1):
        code = generate_code(length)
        assert code == ("1" + "0" * (length - 1) if drawn == "lowest" else "9" * length)
        assert validate_code(code).digits == code
    assert bounds  # the generator draws from secrets, so forcing it reached every digit


def test_generated_codes_vary() -> None:
    assert len({generate_code() for _ in range(50)}) > 40


def test_generate_code_refuses_impossible_lengths() -> None:
    with pytest.raises(ValueError):
        generate_code(3)


@given(st.from_regex(r"[1-9][0-9]{3,7}", fullmatch=True))
def test_valid_code_round_trips_unchanged(code: str) -> None:
    assert validate_code(code).digits == code
    assert str(validate_code(code).number) == code


@settings(max_examples=2000)
@given(st.text(max_size=40))
def test_no_input_yields_a_code_other_than_what_was_typed(text: str) -> None:
    try:
        code = validate_code(text)
    except InputError:
        return
    # The only changes allowed: surrounding whitespace and inner plain spaces.
    assert code.digits == text.strip().replace(" ", "")
    assert code.digits.isascii() and code.digits.isdigit()
    assert str(code.number) == code.digits


@settings(max_examples=1000)
@given(st.text(max_size=40))
def test_phone_validation_never_crashes_and_yields_ascii_digits(text: str) -> None:
    try:
        phone = validate_phone(text, "NG")
    except InputError as exc:
        assert str(exc)
        return
    assert phone.digits.isascii() and phone.digits.isdigit()
    typed_digits = "".join(ch for ch in text if ch in "0123456789")
    # Every digit Termii receives was typed (a national 0 or an international 00 may be replaced by the country code).
    assert phone.digits.endswith(typed_digits.lstrip("0")[-7:])


HOSTILE = st.sampled_from(
    [
        *"0123456789 +-().",
        *("\u200b", "\u200e", "\u200f", "\u202e", "\ufeff", "\x00", "\x1b", "\n", "\t", "\xa0"),
        *("٣", "۴", "５", "𝟓", "①", "😀"),
        *("'", '"', ";", "<", ">", "&", "--", "/*", "DROP TABLE", "<script>"),
    ]
)


@settings(max_examples=3000)
@given(st.lists(HOSTILE, max_size=30).map("".join))
def test_hostile_code_input_is_refused_or_exact(text: str) -> None:
    try:
        code = validate_code(text)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert code.digits == text.strip().replace(" ", "")
    assert set(code.digits) <= set("0123456789")


@settings(max_examples=3000)
@given(st.lists(HOSTILE, max_size=30).map("".join))
def test_hostile_phone_input_is_refused_or_ascii_digits(text: str) -> None:
    try:
        phone = validate_phone(text, "NG")
    except InputError as exc:
        assert str(exc)
        return
    assert set(phone.digits) <= set("0123456789")
    assert not any(ch in text for ch in "\u200b\u200e\u200f\u202e\ufeff\x00\x1b")


def test_megabyte_paste_is_refused_quickly() -> None:
    paste = "2348031234567" * 80_000
    with pytest.raises(InputError, match="too long"):
        validate_phone(paste)
    with pytest.raises(InputError, match="far too long"):
        validate_code(paste)


def test_country_names_match_libphonenumber() -> None:
    """countries.py is generated from phonenumbers' own names; this fails when phonenumbers changes them."""
    import phonenumbers
    from phonenumbers import geocoder

    from termii_desk.core.countries import REGION_NAMES

    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        if example is None or len(phonenumbers.region_codes_for_country_code(example.country_code)) != 1:
            continue
        assert REGION_NAMES.get(region, "") == geocoder.country_name_for_number(example, "en"), region


def test_validation_does_not_load_the_geocoder() -> None:
    import subprocess
    import sys

    code = ("import sys; from termii_desk.core.validation import validate_phone; validate_phone('+2348031234567');"
            "print('phonenumbers.geodata' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize(("text", "region", "digits"), [
    ("08035500199", "NG", "2348035500199"),  # the national form the phone field accepts
    ("0803 550 0199", "NG", "2348035500199"),
    ("+234 803 550 0199", "NG", "2348035500199"),
    ("00234 803 550 0199", "NG", "2348035500199"),
    ("0803", "NG", "234803"),  # a beginning: still national
    ("550 0199", "NG", "5500199"),  # no prefix: any part of a number
    ("024 123 4567", "GH", "233241234567"),
    ("08035500199", None, "08035500199"),
    ("+44 7911", "NG", "447911"),
])
def test_the_history_filter_reads_numbers_like_the_phone_field(text: str, region: str | None, digits: str) -> None:
    from termii_desk.core.validation import phone_filter_digits

    assert phone_filter_digits(text, region) == digits
