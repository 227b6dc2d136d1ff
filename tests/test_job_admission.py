"""Job admission in public mode: exact per-client limits, stranger caps, and who the client is.

Every server here has a write token (public mode) and serves public datasets. The servers that
trust 127.0.0.1 as a proxy let each test be its own client through X-Forwarded-For.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import LiveServer, run_server
from tests.datagen import clustered, vectors_tsv
from tests.test_api_projections import wait_done

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RATE = 5  # PROJECTOR_JOB_STARTS_PER_MINUTE on the rate servers
UNFINISHED = 4  # PROJECTOR_MAX_JOBS_PER_CLIENT on the concurrency server
RATE_MESSAGE = f"more than {RATE} projection starts a minute"
UNFINISHED_MESSAGE = f"(the limit is {UNFINISHED})"


def upload_public(server: LiveServer, n: int, seed: int = 1, name: str = "points") -> str:
    """Upload a public dataset of n clustered points with the token; its id."""
    vectors = vectors_tsv(clustered(n, 8, seed=seed)[0])
    with server.client() as c:
        r = c.post("/api/datasets", files={"vectors": ("v.tsv", vectors)},
                   data={"name": name, "public": "true"}, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def start(c: httpx.Client, dataset: str, body: dict, client: str | None = None, **headers: str) -> httpx.Response:
    """POST a projection start, as `client` (X-Forwarded-For) when given."""
    if client is not None:
        headers["X-Forwarded-For"] = client
    return c.post(f"/api/datasets/{dataset}/projections", json=body, headers=headers)


def pca_rows(k: int) -> dict:
    """A PCA start over a row subset that no other request of these tests uses."""
    return {"method": "pca", "params": {"components": 2}, "rows": list(range(k, k + 20))}


def concurrent_starts(server: LiveServer, dataset: str, bodies: list[dict], client: str) -> list[httpx.Response]:
    """Send all `bodies` at once from 20 threads, each on its own connection."""
    def one(body: dict) -> httpx.Response:
        with server.client() as c:
            return start(c, dataset, body, client)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(one, bodies))


def cancel_all(server: LiveServer, answers: list[httpx.Response]) -> None:
    """Cancel every job these answers started, with the token."""
    with server.client() as c:
        for r in answers:
            if r.status_code == 202:
                c.delete(f"/api/projections/{r.json()['id']}", headers=AUTH)


def rate_env() -> dict[str, str]:
    """A public-mode server whose only binding limit is RATE starts a minute."""
    return {"PROJECTOR_WRITE_TOKEN": TOKEN, "PROJECTOR_WARMUP": "false", "PROJECTOR_WORKERS": "1",
            "PROJECTOR_JOB_STARTS_PER_MINUTE": str(RATE), "PROJECTOR_MAX_JOBS_PER_CLIENT": "1000"}


@pytest.fixture(scope="module")
def rate_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {**rate_env(), "PROJECTOR_TRUSTED_PROXIES": "127.0.0.1"}
    with run_server(tmp_path_factory.mktemp("rate") / "data", env) as server:
        yield server


@pytest.fixture(scope="module")
def rate_dataset(rate_server: LiveServer) -> str:
    return upload_public(rate_server, 400)


def test_rate_limit_first_429_is_the_start_after_the_limit(rate_server: LiveServer, rate_dataset: str) -> None:
    """Sequential: starts 1..5 pass, the 6th start is the first 429; cache hits and refusals are free."""
    me = "10.0.0.1"
    with rate_server.client() as c:
        first = start(c, rate_dataset, pca_rows(0), me)
        assert first.status_code == 202, first.text
        assert wait_done(c, first.json()["id"])["status"] == "done"
        codes = [first.status_code]
        codes.append(start(c, rate_dataset, pca_rows(0), me).status_code)  # cache hit
        codes.append(start(c, rate_dataset, {"method": "pca", "params": {"components": 99}}, me).status_code)
        codes.append(start(c, rate_dataset, {"method": "pca", "rows": [0, 400]}, me).status_code)
        codes.append(start(c, rate_dataset, {"method": "nope"}, me).status_code)
        for k in range(1, RATE):
            codes.append(start(c, rate_dataset, pca_rows(k), me).status_code)
        assert codes == [202, 200, 422, 400, 422] + [202] * (RATE - 1)
        refused = start(c, rate_dataset, pca_rows(RATE), me)
        assert refused.status_code == 429, refused.text
        body = refused.json()
        assert body["ok"] is False and body["status"] == 429 and RATE_MESSAGE in body["error"]
        # A cached result is still answered past the limit: it costs nothing.
        assert start(c, rate_dataset, pca_rows(0), me).status_code == 200
        assert start(c, rate_dataset, pca_rows(RATE + 1), me).status_code == 429


def test_rate_limit_holds_exactly_under_20_concurrent_starts(rate_server: LiveServer, rate_dataset: str) -> None:
    answers = concurrent_starts(rate_server, rate_dataset, [pca_rows(100 + k) for k in range(20)], "10.0.0.2")
    codes = sorted(r.status_code for r in answers)
    assert codes == [202] * RATE + [429] * (20 - RATE), [(r.status_code, r.text[:120]) for r in answers]
    assert all(RATE_MESSAGE in r.json()["error"] for r in answers if r.status_code == 429)


def test_trusted_proxy_forwarded_clients_get_their_own_quota(rate_server: LiveServer, rate_dataset: str) -> None:
    """From a trusted proxy, the right-most untrusted X-Forwarded-For entry is the client."""
    with rate_server.client() as c:
        for k in range(RATE):
            assert start(c, rate_dataset, pca_rows(200 + k), "10.0.1.1").status_code == 202
        assert start(c, rate_dataset, pca_rows(210), "10.0.1.1").status_code == 429
        # An entry the client wrote itself (left of what the proxy appended) changes nothing...
        forged = start(c, rate_dataset, pca_rows(211), "203.0.113.9, 10.0.1.1")
        assert forged.status_code == 429 and "10.0.1.1" in forged.json()["error"]
        # ...and trusted proxies in the chain are skipped to reach the client.
        chained = start(c, rate_dataset, pca_rows(212), "10.0.1.1, 127.0.0.1")
        assert chained.status_code == 429
        other = start(c, rate_dataset, pca_rows(213), "10.0.1.2")
        assert other.status_code == 202, other.text


@pytest.fixture(scope="module")
def untrusted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with run_server(tmp_path_factory.mktemp("untrusted") / "data", rate_env()) as server:
        yield server


def test_forged_forwarded_for_without_trusted_proxies_gets_no_fresh_quota(untrusted_server: LiveServer) -> None:
    """No trusted proxies (the default): X-Forwarded-For from 127.0.0.1 is ignored, uvicorn's too."""
    dataset = upload_public(untrusted_server, 400)
    with untrusted_server.client() as c:
        codes = [start(c, dataset, pca_rows(k), f"198.51.100.{k}").status_code for k in range(RATE + 2)]
        assert codes == [202] * RATE + [429] * 2
        refused = start(c, dataset, pca_rows(50), "198.51.100.77")
        assert refused.status_code == 429 and "127.0.0.1" in refused.json()["error"]


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, str]]:
    """One worker kept busy by a long token-holder t-SNE, so strangers' jobs stay queued."""
    env = {
        "PROJECTOR_WRITE_TOKEN": TOKEN,
        "PROJECTOR_WARMUP": "false",
        "PROJECTOR_WORKERS": "1",
        "PROJECTOR_JOB_STARTS_PER_MINUTE": "1000",
        "PROJECTOR_MAX_JOBS_PER_CLIENT": str(UNFINISHED),
        "PROJECTOR_TRUSTED_PROXIES": "127.0.0.1",
        "PROJECTOR_MAX_TSNE_ITERATIONS": "1000",
        "PROJECTOR_MAX_TSNE_PERPLEXITY": "40",
    }
    with run_server(tmp_path_factory.mktemp("busy") / "data", env) as server:
        dataset = upload_public(server, 2000)
        with server.client() as c:
            # Over both stranger caps: the token holder is uncapped.
            blocker = start(c, dataset, {"method": "tsne", "params": {"iterations": 10000, "perplexity": 50}},
                            **AUTH)
            assert blocker.status_code == 202, blocker.text
            try:
                yield server, dataset, blocker.json()["id"]
            finally:
                c.delete(f"/api/projections/{blocker.json()['id']}", headers=AUTH)


