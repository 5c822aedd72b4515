"""Chinese mobile numbers, read as people type them: spaces, dashes, +86, full-width digits."""

from __future__ import annotations

import unicodedata

import phonenumbers

from points.errors import DomainError
from points.labels import N_

_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
BAD_PHONE = N_("请输入有效的中国大陆手机号")


def mobile_or_none(raw: str | int | None) -> str | None:
    """The 11-digit mainland mobile number `raw` stands for, or None."""
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", str(raw)).strip().lstrip("'")
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _MOBILE:
        return None
    national = str(number.national_number)
    return national if len(national) == 11 else None


def mobile(raw: str, *, field: str = "phone") -> str:
    """The mobile number `raw` stands for; raises `invalid_phone` (422) naming `field`."""
    found = mobile_or_none(raw)
    if found is None:
        raise DomainError("invalid_phone", BAD_PHONE, 422, errors={field: [BAD_PHONE]})
    return found
