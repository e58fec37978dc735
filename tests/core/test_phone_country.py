"""No call to the wrong country: digits typed without + are read in the default country when that is a number,
and where they are also a different valid international number, neither is chosen for the agent.

Checked over every country libphonenumber knows (its own example numbers, typed the national way and the
international way without +) and over generated digit strings, against phonenumbers itself as the oracle.
"""

from __future__ import annotations

import hypothesis
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from termii_desk.core.errors import InputError
from termii_desk.core.validation import AmbiguousNumberError, PhoneNumber, validate_phone

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)


def _examples() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    found = []
    for region in REGIONS:
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                found.append((region, example))
    return found


EXAMPLES = _examples()


def _e164_digits(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]


def _oracle(digits: str, region: str) -> tuple[str | None, str | None]:
    """The national and the international reading as phonenumbers sees them (E.164 digits), or None if invalid."""
    readings: list[str | None] = []
    # After 00 the international reading is the number after it (00 means "abroad" wherever the agent is);
    # the national one is the digits as dialled in the region, its own prefix for abroad (009, 011...) applied.
    for candidate in (digits, "+" + (digits[2:] if digits.startswith("00") else digits)):
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            readings.append(None)
            continue
        readings.append(_e164_digits(number) if phonenumbers.is_valid_number(number) else None)
    return readings[0], readings[1]


def test_the_reported_case_is_asked_not_called_in_japan() -> None:
    with pytest.raises(AmbiguousNumberError) as caught:
        validate_phone("81234567890", "ID")
    national, international = caught.value.choices
    assert (national.digits, national.country) == ("6281234567890", "Indonesia")
    assert (international.digits, international.country) == ("81234567890", "Japan")
    assert "+62 812-3456-7890" in str(caught.value) and "+81 234-56-7890" in str(caught.value)
    # Typed the national way, or with + or 00, it is one number: nothing to ask.
    assert validate_phone("0812 3456 7890", "ID").digits == "6281234567890"
    assert validate_phone("+81 234 567 890", "ID").digits == "81234567890"
    assert validate_phone("0081234567890", "ID").digits == "81234567890"


@pytest.mark.parametrize(("region", "example"), EXAMPLES, ids=[f"{r}-{_e164_digits(e)}" for r, e in EXAMPLES])
def test_every_countrys_examples_typed_nationally_are_that_number_or_a_question(
    region: str, example: phonenumbers.PhoneNumber
) -> None:
    wanted = _e164_digits(example)
    national_digits = "".join(ch for ch in phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
                              if ch.isdigit())
    for typed in {national_digits, phonenumbers.national_significant_number(example)}:
        try:
            phone = validate_phone(typed, region)
        except AmbiguousNumberError as exc:
            assert exc.choices[0].digits == _oracle(typed, region)[0]
            assert wanted in {choice.digits for choice in exc.choices}
            continue
        except InputError:
            continue  # a form libphonenumber does not read back (some national numbers need their trunk prefix)
        assert phone.digits == wanted, f"{typed} in {region} read as +{phone.digits}"


@pytest.mark.parametrize("default", ["NG", "ID", "IN", "US", "GB", "KE", "JP", "BR", "DE", "ZA"])
def test_every_countrys_examples_typed_internationally_without_plus_are_that_number_or_a_question(
    default: str,
) -> None:
    asked = 0
    for _region, example in EXAMPLES:
        wanted = _e164_digits(example)
        try:
            phone = validate_phone(wanted, default)
        except AmbiguousNumberError as exc:
            asked += 1
            assert {choice.digits for choice in exc.choices} == {wanted, _oracle(wanted, default)[0]}
            continue
        except InputError:
            continue
        national, _ = _oracle(wanted, default)
        assert phone.digits == wanted, f"+{wanted} with default {default} read as +{phone.digits}"
        assert national in (None, wanted)  # a different valid national number was never passed over silently
    if default == "NG":
        assert asked == 0  # the desk's home country: Termii's own form, 234..., is never a question


@settings(max_examples=1500, deadline=None)
@hypothesis.example("00252100000", "NG")  # 00 and Somalia where the prefix for abroad is 009
@hypothesis.example("009252100000", "NG")
@hypothesis.example("0081234567890", "ID")
@hypothesis.example("0039010000", "NG")
@given(st.text(alphabet="0123456789", min_size=6, max_size=15),
       st.sampled_from(["NG", "ID", "IN", "US", "GB", "KE", "GH", "JP", "CN", "BR", "FR", "RU", "EG", "PK"]))
def test_digits_without_plus_are_read_as_phonenumbers_reads_them_and_never_as_a_third_number(
    digits: str, region: str
) -> None:
    national, international = _oracle(digits, region)
    try:
        phone = validate_phone(digits, region)
    except AmbiguousNumberError as exc:
        assert national and international and national != international
        assert [choice.digits for choice in exc.choices] == [national, international]
        for choice in exc.choices:  # what the window offers to pick reads back as exactly that number
            assert validate_phone(choice.display, region) == choice
        return
    except InputError:
        assert national is None and international is None
        return
    assert phone.digits in (national, international)
    if national is not None:
        assert phone.digits == national  # the default country's number, when it is one, is never passed over
    assert not (national and international and national != international)


def test_choices_are_phone_numbers_with_their_countries() -> None:
    with pytest.raises(AmbiguousNumberError) as caught:
        validate_phone("81234567890", "ID")
    assert all(isinstance(choice, PhoneNumber) and choice.display.startswith("+") for choice in caught.value.choices)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("typed", "region", "wanted"),
    [("00252100000", "NG", "252100000"),  # 00 then Somalia: not Nigeria's prefix for abroad, still what was meant
     ("0092348031234567", "NG", "2348031234567"),  # Nigeria's own prefix for abroad, 009, then +234
     ("009252100000", "NG", "252100000"),  # 009 then Somalia, not 00 then Pakistan (+92 52100000)
     ("0112348031234567", "US", "2348031234567"),
     ("00 234 803 123 4567", "NG", "2348031234567")],
)
def test_a_prefix_for_abroad_is_read_as_the_default_country_dials_it(typed: str, region: str, wanted: str) -> None:
    assert validate_phone(typed, region).digits == wanted


def test_after_00_two_valid_readings_are_asked() -> None:
    # Indonesia also calls abroad with 008: 008 then the USA, or 00 then Japan.
    with pytest.raises(AmbiguousNumberError) as caught:
        validate_phone("00812025550123", "ID")
    assert [choice.digits for choice in caught.value.choices] == ["12025550123", "812025550123"]