def tsne_seed(seed: int) -> dict:
    """A distinct t-SNE start (queued behind the blocker, so it stays unfinished)."""
    return {"method": "tsne", "params": {"seed": seed, "iterations": 1000}}


def test_unfinished_limit_first_429_is_the_job_after_the_limit(busy_server) -> None:
    server, dataset, _ = busy_server
    me = "10.0.2.1"
    with server.client() as c:
        answers = [start(c, dataset, tsne_seed(k), me) for k in range(UNFINISHED)]
        try:
            assert [r.status_code for r in answers] == [202] * UNFINISHED, [r.text for r in answers]
            assert all(r.json()["status"] == "queued" for r in answers)
            # Asking again for a job this client already holds adds no job: it is answered.
            again = start(c, dataset, tsne_seed(0), me)
            assert again.status_code == 202 and again.json()["id"] == answers[0].json()["id"]
            assert start(c, dataset, {"method": "tsne", "params": {"perplexity": 500}}, me).status_code == 422
            refused = start(c, dataset, tsne_seed(UNFINISHED), me)
            assert refused.status_code == 429 and UNFINISHED_MESSAGE in refused.json()["error"]
            # Once one of its jobs is cancelled, the client may start another.
            c.delete(f"/api/projections/{answers[0].json()['id']}", headers=AUTH)
            replacement = start(c, dataset, tsne_seed(UNFINISHED), me)
            assert replacement.status_code == 202, replacement.text
            answers.append(replacement)
            assert start(c, dataset, tsne_seed(UNFINISHED + 1), me).status_code == 429
        finally:
            cancel_all(server, answers)


