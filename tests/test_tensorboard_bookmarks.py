"""The pure TensorBoard bookmarks parser and writer: round trip, and errors naming state and field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embedding_projector.datasets.tensorboard_bookmarks import parse_states, write_states
from embedding_projector.errors import InputError
from tests.tensorboard_states import tb_file, tb_state


def test_states_parse_and_write_back_the_same() -> None:
    data, raw = tb_file(30)
    states = parse_states(data, 30)
    assert [s.label for s in states] == ["tsne 3d", "umap on a filter", "pca 2d"]
    assert [s.coords.shape for s in states] == [(30, 3), (10, 2), (30, 2)]
    tsne, umap, _ = states
    expected = np.array([[p["tsne-0"], p["tsne-1"], p["tsne-2"]] for p in raw[0]["projections"]], dtype="<f4")
    assert tsne.coords.tobytes() == expected.tobytes()
    assert umap.filtered == raw[1]["filteredPoints"]
    # TensorBoard's selection indexes the filtered points: ours holds dataset rows.
    assert umap.selected == [raw[1]["filteredPoints"][0], raw[1]["filteredPoints"][3]]
    assert tsne.camera == {"orthographic": False, "position": [0.5, -0.25, 3.0], "target": [0.0, 0.1, 0.0], "zoom": 1.25}
    again = parse_states(write_states(states, 6), 30)
    for a, b in zip(states, again):
        assert (a.label, a.projection, a.selected, a.filtered, a.camera, a.color_by, a.label_by) == (
            b.label, b.projection, b.selected, b.filtered, b.camera, b.color_by, b.label_by)
        assert a.coords.tobytes() == b.coords.tobytes()
    written = json.loads(write_states(states, 6))
    assert written[1]["selectedPoints"] == [0, 3] and written[1]["dataSetDimensions"] == [10, 6]
    assert set(written[0]) >= set(raw[0]) - {"customSelectedSearchByMetadataOption"} - {
        k for k in raw[0] if k.startswith("custom")}


def _broken(change) -> bytes:
    _, raw = tb_file(30)
    change(raw)
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r[1].update(selectedProjection="isomap"), ["state 1", "selectedProjection"]),
        (lambda r: r[0]["projections"].pop(), ["state 0", "projections", "29 points"]),
        (lambda r: r[2]["projections"][5].pop("pca-1"), ["state 2", "projections", "[5]", "pca-1"]),
        (lambda r: r[0]["projections"][3].update({"tsne-2": "x"}), ["state 0", "projections", "[3]", "tsne-2"]),
        (lambda r: r[1].update(filteredPoints=[0, 0, 1]), ["state 1", "filteredPoints", "twice"]),
        (lambda r: r[0].update(selectedPoints=[30]), ["state 0", "selectedPoints", "outside"]),
        (lambda r: r[1].update(selectedPoints=[10]), ["state 1", "selectedPoints", "outside the 10 points"]),
        (lambda r: r[0].update(cameraDef={"position": [0, 0], "target": [0, 0, 0]}), ["state 0", "cameraDef.position"]),
        (lambda r: r[2].update(pcaComponentDimensions=[0]), ["state 2", "pcaComponentDimensions"]),
        (lambda r: r[0].update(label=5), ["state 0", "field label"]),
        (lambda r: r[0].update(dataSetDimensions=[31, 6]), ["state 0", "dataSetDimensions"]),
        (lambda r: r.__setitem__(1, "not a state"), ["state 1", "not an object"]),
    ],
)
def test_a_bad_state_is_refused_by_index_and_field(change, words) -> None:
    with pytest.raises(InputError) as caught:
        parse_states(_broken(change), 30)
    for word in words:
        assert word in caught.value.message


def test_bad_files_are_refused() -> None:
    for data, word in ((b"{not json", "not JSON"), (b"{}", "list of states"), (b"[]", "no states")):
        with pytest.raises(InputError, match=word):
            parse_states(data, 5)
    with pytest.raises(InputError) as caught:
        parse_states(b'[{"label": 1,\n "x": tru}]', 5)
    assert caught.value.line == 2


def test_labels_become_one_line_names() -> None:
    state = tb_state("a\nb\x00c" + "z" * 300, np.zeros((4, 2)), "tsne")
    state2 = tb_state("", np.zeros((4, 2)), "custom")
    parsed = parse_states(json.dumps([state, state2]).encode(), 4)
    assert parsed[0].label.startswith("a b c") and len(parsed[0].label) == 200
    assert parsed[1].label == "State 2" and parsed[1].keys == ["linear-x", "linear-y"]


# The fields of `State` in tensorflow/tensorboard vz_projector/data.ts, spelt as TensorBoard spells
# them (written out here, not by tests/tensorboard_states.py, so a shared misspelling cannot hide).
DATA_TS_STATE_FIELDS = {
    "label", "isSelected", "selectedProjection", "dataSetDimensions", "tSNEIteration", "tSNEPerplexity",
    "tSNELearningRate", "tSNEis3d", "umapIs3d", "umapNeighbors", "pcaComponentDimensions", "projections",
    "filteredPoints", "selectedPoints", "cameraDef", "selectedColorOptionName", "forceCategoricalColoring",
    "selectedLabelOption",
}


def test_a_2d_umap_state_as_tensorboard_writes_it_imports_and_exports_as_2d() -> None:
    rng = np.random.default_rng(2)
    points = [{"umap-0": float(a), "umap-1": float(b)} for a, b in rng.normal(size=(12, 2))]
    state = {"label": "umap 2d", "selectedProjection": "umap", "umapIs3d": False, "umapNeighbors": 15,
             "projections": points, "filteredPoints": [], "selectedPoints": [1, 2]}
    (parsed,) = parse_states(json.dumps([state]).encode(), 12)
    assert parsed.coords.shape == (12, 2) and parsed.filtered is None  # [] is no filter
    (written,) = json.loads(write_states([parsed], 4))
    assert set(written) >= DATA_TS_STATE_FIELDS
    assert written["umapIs3d"] is False and sorted(written["projections"][0]) == ["umap-0", "umap-1"]
