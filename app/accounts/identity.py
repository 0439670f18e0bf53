"""Validators and masking for Chinese identifiers (ID, credit code, mobile) and password policy."""

import re
from datetime import date

# GB 11643-1999: ISO 7064 MOD 11-2 over the first 17 digits.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# [0-9] rather than \d: \d also matches full-width and other Unicode digits, which int() accepts.
_RESIDENT_ID_RE = re.compile(r"[0-9]{17}[0-9Xx]")

# Province-level prefixes of GB/T 2260 division codes; 71/81/82 are Taiwan, Hong Kong and Macao,
# which appear on residence permits issued in the same 18-char format.
_PROVINCE_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip

# GB 32100-2015: I, O, Z, S and V are excluded to avoid confusion with 1, 0, 2, 5 and U.
_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_INDEX = {ch: i for i, ch in enumerate(_CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128

# Compared case-insensitively; every entry is long enough to otherwise pass the length rule,
# so the list only catches what the other rules would miss.
_COMMON_PASSWORDS = frozenset(
    {
        "password123",
        "password1234",
        "1234567890",
        "12345678910",
        "0123456789",
        "1234567890a",
        "a1234567890",
        "qwertyuiop1",
        "qwerty123456",
        "1qaz2wsx3edc",
        "1q2w3e4r5t",
        "abc123456789",
        "abcd1234567",
        "123456789abc",
        "zhangsan123",
        "woaini1314520",
        "iloveyou1234",
        "admin123456",
        "p@ssw0rd123",
        "welcome12345",
    }
)


def _resident_id_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


def _parse_birth_date(value: str) -> date | None:
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_resident_id(value: str, today: date | None = None) -> bool:
    """Return True for a well-formed 18-char mainland resident ID number.

    Checks format, province prefix, a real birth date between 1900 and ``today`` (inclusive),
    and the MOD 11-2 check character (``X`` accepted in either case).
    """
    if not isinstance(value, str) or not _RESIDENT_ID_RE.fullmatch(value):
        return False
    if value[:2] not in _PROVINCE_PREFIXES:
        return False
    birth = _parse_birth_date(value)
    if birth is None or birth.year < 1900 or birth > (today or date.today()):
        return False
    return _resident_id_check_char(value[:17]) == value[17].upper()


def resident_id_birth_date(value: str) -> date:
    """Return the birth date encoded in a resident ID; ValueError if the ID is not valid."""
    if not is_resident_id(value):
        raise ValueError("not a valid resident ID number")
    birth = _parse_birth_date(value)
    assert birth is not None  # guaranteed by is_resident_id
    return birth


def is_credit_code(value: str) -> bool:
    """Return True for a valid 18-char unified social credit code (GB 32100-2015).

    Only uppercase is accepted: the standard defines the code in uppercase and it is printed that
    way on business licences, so callers should upper-case user input before validating if they
    want to be lenient.
    """
    if not isinstance(value, str) or len(value) != 18:
        return False
    if any(ch not in _CREDIT_CODE_INDEX for ch in value):
        return False
    total = sum(
        _CREDIT_CODE_INDEX[ch] * w for ch, w in zip(value[:17], _CREDIT_CODE_WEIGHTS, strict=True)
    )
    check = 31 - total % 31
    if check == 31:
        check = 0
    return _CREDIT_CODE_INDEX[value[17]] == check


def is_mainland_mobile(value: str) -> bool:
    """Return True for an 11-digit mainland mobile number (no country code, no separators)."""
    # fullmatch, not match with $: "$" also matches before a trailing newline.
    return isinstance(value, str) and _MOBILE_RE.fullmatch(value) is not None


def password_problems(password: str, phone: str | None = None) -> list[str]:
    """Return human-readable reasons the password is rejected; an empty list means acceptable."""
    problems: list[str] = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"Password must be at least {PASSWORD_MIN_LENGTH} characters long.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"Password must be at most {PASSWORD_MAX_LENGTH} characters long.")
    if not any(ch.isalpha() for ch in password):
        problems.append("Password must contain at least one letter.")
    if not any(ch.isdigit() for ch in password):
        problems.append("Password must contain at least one digit.")
    if phone and phone in password:
        problems.append("Password must not contain your phone number.")
    if password.lower() in _COMMON_PASSWORDS:
        problems.append("Password is too common.")
    return problems


def _mask(value: str, keep_start: int, keep_end: int) -> str:
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + value[len(value) - keep_end :]


def _mask_unknown_shape(value: str | None) -> str:
    # Used when the value is not the expected length, so we cannot tell which parts are harmless;
    # reveal less the shorter it is, and nothing below 4 chars where one char is a large share.
    if not value:
        return ""
    if len(value) < 4:
        return "*" * len(value)
    if len(value) < 8:
        return _mask(value, 1, 0)
    return _mask(value, 2, 2)


def mask_resident_id(value: str | None) -> str:
    """Mask a resident ID to its division code and last 4 chars, e.g. 330106********1234."""
    if value and len(value) == 18:
        return _mask(value, 6, 4)
    return _mask_unknown_shape(value)


def mask_phone(value: str | None) -> str:
    """Mask a phone number to its first 3 and last 4 digits, e.g. 138****5678."""
    if value and len(value) == 11:
        return _mask(value, 3, 4)
    return _mask_unknown_shape(value)


def mask_name(value: str | None) -> str:
    """Mask a personal name keeping only the first character, e.g. 张**."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)
