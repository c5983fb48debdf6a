"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import Parameter

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=500, description="Page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1, description="Items to skip")]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int


class ErrorRead(msgspec.Struct):
    status_code: int
    detail: str


S = TypeVar("S", bound=msgspec.Struct)


def read_model(struct: type[S], record: object) -> S:
    """A response Struct filled from a domain dataclass's attributes of the same names."""
    return msgspec.convert(record, struct, from_attributes=True, strict=False)


C = TypeVar("C")


def command(kind: type[C], request: msgspec.Struct) -> C:
    """The use case's command (a domain dataclass) from a request Struct with the same names.

    Coded values arrive as plain strings, lists as tuples: the domain checks them itself.
    """
    return msgspec.convert(msgspec.to_builtins(request), kind)
