"""Pages for administrators: user accounts (create, change name and roles, deactivate,
reset a password). Consignee API keys are on the pages of `web.pages.admin_keys`.

Every change goes through the same account use cases as the JSON API, which audit it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Redirect, Template

from recall import auth, masterdata
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, RecallError
from recall.settings import get_settings
from web.api.users import UserCreate
from web.pages.account import MAX_FIELD, private, say
from web.pages.forms import REFUSALS, FormState, form_action, read
from web.pages.labels import ROLE_NAMES, USER_SAVED, translated
from web.pages.render import gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.security import ADMIN_ONLY

GUARDS = [signed_in, ADMIN_ONLY]
PAGE_SIZE = 50
CHOICES_MAX = 500
Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1)]
Id = Annotated[int, Parameter(ge=1, le=2**31 - 1)]
Saved = Annotated[str | None, Parameter(required=False, max_length=20)]


def when(moment: Any) -> str:
    """A stored moment on the plant's clock, or a dash."""
    return local_time(moment, get_settings().time_zone) if moment else "—"


def role_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    return translated(gettext_for(request), ROLE_NAMES)


def saved_text(request: Request[Any, Any, Any], saved: str | None) -> str | None:
    return gettext_for(request)(USER_SAVED[saved]) if saved in USER_SAVED else None


def _ticked(form: FormMultiDict) -> list[str]:
    return [str(role) for role in form.getall("roles[]", [])][:10]


def _roles(form: FormMultiDict) -> list[str]:
    roles = _ticked(form)
    if not roles:
        raise InvalidInput("roles", "at least one role is required")
    return roles


@get("/admin", guards=GUARDS, include_in_schema=False)
async def admin_home() -> Redirect:
    return see_other("/admin/users")


# Users ---------------------------------------------------------------------------------


async def _users_page(
    request: Request[Actor, Any, Any],
    offset: int = 0,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    conflict: str | None = None,
    ticked: list[str] | None = None,
) -> Template:
    users, total = await auth.list_users(PAGE_SIZE, offset)
    consignees, _count = await masterdata.list_consignees(None, CHOICES_MAX)
    return page(
        request,
        "admin/users.html",
        {
            "rows": users,
            "total": total,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "form": form or FormState(),
            "conflict": conflict,
            "role_names": role_names(request),
            "consignees": consignees,
            "ticked": ticked or [],
            "when": when,
        },
        status_code=status_code,
    )


@get("/admin/users", guards=GUARDS, include_in_schema=False)
async def user_list(request: Request[Actor, Any, Any], offset: Offset = 0) -> Template:
    return await _users_page(request, offset)


@post("/admin/users", guards=GUARDS, include_in_schema=False)
async def create_user(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()

    async def create() -> auth.User:
        data = read(form, UserCreate, roles=_roles(form))
        return await auth.create_user(
            request.user,
            data.username,
            data.password[:MAX_FIELD],
            data.full_name,
            data.roles,
            data.consignee_code,
        )

    async def again(state: FormState, *, status_code: int, conflict: str | None = None) -> Template:
        # The only conflict creating a user meets is a username already taken.
        _ = gettext_for(request)
        taken = _("This username is taken: choose another.") if conflict is not None else None
        return await _users_page(
            request, 0, state, status_code=status_code, conflict=taken, ticked=_ticked(form)
        )

    return await form_action(
        form,
        create,
        lambda user: see_other(f"/admin/users/{user.id}?saved=created"),
        again,
        shown=private(request),
    )


async def _user_page(
    request: Request[Actor, Any, Any],
    user_id: int,
    forms: dict[str, FormState] | None = None,
    *,
    status_code: int = 200,
    saved: str | None = None,
    conflict: str | None = None,
    ticked: list[str] | None = None,
) -> Template:
    user = await auth.get_user(user_id)
    forms = forms or {}
    return page(
        request,
        "admin/user.html",
        {
            "user": user,
            "details": forms.get("details", FormState()),
            "password_form": forms.get("password", FormState()),
            "role_names": role_names(request),
            "ticked": user.roles if ticked is None else ticked,
            "saved": saved_text(request, saved),
            "conflict": conflict,
            "when": when,
        },
        status_code=status_code,
    )


@get("/admin/users/{user_id:int}", guards=GUARDS, include_in_schema=False)
async def user_detail(
    request: Request[Actor, Any, Any], user_id: Id, saved: Saved = None
) -> Template:
    return await _user_page(request, user_id, saved=saved)


async def _user_form(
    request: Request[Actor, Any, Any],
    user_id: int,
    form: FormMultiDict,
    name: str,
    change: Callable[[], Awaitable[Any]],
    saved: str,
    refuses: tuple[type[RecallError], ...],
) -> Response[Any]:
    """Run one of the user page's forms: the page saying `saved`, or the page with the form
    refused (a conflict is said above the forms)."""

    async def again(state: FormState, *, status_code: int, conflict: str | None = None) -> Template:
        if conflict is not None:
            text = say(gettext_for(request), conflict)
            return await _user_page(request, user_id, status_code=status_code, conflict=text)
        ticked = _ticked(form) if name == "details" else None
        return await _user_page(
            request, user_id, {name: state}, status_code=status_code, ticked=ticked
        )

    return await form_action(
        form,
        change,
        lambda _changed: see_other(f"/admin/users/{user_id}?saved={saved}"),
        again,
        refuses=refuses,
        shown=private(request),
    )


@post("/admin/users/{user_id:int}", guards=GUARDS, include_in_schema=False)
async def update_user(request: Request[Actor, Any, Any], user_id: Id) -> Response[Any]:
    form = await request.form()

    async def update() -> None:
        await auth.update_user(
            request.user,
            user_id,
            full_name=str(form.get("full_name", ""))[:MAX_FIELD],
            roles=_roles(form),
        )

    return await _user_form(request, user_id, form, "details", update, "updated", REFUSALS)


@post("/admin/users/{user_id:int}/active", guards=GUARDS, include_in_schema=False)
async def set_active(request: Request[Actor, Any, Any], user_id: Id) -> Response[Any]:
    form = await request.form()
    active = str(form.get("active", "")) == "true"

    async def change() -> None:
        await auth.update_user(request.user, user_id, active=active)

    saved = "reactivated" if active else "deactivated"
    return await _user_form(request, user_id, form, "details", change, saved, (Conflict,))


@post("/admin/users/{user_id:int}/password", guards=GUARDS, include_in_schema=False)
async def reset_password(request: Request[Actor, Any, Any], user_id: Id) -> Response[Any]:
    form = await request.form()
    password = str(form.get("password", ""))[:MAX_FIELD]

    async def reset() -> None:
        await auth.set_password(request.user, user_id, password)

    return await _user_form(request, user_id, form, "password", reset, "password", (InvalidInput,))


ROUTES = [
    admin_home,
    user_list,
    create_user,
    user_detail,
    update_user,
    set_active,
    reset_password,
]
