"""Vector queries: parse "king - man + woman", look its terms up in a label column, build the query vector.

A term is everything between + and - signs, spaces trimmed; a term holding a sign is written in
double quotes ("e-mail"). A term matches a row whose label equals it exactly, else ignoring case
(the first such row either way). For the cosine metric the terms' vectors are unit-normalised before
they are added (3CosAdd, as word-analogy evaluation does); for euclidean they are added as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from embedding_projector.errors import Unprocessable

MAX_EXPRESSION_CHARS = 1000
MAX_TERMS = 32
MAX_CENTROID_ROWS = 1_000_000
CENTROID_CHUNK = 65536
MAX_ABS_VALUE = 1e15
ZERO_RELATIVE = 1e-9  # "king - king" sums unit vectors to 0 or to rounding noise about 1e-16 per term


@dataclass(frozen=True)
class Term:
    """One signed term of an expression and, once resolved, its row."""

    term: str
    sign: int  # +1 or -1
    row: int = -1


def parse_expression(text: str) -> list[Term]:
    """The signed terms of `text`; Unprocessable naming the problem (empty, syntax, too long)."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise Unprocessable(f"the expression has {len(text)} characters, over the limit of {MAX_EXPRESSION_CHARS}")
    if not text.strip():
        raise Unprocessable("the expression is empty: write terms such as 'king - man + woman'")
    terms: list[Term] = []
    i, n = 0, len(text)
    sign = 1
    expect_term = True
    signed = False
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "+-":
            if not expect_term:
                expect_term, sign, signed = True, (1 if ch == "+" else -1), True
            elif signed or terms:
                raise Unprocessable(f"the expression has two signs in a row at character {i + 1}")
            else:  # a leading sign
                sign, signed = (1 if ch == "+" else -1), True
            i += 1
        elif not expect_term:
            raise Unprocessable(f"the expression needs + or - before character {i + 1}")
        elif ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise Unprocessable(f"the quote at character {i + 1} of the expression is never closed")
            word = text[i + 1 : end]
            if not word:
                raise Unprocessable(f"the expression has an empty quoted term at character {i + 1}")
            terms.append(Term(word, sign))
            expect_term, signed, i = False, False, end + 1
        else:
            j = i
            while j < n and text[j] not in '+-"':
                j += 1
            terms.append(Term(text[i:j].strip(), sign))
            expect_term, signed, i = False, False, j
        if len(terms) > MAX_TERMS:
            raise Unprocessable(f"the expression has more than {MAX_TERMS} terms")
    if expect_term:
        raise Unprocessable("the expression ends with a sign: a term must follow + or -")
    return terms


def resolve_terms(terms: list[Term], labels: list, column: str) -> list[Term]:
    """Each term with its row in `labels`; Unprocessable for an unknown term, naming it and the column."""
    exact: dict[str, int] = {}
    folded: dict[str, int] | None = None
    for row, value in enumerate(labels):
        if value is not None:
            exact.setdefault(str(value), row)
    out = []
    for t in terms:
        row = exact.get(t.term)
        if row is None:
            if folded is None:
                folded = {}
                for value, r in exact.items():
                    folded.setdefault(value.casefold(), r)
            row = folded.get(t.term.casefold())
        if row is None:
            raise Unprocessable(f"unknown term {t.term!r} in column {column!r}")
        out.append(Term(t.term, t.sign, row))
    return out


def expression_vector(terms: list[Term], vectors: np.ndarray, metric: str) -> np.ndarray:
    """The signed sum of the terms' vectors (unit-normalised first for cosine), float64 (d,)."""
    rows = [t.row for t in terms]
    x = np.asarray(vectors[np.sort(rows)], dtype=np.float64)[np.argsort(np.argsort(rows))]
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1)
        x = np.divide(x, norms[:, None], out=np.zeros_like(x), where=norms[:, None] > 0)
    signs = np.array([t.sign for t in terms], dtype=np.float64)
    return signs @ x


def check_vector(values: list[float | None], d: int) -> np.ndarray:
    """A pasted vector as float64 (d,); Unprocessable for a wrong length or a non-finite value."""
    if len(values) != d:
        raise Unprocessable(f"the vector has {len(values)} numbers; this dataset's vectors have {d}")
    missing = next((i for i, v in enumerate(values) if v is None), None)
    if missing is not None:
        # JSON.stringify writes Infinity and NaN as null: name the position rather than pydantic's "vector.0".
        raise Unprocessable(f"the vector's number {missing + 1} is null: every number must be finite")
    q = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(q))
    if len(bad):
        raise Unprocessable(f"the vector's number {int(bad[0]) + 1} is {float(q[bad[0]])!r}: every number must be finite")
    big = np.flatnonzero(np.abs(q) > MAX_ABS_VALUE)
    if len(big):
        # The float32 scan scales by the query's norm: keep it far inside float32's range.
        raise Unprocessable(f"the vector's number {int(big[0]) + 1} is beyond ±{MAX_ABS_VALUE:g}")
    return q


def check_direction(q: np.ndarray, metric: str, scale: float = 0.0) -> None:
    """Unprocessable when cosine gets a zero query (or one that cancels to rounding noise of `scale`)."""
    norm = float(np.linalg.norm(q))
    if metric == "cosine" and (norm == 0 or norm <= ZERO_RELATIVE * scale):
        raise Unprocessable("the query vector is zero: it has no direction for cosine (euclidean can answer it)")


def centroid(rows: list[int], vectors: np.ndarray) -> np.ndarray:
    """The mean of the given rows' vectors, float64 (d,); Unprocessable when empty or out of range."""
    if not rows:
        raise Unprocessable("rows is empty: select at least one point for a centroid")
    if len(rows) > MAX_CENTROID_ROWS:
        raise Unprocessable(f"rows has {len(rows)} entries, over the limit of {MAX_CENTROID_ROWS}")
    r = np.unique(np.asarray(rows, dtype=np.int64))
    n = vectors.shape[0]
    if r[0] < 0 or r[-1] >= n:
        bad = int(r[0] if r[0] < 0 else r[-1])
        raise Unprocessable(f"row {bad} is out of range: the dataset has {n} rows")
    total = np.zeros(vectors.shape[1], dtype=np.float64)
    for start in range(0, len(r), CENTROID_CHUNK):  # chunks: a 400k selection need not be copied whole
        total += np.asarray(vectors[r[start : start + CENTROID_CHUNK]], dtype=np.float64).sum(axis=0)
    return total / len(r)
