"""Station codes and member cards: windows, signatures, stations, key rotation (controllable clock)."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from points.checkin import operations as ops
from points.checkin import queries, tokens
from points.errors import DomainError
from tests.checkin.conftest import at


def refused(token, now) -> str:
    with pytest.raises(DomainError) as caught:
        queries.read_station_code(token, now=now)
    return caught.value.code


def test_read_station_code_accepts_its_own_window(world, make_activity, code):
    activity = make_activity()

    scan = queries.read_station_code(code(activity, now=at(10)), now=at(10, 29))

    assert scan.activity.id == activity.id
    assert scan.station.id == world.station.id
    assert scan.unattended is False


def test_read_station_code_accepts_the_window_before(make_activity, code):
    activity = make_activity()

    scan = queries.read_station_code(code(activity, now=at(10)), now=at(10, 59))

    assert scan.activity.id == activity.id


def test_read_station_code_refuses_older_windows_as_expired(make_activity, code):
    activity = make_activity()

    assert refused(code(activity, now=at(10)), at(11)) == "qr_expired"
    assert refused(code(activity, now=at(10)), at(60)) == "qr_expired"


def test_read_station_code_expired_says_to_scan_again(make_activity, code):
    activity = make_activity()
    with pytest.raises(DomainError) as caught:
        queries.read_station_code(code(activity, now=at(10)), now=at(12))
    assert caught.value.status == 410
    assert caught.value.message == "二维码已过期，请重新扫描屏幕上的二维码"


def test_read_station_code_refuses_a_future_window(make_activity, code):
    activity = make_activity()

    assert refused(code(activity, now=at(11)), at(10, 59)) == "qr_invalid"


def test_window_length_is_a_setting(app_with, world, make_activity, code):
    activity = make_activity()
    token = code(activity, now=at(10))
    with app_with(CHECKIN_WINDOW_SECONDS=5).app_context():
        assert (
            queries.read_station_code(code(activity, now=at(10, 4)), now=at(10, 9)).activity.id == activity.id
        )
        assert refused(code(activity, now=at(10, 4)), at(10, 10)) == "qr_expired"
    assert queries.read_station_code(token, now=at(10, 59)).activity.id == activity.id


def _forge(token: str, change) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    change(raw)
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def test_read_station_code_refuses_a_forged_signature(make_activity, code):
    activity = make_activity()
    token = code(activity, now=at(10))

    def flip_last(raw):
        raw[-1] ^= 0x01

    assert refused(_forge(token, flip_last), at(10)) == "qr_invalid"


def relabel(token: str, **changes) -> str:
    """The token with some of its fields changed and its original MAC kept."""
    parsed, _payload, mac = tokens.parse_station_code(token)
    altered = tokens.encode_station_code(dataclasses.replace(parsed, **changes), b"any key")
    return tokens._b64(base64.urlsafe_b64decode(altered + "==")[: -tokens.MAC_BYTES] + mac)


def test_read_station_code_refuses_an_altered_activity(make_activity, code):
    first, second = make_activity(), make_activity(title="第二场")
    altered = relabel(code(first, now=at(10)), activity_id=second.id)

    assert tokens.parse_station_code(altered)[0].activity_id == second.id
    assert refused(altered, at(10)) == "qr_invalid"


def test_read_station_code_refuses_an_altered_window(make_activity, code):
    activity = make_activity()
    token = code(activity, now=at(10))
    window = tokens.parse_station_code(token)[0].window

    assert refused(relabel(token, window=window + 10), at(15)) == "qr_invalid"


def test_read_station_code_refuses_a_code_signed_with_another_key(world, make_activity):
    activity = make_activity()
    key = ops.ensure_station_key(world.station.id)
    window = tokens.window_of(at(10), 30)
    forged = tokens.encode_station_code(
        tokens.StationCode(world.station.id, activity.id, key.version, window), b"\x00" * 32
    )

    assert refused(forged, at(10)) == "qr_invalid"


def test_read_station_code_refuses_another_stations_code(world, make_activity, code):
    here = make_activity()
    there = make_activity(station=world.other_station, actor=world.outsider_actor)
    # A code the other station really signed, but naming this station's activity.
    other_key = ops.ensure_station_key(world.other_station.id)
    window = tokens.window_of(at(10), 30)
    crossed = tokens.encode_station_code(
        tokens.StationCode(world.other_station.id, here.id, other_key.version, window), other_key.secret
    )
    # And a genuine code of the other station with this station's id written in.
    genuine = code(there, now=at(10), actor=world.outsider_actor)
    relabelled = relabel(genuine, station_id=world.station.id)

    assert refused(crossed, at(10)) == "qr_invalid"
    assert refused(relabelled, at(10)) == "qr_invalid"
    assert queries.read_station_code(genuine, now=at(10)).activity.id == there.id


def test_rotate_station_key_refuses_codes_signed_before(world, make_activity, code):
    activity = make_activity()
    old_screen = code(activity, now=at(10))
    old_poster = code(activity, poster=True)

    key = ops.rotate_station_key(actor=world.staff_actor, station_id=world.station.id, now=at(10, 5))

    assert key.version == 2
    assert refused(old_screen, at(10, 10)) == "qr_revoked"
    assert refused(old_poster, at(10, 10)) == "qr_revoked"
    assert (
        queries.read_station_code(code(activity, now=at(10, 10)), now=at(10, 10)).activity.id == activity.id
    )


def test_rotate_station_key_is_audited(world, sess):
    from sqlmodel import select

    from points.audit.models import AuditEntry

    ops.rotate_station_key(actor=world.staff_actor, station_id=world.station.id, now=at(0))

    entry = sess.exec(select(AuditEntry).where(AuditEntry.action == "station.key_rotated")).one()
    assert (entry.actor_id, entry.target_id, entry.detail) == (
        world.staff.id,
        world.station.id,
        {"version": 2},
    )


def test_rotate_station_key_needs_stations_manage(world, make_person, actor_of):
    from points.errors import Forbidden, NotFound

    with pytest.raises(NotFound):
        ops.rotate_station_key(actor=world.outsider_actor, station_id=world.station.id)
    supervisor = make_person(community=world.community, roles=[("supervisor", world.community)])
    with pytest.raises(Forbidden):
        ops.rotate_station_key(actor=actor_of(supervisor), station_id=world.station.id)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "!!!!",
        "A" * 65,
        "S" * 30,
        "测试二维码",
        "UwzSCfLMxBwBThhW6eq88bsLXA=",
        "../../etc/passwd",
        "\x00abc",
    ],
)
def test_read_station_code_refuses_malformed_input(make_activity, token):
    make_activity()

    assert refused(token, at(10)) == "qr_invalid"


def test_read_station_code_refuses_a_member_card(world, make_activity):
    make_activity()
    card = ops.card_token(ops.ensure_member_card(world.resident.id))

    assert refused(card, at(10)) == "qr_invalid"


def test_poster_code_is_good_only_during_the_activitys_hours(make_activity, code):
    activity = make_activity()
    poster = code(activity, poster=True)

    assert refused(poster, at(-31)) == "activity_not_started"
    assert queries.read_station_code(poster, now=at(-30)).unattended is True
    assert queries.read_station_code(poster, now=at(200)).unattended is True
    # Check-out stays open for the grace period after the end, then nothing is taken.
    assert queries.read_station_code(poster, now=at(269)).activity.id == activity.id
    assert refused(poster, at(270)) == "activity_ended"


def test_station_code_is_compact(world, make_activity, code):
    activity = make_activity()

    assert len(code(activity, now=at(10))) <= 32
    assert len(code(activity, poster=True)) <= 28


def test_station_code_of_a_cancelled_activity_is_refused(world, make_activity, code):
    activity = make_activity()
    token = code(activity, now=at(-40))
    ops.cancel_activity(actor=world.staff_actor, activity_id=activity.id, now=at(-40))

    assert refused(token, at(-40)) == "activity_cancelled"
    with pytest.raises(DomainError) as caught:
        code(activity, now=at(-40))
    assert caught.value.code == "activity_cancelled"


def test_read_member_card_knows_its_person(world):
    card = ops.ensure_member_card(world.resident.id)

    assert queries.read_member_card(ops.card_token(card)) == world.resident.id
    assert queries.read_member_card("https://example.cn/c/" + ops.card_token(card)) == world.resident.id


def test_reissue_member_card_voids_the_old_card(world):
    old = ops.card_token(ops.ensure_member_card(world.resident.id))

    new = ops.reissue_member_card(actor=world.staff_actor, person_id=world.resident.id, now=at(0))

    assert new.serial == 2
    with pytest.raises(DomainError) as caught:
        queries.read_member_card(old)
    assert caught.value.code == "card_revoked"
    assert queries.read_member_card(ops.card_token(new)) == world.resident.id


@pytest.mark.parametrize("value", ["", "abc", "C" * 40, "https://example.cn/c/"])
def test_read_member_card_refuses_garbage(world, value):
    with pytest.raises(DomainError) as caught:
        queries.read_member_card(value)
    assert caught.value.code == "card_invalid"


def test_read_member_card_refuses_a_forged_card(world, app_with):
    with app_with(SECRET_KEY="another-secret-key-entirely-0123456789").app_context():
        forged = ops.card_token(ops.ensure_member_card(world.resident.id))
    with pytest.raises(DomainError) as caught:
        queries.read_member_card(forged)
    assert caught.value.code == "card_invalid"


def test_varints_round_trip_and_refuse_overlong_forms():
    for number in (0, 1, 127, 128, 300, 2**31, 2**53):
        assert tokens._read_varints(tokens._varint(number), 1) == [number]
    with pytest.raises(tokens.BadToken):
        tokens._read_varints(b"\x85\x00", 1)
    with pytest.raises(tokens.BadToken):
        tokens._read_varints(b"\x01\x02", 1)
    with pytest.raises(tokens.BadToken):
        tokens._read_varints(b"\x81", 1)
