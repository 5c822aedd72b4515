def test_me_shows_roles(make_person, make_node, api_as):
    community = make_node("community")
    staff = make_person(community=community, roles=[("staff", community)])
    r = api_as(staff).get("/api/v1/me")
    assert r.status_code == 200
    assert r.json["roles"][0]["role"] == "staff"


def test_staff_out_of_scope_gets_404(make_person, make_node, api_as):
    a = make_node("community")
    b = make_node("community")
    staff = make_person(community=a, roles=[("staff", a)])
    other = make_person(community=b)
    assert api_as(staff).get(f"/api/v1/people/{other.id}").status_code == 404
