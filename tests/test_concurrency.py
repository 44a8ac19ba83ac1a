"""Several clients writing through the live server at the same time.

The requirement is about PostgreSQL; the same tests run on SQLite too, where
writers wait for each other's lock instead.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from web_fixtures import (
    KELURAHAN,
    YEAR,
    add_token,
    add_user,
    api_client,
    count_rows,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.catalogue import Catalogue
from p3bm.storage.schema import observation, observation_change

# Each SKPD writes its kelurahan-level indicators for every kelurahan.
SKPDS = ("DINKES", "DINSOS", "DISDIK", "DISPERKIM")
BATCHES_PER_CLIENT = 3


def kelurahan_codes(db) -> list[str]:
    with db.connect() as connection:
        return list(
            connection.execute(
                sa.text("SELECT code FROM area WHERE code LIKE '32.75.__.____'")
            ).scalars()
        )


def batches_of(db, skpd: str, areas: list[str]) -> list[list[dict]]:
    """Batches of one SKPD: its village-level count indicators, by kelurahan."""
    with db.connect() as connection:
        codes = [
            item.code
            for item in Catalogue.load(connection)
            if item.skpd == skpd and item.lowest_level == 4 and item.maximum is None
        ][:4]
    items = [
        {"indicator": code, "area": area, "year": YEAR, "value": 10 + n}
        for code in codes
        for n, area in enumerate(areas)
    ]
    size = -(-len(items) // BATCHES_PER_CLIENT)
    return [items[start : start + size] for start in range(0, len(items), size)]


def test_skpd_clients_write_at_once(db, writable_server):
    areas = kelurahan_codes(db)
    clients = {}
    for skpd in SKPDS:
        add_user(db, f"op_{skpd.lower()}", "skpd_operator", skpd=skpd)
        clients[skpd] = (
            add_token(db, f"op_{skpd.lower()}"),
            batches_of(db, skpd, areas),
        )
    start = threading.Barrier(len(SKPDS))

    def run(skpd: str) -> list[dict]:
        token, batches = clients[skpd]
        bodies = []
        with api_client(writable_server, token) as client:
            start.wait()
            for batch in batches:
                response = client.post(
                    "/api/v1/observations/batch", json={"items": batch}
                )
                assert response.status_code == 200, response.text
                bodies.append(response.json())
        return bodies

    with ThreadPoolExecutor(len(SKPDS)) as pool:
        answers = list(pool.map(run, SKPDS))

    expected = sum(len(b) for _, batches in clients.values() for b in batches)
    outcomes = [i["outcome"] for bodies in answers for b in bodies for i in b["items"]]
    assert outcomes == ["added"] * expected
    assert count_rows(db, observation) == expected
    assert count_rows(db, observation_change) == expected
    with db.connect() as connection:
        versions = set(connection.execute(sa.select(observation.c.version)).scalars())
        values_match = connection.execute(
            sa.text(
                "SELECT COUNT(*) FROM observation o JOIN observation_change c "
                "ON c.observation_id = o.id AND c.new_value = o.value "
                "AND c.action = 'insert'"
            )
        ).scalar_one()
    assert versions == {1}
    assert values_match == expected


def test_same_version_edits_one_wins(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    add_user(db, "dinkes2", "skpd_operator", skpd="DINKES")
    tokens = [add_token(db, "dinkes1"), add_token(db, "dinkes2")]
    body = {"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR, "value": 10}
    with api_client(writable_server, tokens[0]) as client:
        assert client.put("/api/v1/observations", json=body).status_code == 200
    start = threading.Barrier(2)
    rounds = 5
    results: list[list[int]] = []

    def edit(args: tuple[str, float, int]) -> int:
        token, value, version = args
        with api_client(writable_server, token) as client:
            start.wait()
            response = client.put(
                "/api/v1/observations",
                json={**body, "value": value, "version": version},
            )
        return response.status_code

    version = 1
    for number in range(rounds):
        with ThreadPoolExecutor(2) as pool:
            codes = list(
                pool.map(
                    edit,
                    [
                        (tokens[0], 20.0 + number, version),
                        (tokens[1], 40.0 + number, version),
                    ],
                )
            )
        results.append(sorted(codes))
        version += 1

    final = stored(db, "STUNTING", KELURAHAN)
    with db.connect() as connection:
        changes = (
            connection.execute(
                sa.select(observation_change.c.new_value).order_by(
                    observation_change.c.id
                )
            )
            .scalars()
            .all()
        )
    assert results == [[200, 409]] * rounds
    assert final.version == rounds + 1
    assert len(changes) == rounds + 1
    assert final.value == changes[-1]
    assert all(value in (20.0 + n, 40.0 + n) for n, value in enumerate(changes[1:]))


def test_batches_in_opposite_order_both_land(db, writable_server):
    """Two writers of the same keys, listed in opposite orders, never deadlock.

    One may get a 409 because the other wrote a value first, never an error
    from the database, and a batch lands whole or not at all.
    """
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    add_user(db, "dinkes2", "skpd_operator", skpd="DINKES")
    tokens = [add_token(db, "dinkes1"), add_token(db, "dinkes2")]
    areas = kelurahan_codes(db)[:6]
    rounds = 8
    start = threading.Barrier(2)

    def send(args: tuple[str, list[dict]]) -> tuple[int, str]:
        token, items = args
        with api_client(writable_server, token) as client:
            start.wait()
            response = client.post("/api/v1/observations/batch", json={"items": items})
        # A database deadlock returns the error shape, not the batch's items.
        return response.status_code, "items" in response.json()

    rounds_codes = []
    for number in range(rounds):
        items = [
            {"indicator": "STUNTING", "area": area, "year": YEAR, "value": number + n}
            for n, area in enumerate(areas)
        ]
        with ThreadPoolExecutor(2) as pool:
            codes = pool.map(
                send, [(tokens[0], items), (tokens[1], list(reversed(items)))]
            )
        rounds_codes.append(sorted(codes))

    answers = {answer for codes in rounds_codes for answer in codes}
    assert answers <= {(200, True), (409, True)}
    assert all(codes[0][0] == 200 for codes in rounds_codes)
    for n, area in enumerate(areas):
        assert stored(db, "STUNTING", area).value == rounds - 1 + n
