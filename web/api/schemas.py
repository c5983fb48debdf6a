"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=500, description="Page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1, description="Items to skip")]
# Request fields several resources share; the bounds are those of the database columns.
Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
Count = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
Gtin = Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["08991234567891"])]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int


class ErrorRead(msgspec.Struct):
    status_code: int
    detail: str


def errors(meanings: dict[int, str]) -> dict[int, ResponseSpec]:
    """A route's error answers, each documented with what it means there."""
    return {status: ResponseSpec(ErrorRead, description=text) for status, text in meanings.items()}


NO_SUCH_RECORD = errors({404: "No such record"})
BAD_BODY = errors(
    {
        400: "Malformed body: a field is missing or mistyped",
        422: "A value breaks a rule; the detail names the field",
    }
)


R = TypeVar("R")


def read_model(shape: type[R], *records: object, **values: Any) -> R:
    """An answer of type `shape` (a Struct or a dataclass) filled from the attributes of the
    same names of domain records (a later record wins), then from `values`."""
    if len(records) == 1 and not values:
        return msgspec.convert(records[0], shape, from_attributes=True, strict=False)
    info = msgspec.inspect.type_info(shape)
    if not isinstance(info, msgspec.inspect.StructType | msgspec.inspect.DataclassType):
        raise TypeError(f"{shape!r} has no fields to fill")
    found: dict[str, Any] = {}
    for field in info.fields:
        for record in records:
            if hasattr(record, field.name):
                found[field.encode_name] = getattr(record, field.name)
        if field.name in values:
            found[field.encode_name] = values[field.name]
    return msgspec.convert(found, shape, from_attributes=True, strict=False)


C = TypeVar("C")


def command(kind: type[C], request: msgspec.Struct) -> C:
    """The use case's command (a domain dataclass) from a request Struct with the same names.

    Coded values arrive as plain strings, lists as tuples: the domain checks them itself.
    """
    return msgspec.convert(msgspec.to_builtins(request), kind)
