"""Scenarios for Chinese identifier validation, password policy and masking."""

from datetime import date

import pytest

from app.accounts.identity import (
    is_credit_code,
    is_mainland_mobile,
    is_resident_id,
    mask_name,
    mask_phone,
    mask_resident_id,
    password_problems,
    resident_id_birth_date,
)

TODAY = date(2026, 6, 1)


def build_resident_id(first17: str) -> str:
    """Append the MOD 11-2 check char, computed independently of the code under test."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def build_credit_code(first17: str) -> str:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
    check = (31 - total % 31) % 31
    return first17 + CREDIT_ALPHABET[check]


def with_wrong_last_char(value: str, alphabet: str) -> str:
    return value[:17] + next(c for c in alphabet if c != value[17])


# --- resident ID ---------------------------------------------------------------------------


def test_hangzhou_resident_born_1990_is_accepted_and_birth_date_read():
    rid = build_resident_id("33010619900101123")
    assert is_resident_id(rid, today=TODAY)
    assert resident_id_birth_date(rid) == date(1990, 1, 1)


def test_well_known_sample_id_with_x_check_char_is_accepted_in_either_case():
    # 11010519491231002X is the textbook example in GB 11643 commentary.
    assert build_resident_id("11010519491231002") == "11010519491231002X"
    assert is_resident_id("11010519491231002X", today=TODAY)
    assert is_resident_id("11010519491231002x", today=TODAY)


def test_every_check_char_other_than_the_computed_one_is_rejected():
    rid = build_resident_id("44030420000229001")  # 2000 was a leap year
    assert is_resident_id(rid, today=TODAY)
    for wrong in "0123456789X":
        if wrong != rid[17]:
            assert not is_resident_id(rid[:17] + wrong, today=TODAY)


def test_impossible_birth_date_is_rejected_even_with_correct_check_char():
    rid = build_resident_id("33010619900230123")  # 30 February
    assert not is_resident_id(rid, today=TODAY)
    with pytest.raises(ValueError):
        resident_id_birth_date(rid)


def test_birth_date_in_the_future_is_rejected_but_today_is_accepted():
    born_tomorrow = build_resident_id("33010620260602123")
    born_today = build_resident_id("33010620260601123")
    assert not is_resident_id(born_tomorrow, today=TODAY)
    assert is_resident_id(born_today, today=TODAY)


def test_birth_year_before_1900_is_rejected():
    assert not is_resident_id(build_resident_id("33010618991231123"), today=TODAY)
    assert is_resident_id(build_resident_id("33010619000101123"), today=TODAY)


@pytest.mark.parametrize(
    "prefix", ["00", "10", "16", "20", "24", "30", "38", "47", "55", "66", "83"]
)
def test_unknown_province_prefix_is_rejected(prefix):
    assert not is_resident_id(build_resident_id(prefix + "010619900101123"), today=TODAY)


@pytest.mark.parametrize("prefix", ["11", "46", "65", "71", "81", "82"])
def test_edge_province_prefixes_including_hk_macao_taiwan_are_accepted(prefix):
    assert is_resident_id(build_resident_id(prefix + "010619900101123"), today=TODAY)


@pytest.mark.parametrize(
    "value",
    ["", "3301061990010112", "3301061990010112345", "33010619900101123Y", "33010619900101A234"],
)
def test_malformed_resident_ids_are_rejected(value):
    assert not is_resident_id(value, today=TODAY)


# --- unified social credit code ------------------------------------------------------------


def test_built_credit_codes_validate_and_any_other_check_char_fails():
    for first17 in [
        "91330106MA2AXXXX1",
        "12100000400000624",
        "Y1110000MA01ABCDE",
        "51330106550000000",
    ]:
        code = build_credit_code(first17)
        assert is_credit_code(code), code
        assert not is_credit_code(with_wrong_last_char(code, CREDIT_ALPHABET)), code


def test_published_codes_of_well_known_companies_validate():
    assert is_credit_code("914403001922038216")  # Huawei Technologies Co., Ltd.
    assert is_credit_code("9144030071526726XG")  # Shenzhen Tencent Computer Systems Co., Ltd.


def test_code_quoted_in_the_brief_does_not_carry_a_valid_check_char():
    # 91330000MA27U2KX5N: the weighted sum of its first 17 chars gives check char "E", not "N",
    # so it is not a genuine code (or was transcribed wrongly).
    assert not is_credit_code("91330000MA27U2KX5N")
    assert is_credit_code("91330000MA27U2KX5E")


@pytest.mark.parametrize("forbidden", ["I", "O", "Z", "S", "V"])
def test_letters_excluded_by_the_standard_are_rejected(forbidden):
    code = build_credit_code("91330106MA2AXXXX1")
    assert not is_credit_code(forbidden + code[1:])
    assert not is_credit_code(code[:17] + forbidden)


def test_lowercase_credit_code_is_rejected_even_if_uppercase_form_is_valid():
    code = build_credit_code("91330106MA2AXXXX1")
    assert is_credit_code(code)
    assert not is_credit_code(code.lower())


def test_wrong_length_credit_codes_are_rejected():
    code = build_credit_code("91330106MA2AXXXX1")
    assert not is_credit_code(code[:17])
    assert not is_credit_code(code + "0")
    assert not is_credit_code("")


# --- mobile numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["13812345678", "19912345678", "15000000000", "17012345678"])
def test_mainland_mobile_numbers_are_accepted(phone):
    assert is_mainland_mobile(phone)


@pytest.mark.parametrize(
    "phone",
    ["12812345678", "1381234567", "138123456789", "+8613812345678", "138-1234-5678", "2381234567a"],
)
def test_non_mobile_strings_are_rejected(phone):
    assert not is_mainland_mobile(phone)


def test_trailing_newline_does_not_sneak_past_the_anchor():
    assert not is_mainland_mobile("13812345678\n")


# --- password policy -----------------------------------------------------------------------


def test_reasonable_password_has_no_problems():
    assert password_problems("Lantern-river-42", phone="13812345678") == []


def test_short_password_without_digit_reports_both_problems():
    problems = password_problems("abcdefg")
    assert len(problems) == 2
    assert any("at least 10" in p for p in problems)
    assert any("digit" in p for p in problems)


def test_digits_only_password_needs_a_letter():
    assert any("letter" in p for p in password_problems("9081726354"))


def test_overlong_password_is_rejected():
    assert any("at most 128" in p for p in password_problems("a1" * 65))
    assert password_problems("a1" * 64) == []


def test_password_containing_own_phone_number_is_rejected():
    problems = password_problems("me13812345678", phone="13812345678")
    assert problems == ["Password must not contain your phone number."]
    assert password_problems("me13812345678", phone=None) == []


@pytest.mark.parametrize("common", ["password123", "ZhangSan123", "qwertyuiop1", "abc123456789"])
def test_common_passwords_are_rejected_regardless_of_case(common):
    assert "Password is too common." in password_problems(common)


# --- masking -------------------------------------------------------------------------------


def test_full_values_are_masked_to_the_agreed_shapes():
    assert mask_resident_id("330106199001011234") == "330106********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"


def test_masking_tolerates_missing_values():
    assert mask_resident_id(None) == ""
    assert mask_phone(None) == ""
    assert mask_name(None) == ""
    assert mask_phone("") == ""


@pytest.mark.parametrize("value", ["1", "12", "123"])
def test_very_short_values_are_fully_hidden(value):
    assert mask_phone(value) == "*" * len(value)
    assert mask_resident_id(value) == "*" * len(value)


@pytest.mark.parametrize(
    "value", ["1234", "1234567", "12345678", "330106900101123", "+8613812345678"]
)
def test_unexpected_lengths_never_reveal_the_whole_value(value):
    for masked in (mask_phone(value), mask_resident_id(value)):
        assert len(masked) == len(value)
        assert masked != value
        assert "*" in masked


def test_full_width_digits_are_not_mistaken_for_ascii_digits():
    assert not is_mainland_mobile("１３８１２３４５６７８")
    rid = build_resident_id("33010619900101123")
    full_width = rid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert not is_resident_id(full_width, today=TODAY)
    assert not is_resident_id(rid + "\n", today=TODAY)
