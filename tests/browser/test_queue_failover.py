"""The page behind two web replicas on the shared queue: kill -9 the one streaming a job's events,
and the page goes on following the job through the other, to the finished layout."""

from __future__ import annotations

import re
import signal

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import open_projector
from tests.browser.projection_helpers import FIRST_RUN_TIMEOUT_MS, iteration, wait_iteration_above
from tests.browser.story_data import StoryData
from tests.failover_proxy import failover_proxy
from tests.queue_cluster import queue_cluster


def test_the_page_keeps_following_a_job_when_its_replica_is_killed(
    page: Page, postgres_url: str, tmp_path, story: StoryData, page_errors
) -> None:
    # The killed replica's requests fail in the browser's log; the page itself must not mind.
    page_errors.allow(r"ERR_|status of 404|Failed to load resource")
    with queue_cluster(postgres_url, tmp_path, servers=2, workers=1) as cluster:
        a, b = cluster.servers
        with httpx.Client(base_url=a.url, timeout=60) as client:
            answer = client.post("/api/datasets", files={
                "vectors": ("vectors.tsv", story.vectors_tsv), "metadata": ("metadata.tsv", story.metadata_tsv)})
        assert answer.status_code == 201, answer.text
        with failover_proxy([a.url, b.url]) as proxy:
            open_projector(page, proxy.url, answer.json()["id"])
            page.click("#tab-tsne")
            page.fill("#tsne-perplexity", "10")
            page.fill("#tsne-iterations", "3000")
            page.click("#tsne-run")
            before = wait_iteration_above(page, 0)
            assert "/events" not in b.log()
            a.process.send_signal(signal.SIGKILL)  # mid-stream: no goodbye on its open connections
            a.process.wait(timeout=10)
            after = wait_iteration_above(page, before)
            assert after > before
            expect(page.locator("#tsne-runbox")).to_have_attribute("data-state", "done", timeout=FIRST_RUN_TIMEOUT_MS)
            expect(page.locator("#tsne-counter")).to_have_text(re.compile(r"^Iteration 3000 / 3000$"))
            assert re.search(r'GET /api/projections/\w+/events HTTP/1.1" 200', b.log()), b.log()
            assert iteration(page) == 3000
