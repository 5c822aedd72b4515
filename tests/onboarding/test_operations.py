"""Registering oneself, phone codes, consent, and staff confirming a new account."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import session, utcnow
from points.errors import DomainError
from points.notices.queries import notices_stmt
from points.onboarding import operations
from points.onboarding.queries import awaiting_confirmation, consents_of
from points.people.passwords import verify_password
from tests.builders import award_points
from tests.onboarding.conftest import NEW_PASSWORD

PHONE = "13912345678"


def register(homes, code=None, **overrides):
    fields = {
        "phone": PHONE,
        "name": "赵大爷",
        "grid_id": homes.grid.id,
        "password": NEW_PASSWORD,
        "consent_version": "2026-11-26",
        "code": code,
        **overrides,
    }
    return operations.register_person(**fields)


def test_register_person_with_the_code_sent(homes, codes):
    operations.send_code(phone="139 1234 5678")

    person = register(homes, code=codes[PHONE])

    assert (person.phone, person.community_id, person.grid_id) == (PHONE, homes.community.id, homes.grid.id)
    assert person.needs_confirmation is False and person.is_party_member is False
    assert verify_password(person.password_hash, NEW_PASSWORD)
    assert person.consent_version == "2026-11-26" and person.consent_at is not None
    assert [c.version for c in consents_of(person.id)] == ["2026-11-26"]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phone": "12345"}, "invalid_phone"),
        ({"consent_version": None}, "consent_required"),
        ({"consent_version": "2020-01"}, "consent_outdated"),
        ({"password": "123456"}, "weak_password"),
    ],
)
def test_register_person_refusals(homes, codes, overrides, code):
    if "phone" not in overrides:
        operations.send_code(phone=PHONE)
    with pytest.raises(DomainError) as refused:
        register(homes, code=codes.get(PHONE), **overrides)

    assert refused.value.code == code


def test_register_person_at_a_community_instead_of_a_grid_is_refused(homes, codes):
    operations.send_code(phone=PHONE)

    with pytest.raises(DomainError) as refused:
        register(homes, code=codes[PHONE], grid_id=homes.community.id)

    assert refused.value.code == "invalid_grid"


def test_register_person_needs_the_right_code(homes, codes):
    operations.send_code(phone=PHONE)
    wrong = "000000" if codes[PHONE] != "000000" else "111111"

    with pytest.raises(DomainError) as missing:
        register(homes)
    with pytest.raises(DomainError) as refused:
        register(homes, code=wrong)

    assert (missing.value.code, refused.value.code) == ("code_required", "code_invalid")


def test_a_code_gives_way_after_five_wrong_tries(homes, codes):
    operations.send_code(phone=PHONE)
    wrong = "000000" if codes[PHONE] != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(DomainError):
            register(homes, code=wrong)

    with pytest.raises(DomainError) as refused:
        register(homes, code=codes[PHONE])

    assert refused.value.code == "code_invalid"


def test_a_code_is_used_once(homes, codes, make_person):
    operations.send_code(phone=PHONE)
    code = codes[PHONE]
    operations.check_code(phone=PHONE, code=code, now=utcnow())

    with pytest.raises(DomainError) as refused:
        register(homes, code=code)

    assert refused.value.code == "code_invalid"


def test_send_code_refusals(homes, codes, make_person):
    taken = make_person()
    operations.send_code(phone=PHONE)

    with pytest.raises(DomainError) as too_soon:
        operations.send_code(phone=PHONE)
    with pytest.raises(DomainError) as phone_taken:
        operations.send_code(phone=taken.phone)

    assert (too_soon.value.code, phone_taken.value.code) == ("code_too_soon", "phone_taken")
    assert operations.send_code(phone=PHONE, now=utcnow() + timedelta(minutes=2)).id


def test_without_a_sender_the_account_waits_for_staff(homes, without_codes, make_person, actor_of):
    staff = make_person(community=homes.community, roles=[("staff", homes.community)])
    person = register(homes)

    assert person.needs_confirmation is True
    assert [(p["id"], p["may_confirm"]) for p in awaiting_confirmation(actor_of(staff))["items"]] == [
        (person.id, True)
    ]
    with pytest.raises(DomainError) as refused:
        award_points(homes.community.id, person.id, 5, "unconfirmed-award", auto_post=False)
    assert refused.value.code == "account_not_confirmed"

    operations.confirm_account(actor=actor_of(staff), person_id=person.id)

    assert person.needs_confirmation is False and awaiting_confirmation(actor_of(staff))["items"] == []
    told = session().scalars(notices_stmt(person_id=person.id)).all()
    assert [n.kind for n in told] == ["account_confirmed"]


def test_confirm_account_out_of_scope_is_not_found(homes, without_codes, make_person, make_node, actor_of):
    elsewhere = make_node("community")
    staff = make_person(community=elsewhere, roles=[("staff", elsewhere)])
    person = register(homes)

    with pytest.raises(DomainError) as refused:
        operations.confirm_account(actor=actor_of(staff), person_id=person.id)

    assert refused.value.status == 404


def test_give_consent_records_each_version(app, make_person):
    person = make_person()
    operations.give_consent(person_id=person.id, version="2026-11-26")
    app.config["PRIVACY_NOTICE_VERSION"] = "2027-01"
    try:
        operations.give_consent(person_id=person.id, version="2027-01")
    finally:
        app.config["PRIVACY_NOTICE_VERSION"] = "2026-11-26"

    assert [c.version for c in consents_of(person.id)] == ["2026-11-26", "2027-01"]
    assert person.consent_version == "2027-01"


def test_prune_codes_deletes_long_expired_ones(homes, codes):
    operations.send_code(phone=PHONE, now=utcnow() - timedelta(days=3))

    assert operations.prune_codes(before=utcnow() - timedelta(days=1)) == 1
