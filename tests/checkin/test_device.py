"""A self-scan records the scanning device (a digest of its id, never the id) and its user agent,
so supervisors can see many people checked in from one phone; a desk check-in records none."""

from __future__ import annotations

import hashlib

from points.checkin import operations as ops
from points.checkin.models import CheckIn
from tests.checkin.test_api import token_for


def test_api_scan_records_the_device_digest_and_user_agent(world, running, api_as, fresh):
    device = "phone-abcdefghijklmnop"
    r = api_as(world.resident).post(
        "/api/v1/scan",
        json={"token": token_for(world, running)},
        headers={"X-Device-Id": device, "User-Agent": "MicroMessenger/8.0"},
    )
    assert r.status_code == 200, r.json
    checkin = fresh(CheckIn, r.json["checkin"]["id"])
    assert checkin.device_hash == hashlib.sha256(device.encode()).hexdigest()
    assert checkin.user_agent == "MicroMessenger/8.0"


def test_a_short_device_id_is_not_recorded(world, running, api_as, fresh):
    r = api_as(world.resident).post(
        "/api/v1/scan", json={"token": token_for(world, running)}, headers={"X-Device-Id": "short"}
    )
    assert fresh(CheckIn, r.json["checkin"]["id"]).device_hash is None


def test_desk_check_in_records_no_device(world, running):
    result = ops.staff_check_in(actor=world.staff_actor, activity_id=running.id, person_id=world.resident.id)
    assert result.checkin.device_hash is None and result.checkin.user_agent is None
