"""Shared fixtures: one migrated database per test worker, a rolled-back transaction per test.

`TEST_DATABASE_URL` (a PostgreSQL server URL) runs the suite on PostgreSQL: each
worker creates its own fresh database and drops it at the end. Without it the
suite runs on a SQLite file in a temporary folder.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from config import TestConfig
from points.app import create_app
from points.db import make_engine, normalise_url, session
from points.demo.command import load_demo
from points.migrate import upgrade
from points.people import operations as people_operations


def _admin_url(url: str) -> sa.URL:
    return sa.make_url(normalise_url(url))


@contextmanager
def fresh_database(tmp_dir, label: str) -> Iterator[str]:
    """A new, empty database (PostgreSQL or SQLite) that is dropped afterwards."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        path = tmp_dir / f"{label}-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    base = _admin_url(server)
    name = f"points_{label}_{uuid.uuid4().hex[:10]}".lower()
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def migrated_database(tmp_dir, label: str) -> Iterator[str]:
    """A fresh database (as `fresh_database`) with the schema migrated to the newest revision."""
    with fresh_database(tmp_dir, label) as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@contextmanager
def fresh_engine(tmp_dir, label: str) -> Iterator[sa.Engine]:
    """An engine on a fresh, empty database; disposed of afterwards."""
    with fresh_database(tmp_dir, label) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def make_test_app(url: str, *, instance_path=None, **overrides):
    return create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "DATABASE_URL": url,
            **overrides,
        },
        instance_path=str(instance_path) if instance_path else None,
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> Iterator[str]:
    with migrated_database(tmp_path_factory.mktemp("db"), f"w{worker_id}") as url:
        yield url


@pytest.fixture(scope="session")
def base_app(database_url):
    app = make_test_app(database_url)
    yield app
    get_db_from(app).engine.dispose()


def get_db_from(app):
    return app.extensions["points_db"]


@pytest.fixture
def app(base_app) -> Iterator:
    """The app with every session bound to one connection whose transaction is rolled back."""
    database = get_db_from(base_app)
    connection = database.engine.connect()
    outer = connection.begin()
    database.bind = connection
    try:
        with base_app.app_context():
            yield base_app
    finally:
        database.bind = database.engine
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sess(app):
    from points.db import session

    return session()


_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


@pytest.fixture
def make_node(app):
    from points.org import operations

    def make(level: str = "community", parent=None, name: str | None = None):
        """A node at `level`, creating any missing ancestors."""
        chain = ["city", "district", "street", "community", "grid"]
        if parent is None and level != "city":
            parent = make(chain[chain.index(level) - 1])
        return operations.create_node(
            actor=None, parent_id=parent.id if parent else None, level=level, name=name or _unique(level)
        )

    return make


@pytest.fixture
def make_person(app, make_node):
    from points.people import operations
    from points.people.passwords import hash_password

    def make(
        *,
        community=None,
        grid=None,
        roles=(),
        password: str = "password123",
        is_party_member: bool = False,
        name: str | None = None,
        work_unit_id=None,
    ):
        """A person at a community (made if not given), with (role, node_or_unit) grants."""
        if community is None and grid is None:
            community = make_node("community")
        if grid is not None and community is None:
            from points.org.queries import get_node

            community = get_node(grid.parent_id)
        person = operations.create_person(
            actor=None,
            phone=f"13{next(_counter):09d}",
            name=name or _unique("人员"),
            community_id=community.id if community else None,
            grid_id=grid.id if grid else None,
            is_party_member=is_party_member,
            work_unit_id=work_unit_id,
        )
        # These accounts stand for accounts whose password was set before the password policy
        # (it applies when a password is set; tests/auth/test_passwords.py tests it): the
        # hash is written directly.
        person.password_hash = hash_password(password)
        session().flush()
        for role, target in roles:
            if role == "unit_admin":
                operations.grant_role(actor=None, person_id=person.id, role=role, unit_id=target.id)
            else:
                operations.grant_role(
                    actor=None,
                    person_id=person.id,
                    role=role,
                    node_id=target.id if target is not None else None,
                )
        return person

    return make


@pytest.fixture
def make_unit(app):
    from points.org import operations

    def make(name: str | None = None):
        return operations.create_unit(actor=None, name=name or _unique("单位"), party_org_name="党支部")

    return make


@pytest.fixture
def actor_of(app):
    from points.auth.current import actor_for

    return actor_for


class ApiClient:
    """A test client that sends one person's bearer token with every request."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def _headers(self, headers):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, url, headers=None, **kw):
        return self.client.get(url, headers=self._headers(headers), **kw)

    def post(self, url, headers=None, **kw):
        return self.client.post(url, headers=self._headers(headers), **kw)

    def patch(self, url, headers=None, **kw):
        return self.client.patch(url, headers=self._headers(headers), **kw)

    def put(self, url, headers=None, **kw):
        return self.client.put(url, headers=self._headers(headers), **kw)

    def delete(self, url, headers=None, **kw):
        return self.client.delete(url, headers=self._headers(headers), **kw)


@pytest.fixture
def api_as(app, client):
    """`api_as(person)`: an API client logged in as that person (token issued directly)."""
    from points.auth.operations import issue_token

    def make(person):
        token, _ = issue_token(person=person)
        return ApiClient(client, token)

    return make


@pytest.fixture
def page_as(app):
    """`page_as(person)`: a browser-like client logged in to the pages as that person."""

    def login(person):
        client = app.test_client()
        response = client.post("/login", data={"phone": person.phone, "password": "password123"})
        assert response.status_code == 302, response.data.decode()
        return client

    return login


@contextmanager
def settings(app, **values):
    """The app's settings changed for a while, then set back."""
    before = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(before)


