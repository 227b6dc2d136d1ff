"""The projection forms' pure logic, run in the page's own modules: typed values -> request params,
result keys, and the run box's texts."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import open_projector


def call(page: Page, module: str, expression: str):
    """Evaluate `expression` with the page's static/js/`module` imported as `m`."""
    return page.evaluate(
        f"async () => {{ const m = await import('/static/js/{module}'); return {expression}; }}"
    )


def test_form_values_become_request_params(page: Page, live_server) -> None:
    open_projector(page, live_server.url)
    tsne = call(page, "projection_params.js", "m.requestParams('tsne', {dimensions: '3', perplexity: ' 12.5 ', learning_rate: '', iterations: '500', seed: '7'})")
    assert tsne == {"params": {"dimensions": 3, "perplexity": 12.5, "learning_rate": "auto", "iterations": 500, "seed": 7, "pca_dims": None}, "error": None}
    rate = call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, learning_rate: '200'}).params.learning_rate")
    assert rate == 200
    assert call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, learning_rate: 'AUTO'}).params.learning_rate") == "auto"
    assert call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, iterations: '75.5'}).error") == "Iterations: enter a whole number"
    assert call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, perplexity: ''}).error") == "Perplexity: enter a number"

    umap = call(page, "projection_params.js", "m.requestParams('umap', m.defaultParams().umap)")
    assert umap["params"] == {"dimensions": 2, "n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": None,
                              "pca_dims": None}

    supervised = call(page, "projection_params.js", "m.requestParams('umap', {...m.defaultParams().umap, supervise_column: 'word', target_weight: '0.25'}).params")
    assert supervised == {"dimensions": 2, "n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": None,
                          "pca_dims": None, "supervise_column": "word", "target_weight": 0.25}
    assert call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, supervise_column: 'word', supervise_factor: '2'}).error") == "Supervision factor: enter a number from 0 to 1"
    assert call(page, "projection_params.js", "m.requestParams('tsne', {...m.defaultParams().tsne, supervise_factor: '2'}).error") is None  # no column: not sent

    columns = "[{name: 'n', type: 'numeric'}, {name: 'word', type: 'text'}]"
    custom = call(page, "projection_params.js", f"m.requestParams('custom', {{...m.defaultParams().custom, left: 'bad', right: 'good'}}, {columns})")
    assert custom["params"] == {"column": "word", "regex": False, "left": "bad", "right": "good", "up": "", "down": ""}
    assert call(page, "projection_params.js", f"m.requestParams('custom', {{...m.defaultParams().custom, left: 'bad'}}, {columns}).error") == "Enter a Left and a Right pattern"


def test_result_keys_and_run_texts(page: Page, live_server) -> None:
    open_projector(page, live_server.url)
    # t-SNE and UMAP keep a result per dimensionality (2 when not given); PCA and Custom one.
    assert call(page, "results.js", "m.resultKey('d', 'tsne', null)") == "d|all|tsne|2d"
    assert call(page, "results.js", "m.resultKey('d', 'umap', null, true, 3)") == "d|all|umap|sphereized|3d"
    assert call(page, "results.js", "m.resultKey('d', 'pca', null, false, 3)") == "d|all|pca"
    same = call(page, "results.js", "[m.isolationKey([1, 2, 3]), m.isolationKey([1, 2, 3]), m.isolationKey([1, 2, 4])]")
    assert same[0] == same[1] != same[2]

    assert call(page, "panels/run_box.js", "m.counterText({iteration: 12, iterations: 750, kl: 3.2})") == "Iteration 12 / 750"
    assert call(page, "panels/run_box.js", "m.counterText({epoch: 3, epochs: 200})") == "Epoch 3 / 200"
    assert call(page, "panels/run_box.js", "m.counterText({stage: 'neighbors'})") == ""
    assert call(page, "panels/run_box.js", "m.stageText('affinities')") == "computing affinities"
    assert call(page, "panels/run_box.js", "m.stageText('neighbors')") == "building neighbour graph"
    assert call(page, "panels/run_box.js", "m.stageText('some_new_stage')") == "some new stage"
    states = call(page, "panels/run_box.js", "[m.runState(null), m.runState({starting: true}), m.runState({job: {status: 'queued'}}), m.runState({job: null, error: 'x'})]")
    assert states == ["idle", "starting", "queued", "error"]

    counts = call(page, "panels/custom_tab.js", "Promise.all([m.matchCountText(['a', 'B', null], 'b', false), m.matchCountText(['a'], '(', true), m.matchCountText(['a', null], '^$', true), m.matchCountText(['a'], '', false)])")
    assert counts == [
        {"text": "1 match", "kind": "some"},
        {"text": "invalid regex", "kind": "error"},
        {"text": "1 match", "kind": "some"},  # a missing value is "" for the server's custom axes
        {"text": "", "kind": "none"},
    ]
