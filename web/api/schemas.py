"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")

Limit = Annotated[int, msgspec.Meta(ge=1, le=500)]
Offset = Annotated[int, msgspec.Meta(ge=0)]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int


class ErrorRead(msgspec.Struct):
    status_code: int
    detail: str