@pytest.fixture
def save(app):
    """Commit the setup so far (into the test's transaction, which is still rolled back after)."""
    return lambda: session().commit()


@pytest.fixture
def fresh(app):
    """`fresh(Model, id)`: the row as it is now, after requests made in their own sessions."""

    def load(model, row_id):
        sess = session()
        sess.expire_all()
        return sess.get(model, row_id)

    return load


@pytest.fixture
def app_with(app, database_url):
    """`app_with(**settings)`: another app on the test's connection, so it sees the test's rows
    (`instance_path=` gives it an instance folder of its own)."""
    made = []

    def make(*, instance_path=None, **overrides):
        other = make_test_app(database_url, instance_path=instance_path, **overrides)
        get_db_from(other).bind = get_db_from(app).bind
        made.append(other)
        return other

    yield make
    for other in made:
        get_db_from(other).engine.dispose()


@pytest.fixture
def make_world(make_node, make_person, actor_of):
    """`make_world(**names)`: a community with two staff members (`staff`, `checker`), a
    resident and a party member whose report there is confirmed, and another community with a
    staff member of its own (`outsider`); the staff's actors beside them. `names` names any of
    the four people of the community."""

    def make(**names) -> SimpleNamespace:
        community, other = make_node("community"), make_node("community")
        staff = make_person(community=community, roles=[("staff", community)], name=names.get("staff"))
        checker = make_person(community=community, roles=[("staff", community)], name=names.get("checker"))
        outsider = make_person(community=other, roles=[("staff", other)])
        resident = make_person(community=community, name=names.get("resident"))
        member = make_person(community=community, is_party_member=True, name=names.get("member"))
        # A party member earns 红松分 once their report to the community is confirmed (双报到).
        registration = people_operations.request_registration(
            actor=actor_of(member), kind="member", community_id=community.id
        )
        people_operations.decide_registration(
            actor=actor_of(staff), registration_id=registration.id, confirm=True
        )
        return SimpleNamespace(
            community=community,
            other=other,
            staff=staff,
            checker=checker,
            outsider=outsider,
            resident=resident,
            member=member,
            staff_actor=actor_of(staff),
            checker_actor=actor_of(checker),
            outsider_actor=actor_of(outsider),
        )

    return make


@pytest.fixture
def tree(make_node):
    """street S1 with communities A (grids GA1, GA2) and A2 (grid GA3); street S2 with B (grid GB1)."""
    city = make_node("city")
    district = make_node("district", city)
    s1, s2 = make_node("street", district), make_node("street", district)
    a, a2, b = make_node("community", s1), make_node("community", s1), make_node("community", s2)
    return SimpleNamespace(
        city=city,
        district=district,
        s1=s1,
        s2=s2,
        a=a,
        a2=a2,
        b=b,
        ga1=make_node("grid", a),
        ga2=make_node("grid", a),
        ga3=make_node("grid", a2),
        gb1=make_node("grid", b),
    )


@pytest.fixture
def staff_a(tree, make_person):
    """Staff of the tree's community A."""
    return make_person(community=tree.a, roles=[("staff", tree.a)])


@pytest.fixture
def staff_b(tree, make_person):
    """Staff of the tree's community B (in the other street)."""
    return make_person(community=tree.b, roles=[("staff", tree.b)])


@pytest.fixture
def street(tree, make_person):
    """The street admin of S1 (communities A and A2), living in A."""
    return make_person(community=tree.a, roles=[("street_admin", tree.s1)])


def first_login(client, phone: str, password: str, new_password: str = "Wq8nRt3vKs") -> dict:
    """Log in to the API with a password someone else set, choose one's own as the service asks
    at first login, and return the bearer header of a token made with it."""

    def token(secret: str) -> dict:
        r = client.post("/api/v1/auth/token", json={"phone": phone, "password": secret})
        assert r.status_code == 201, r.json
        return {"Authorization": f"Bearer {r.json['token']}"}

    changed = client.post(
        "/api/v1/me/password",
        json={"old_password": password, "new_password": new_password},
        headers=token(password),
    )
    assert changed.status_code in (200, 204), changed.json
    return token(new_password)


def quiet(*_args, **_kwargs) -> None:
    pass


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """An app on a fresh committed database the demo was loaded into once (per test process),
    and the first run's counts. Tests only read it, or load the demo again to see it add nothing."""
    with migrated_database(tmp_path_factory.mktemp("demo"), "demo") as url:
        app = make_test_app(url)
        with app.app_context():
            added = load_demo(echo=quiet, progress=False)
        try:
            yield app, added
        finally:
            get_db_from(app).engine.dispose()


@contextmanager
def migrated_app(tmp_path_factory, label: str, **overrides):
    """An app on a fresh database of its own, migrated and committed to for real: for the tests
    that race real connections against each other."""
    with fresh_database(tmp_path_factory.mktemp(label), label.replace("-", "")) as url:
        app = make_test_app(url, **overrides)
        upgrade(get_db_from(app).engine)
        try:
            yield app
        finally:
            get_db_from(app).engine.dispose()
