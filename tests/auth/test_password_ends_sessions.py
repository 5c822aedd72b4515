"""A new password ends the person's API tokens, whoever set it."""

from __future__ import annotations


def test_reset_password_revokes_the_persons_tokens(make_node, make_person, api_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    resident = make_person(community=community)
    resident_api = api_as(resident)
    assert resident_api.get("/api/v1/me").status_code == 200
    reset = api_as(staff).post(f"/api/v1/people/{resident.id}/password-reset")
    assert reset.status_code == 200
    refused = resident_api.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json["code"] == "invalid_token"


def test_change_own_password_revokes_own_tokens(make_person, api_as, client):
    person = make_person()
    api = api_as(person)
    changed = api.post(
        "/api/v1/me/password", json={"old_password": "password123", "new_password": "another-pass-1"}
    )
    assert changed.status_code == 204
    assert api.get("/api/v1/me").status_code == 401
    login = client.post("/api/v1/auth/token", json={"phone": person.phone, "password": "another-pass-1"})
    assert login.status_code == 201