def test_unfinished_limit_holds_exactly_under_20_concurrent_starts(busy_server) -> None:
    server, dataset, _ = busy_server
    answers = concurrent_starts(server, dataset, [tsne_seed(100 + k) for k in range(20)], "10.0.2.2")
    try:
        codes = sorted(r.status_code for r in answers)
        assert codes == [202] * UNFINISHED + [429] * (20 - UNFINISHED), [r.text[:120] for r in answers]
        assert all(UNFINISHED_MESSAGE in r.json()["error"] for r in answers if r.status_code == 429)
    finally:
        cancel_all(server, answers)


def test_joining_another_clients_job_counts_for_the_joiner(busy_server) -> None:
    server, dataset, _ = busy_server
    with server.client() as c:
        theirs = [start(c, dataset, tsne_seed(300 + k), "10.0.2.3") for k in range(UNFINISHED)]
        try:
            assert [r.status_code for r in theirs] == [202] * UNFINISHED
            joined = [start(c, dataset, tsne_seed(300 + k), "10.0.2.4") for k in range(UNFINISHED)]
            assert [r.status_code for r in joined] == [202] * UNFINISHED
            assert all(j.json()["cancel_key"] != t.json()["cancel_key"] for j, t in zip(joined, theirs))
            assert start(c, dataset, tsne_seed(400), "10.0.2.4").status_code == 429
        finally:
            cancel_all(server, theirs)


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"iterations": 1001}, "'iterations' is 1001: without the write token the most is 1000"),
     ({"perplexity": 45}, "'perplexity' is 45: without the write token the most is 40")],
)
def test_strangers_get_tsne_caps_and_refusals_count_nothing(busy_server, params: dict, needle: str) -> None:
    server, dataset, _ = busy_server
    with server.client() as c:
        for _ in range(UNFINISHED + 2):
            r = start(c, dataset, {"method": "tsne", "params": params}, "10.0.2.5")
            assert r.status_code == 422 and needle in r.json()["error"], r.text


def test_the_token_holder_is_not_limited(busy_server) -> None:
    server, dataset, blocker = busy_server
    with server.client() as c:
        status = c.get(f"/api/projections/{blocker}").json()
        assert status["params"]["iterations"] == 10000 and status["params"]["perplexity"] == 50
        answers = [start(c, dataset, tsne_seed(500 + k), "10.0.2.6", **AUTH) for k in range(UNFINISHED + 2)]
        try:
            assert [r.status_code for r in answers] == [202] * (UNFINISHED + 2)
        finally:
            cancel_all(server, answers)
