"""Page forms: read into the API's own request structs, and show errors beside their field.

Inputs are named like the API's fields (`reporter.kind`, `lines[0].quantity`,
`batch_ids[]`), so a domain error's field names the input it is about.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from inspect import isawaitable
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response
from litestar.datastructures import FormMultiDict

from recall.errors import Conflict, InvalidInput, RecallError
from recall.settings import get_settings
from web.bad_input import parse_day
from web.pages.render import N_, gettext_for, see_other

T = TypeVar("T")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_AT = re.compile(r" - at `\$((?:\.[^`\[]+|\[\d+\])*)`$")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")
MAX_LIST_INDEX = 1000
# The form's <input type="datetime-local"> value, on the plant's clock.
LOCAL_MOMENT = "%Y-%m-%dT%H:%M"


def _parts(name: str) -> list[str | int]:
    return [key if key else int(index) for key, index in _PART.findall(name)]


def _slot(node: Any, key: str | int, empty: Any) -> Any:
    """node[key], created as `empty` when absent (lists grow to reach `key`)."""
    if isinstance(key, int):
        node.extend([None] * (key + 1 - len(node)))
        if node[key] is None:
            node[key] = empty
        return node[key]
    return node.setdefault(key, empty)


def _put(tree: dict[str, Any], parts: list[str | int], value: Any) -> None:
    node: Any = tree
    for here, after in itertools.pairwise(parts):
        node = _slot(node, here, [] if isinstance(after, int) else {})
    last = parts[-1]
    if isinstance(last, int):
        node.extend([None] * (last + 1 - len(node)))
    node[last] = value


def unflatten(form: FormMultiDict) -> dict[str, Any]:
    """Dotted and indexed names as nested objects; blanks are left out, `name[]` is a list."""
    tree: dict[str, Any] = {}
    for name in dict.fromkeys(form.keys()):
        if name.startswith("_") or name == "form_key":
            continue
        if name.endswith("[]"):
            values = [str(v).strip() for v in form.getall(name) if str(v).strip()]
            _put(tree, _parts(name[:-2]), values)
            continue
        value = str(form.get(name, "")).strip()
        parts = _parts(name)
        if not value or not parts:
            continue
        if any(isinstance(p, int) and p > MAX_LIST_INDEX for p in parts):
            raise InvalidInput(name, "too many lines")
        _put(tree, parts, value)
    return _without_holes(tree)


def _without_holes(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _without_holes(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_without_holes(value) for value in node if value is not None]
    return node


def field_of(error: msgspec.ValidationError) -> tuple[str, str]:
    """(dotted field, message) of a msgspec validation error."""
    text = str(error)
    at = _AT.search(text)
    path = at[1].lstrip(".") if at else ""
    message = text[: at.start()] if at else text
    missing = _MISSING.match(message)
    if missing:
        path = f"{path}.{missing[1]}" if path else missing[1]
        return path, "required"
    return path or "form", message


def read(form: FormMultiDict, struct: type[T], **fixed: Any) -> T:
    """The form as the API's request struct `struct` (text converted, as msgspec does for
    query strings); `fixed` values are set by the page, never by the form."""
    data = {**unflatten(form), **fixed}
    try:
        return msgspec.convert(data, struct, strict=False)
    except msgspec.ValidationError as exc:
        name, message = field_of(exc)
        raise InvalidInput(name, message) from None


def typed_day(text: str, field: str) -> date | None:
    """A day typed in a filter form; None when left blank, InvalidInput naming `field` when
    it is not a day."""
    return parse_day(field, text) if text else None


def typed(form: FormMultiDict) -> dict[str, str]:
    """What was typed in the form (not the page's own `_` fields), to show it again."""
    return {name: str(value) for name, value in form.items() if not name.startswith("_")}


def local_moment(text: str, field: str) -> datetime:
    """A moment typed on the plant's clock (datetime-local), as an aware time."""
    try:
        typed = datetime.strptime(text.strip(), LOCAL_MOMENT)
    except ValueError:
        raise InvalidInput(field, N_("a date and time, e.g. 2026-03-02T14:30")) from None
    return typed.replace(tzinfo=ZoneInfo(get_settings().time_zone))


def local_input(moment: datetime) -> str:
    """`moment` as a datetime-local input shows it, on the plant's clock."""
    return moment.astimezone(ZoneInfo(get_settings().time_zone)).strftime(LOCAL_MOMENT)


@dataclass
class FormState:
    """What a form shows: the values typed in and the one error to put right."""

    values: dict[str, str] = field(default_factory=dict)
    error_field: str | None = None
    error_text: str | None = None

    @classmethod
    def failed(cls, form: FormMultiDict, error: InvalidInput) -> FormState:
        text = error.detail.removeprefix(f"{error.field}: ")
        return cls(values=typed(form), error_field=error.field, error_text=text)

    def value(self, name: str, default: Any = "") -> str:
        return self.values.get(name, "" if default is None else str(default))

    def has_error(self, name: str) -> bool:
        field = self.error_field or ""
        return field == name or field.startswith((f"{name}.", f"{name}["))


def in_words(request: Request[Any, Any, Any], state: FormState) -> FormState:
    """The refusal in the reader's language, where the catalogues word it."""
    if state.error_text:
        state.error_text = gettext_for(request)(state.error_text)
    return state


@dataclass(frozen=True)
class QueryForm:
    """A filter form sent as a query string; its fields as typed (subclasses name them)."""

    @property
    def values(self) -> dict[str, str]:
        """The fields typed in, to fill the form again."""
        return {key: value for key, value in self.__dict__.items() if value}

    def query(self, **more: Any) -> str:
        """The same filter as a query string, with `more` (another page, a format)."""
        return urlencode({key: value for key, value in {**self.__dict__, **more}.items() if value})


@dataclass
class PageForms:
    """The forms of a page with several; a refused one comes back with its values and error."""

    states: dict[str, FormState] = field(default_factory=dict)
    conflict: tuple[str, str] | None = None  # (form, message)

    def __getitem__(self, name: str) -> FormState:
        return self.states.get(name) or FormState()


def _as_typed(state: FormState) -> FormState:
    return state


@dataclass(frozen=True)
class FormsPage:
    """A page at `path` with several forms, drawn by `show(forms, status_code=...)`."""

    path: str
    show: Callable[..., Awaitable[Response[Any]]]

    async def answer(
        self,
        form: FormMultiDict,
        change: Callable[[], Awaitable[Any]],
        name: str,
        anchor: str,
        *,
        shown: Callable[[FormState], FormState] = _as_typed,
    ) -> Response[Any]:
        """Run form `name`: back to its part of the page (303), or the page with it refused
        (`shown` adjusts the state shown again, as in form_action)."""

        async def refused(
            state: FormState, *, status_code: int, conflict: str | None = None
        ) -> Response[Any]:
            forms = PageForms({name: state}, None if conflict is None else (name, conflict))
            return await self.show(forms, status_code=status_code)

        back = see_other(f"{self.path}#{anchor}")
        return await form_action(form, change, lambda _changed: back, refused, shown=shown)


REFUSALS: tuple[type[RecallError], ...] = (InvalidInput, Conflict)


async def form_action(
    form: FormMultiDict,
    change: Callable[[], Awaitable[T]],
    done: Callable[[T], Response[Any] | Awaitable[Response[Any]]],
    again: Callable[..., Awaitable[Response[Any]]],
    *,
    refuses: tuple[type[RecallError], ...] = REFUSALS,
    shown: Callable[[FormState], FormState] = _as_typed,
) -> Response[Any]:
    """A page form's answer: `done(result of change())`, mostly a redirect (303).

    A change the domain refuses stores nothing and shows the page again through
    `again(state, status_code=..., conflict=...)`: InvalidInput with the values typed and the
    reason beside its field (422), Conflict with the values and the conflict's text (409).
    Only the errors in `refuses` are answered so; the others go on to the error pages.
    `shown` adjusts the state shown again (say, to leave out a password).
    """
    try:
        result = await change()
    except (InvalidInput, Conflict) as exc:
        if not isinstance(exc, refuses):
            raise
        if isinstance(exc, InvalidInput):
            return await again(shown(FormState.failed(form, exc)), status_code=422)
        state = shown(FormState(values=typed(form)))
        return await again(state, status_code=409, conflict=exc.detail)
    answer = done(result)
    return await answer if isawaitable(answer) else answer
