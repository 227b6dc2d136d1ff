"""The `axes` parameter of an analysis of a layout: the layout's columns on screen (PCA's components shown)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _distinct_axes(axes: list[int] | None) -> list[int] | None:
    if axes is not None and (len(set(axes)) != len(axes) or min(axes) < 0 or max(axes) > 9):
        raise ValueError("axes must be distinct column numbers 0..9")
    return axes


LayoutAxes = Annotated[list[int] | None, AfterValidator(_distinct_axes)]
