"""Pages for administrators: user accounts (create, change name and roles, deactivate,
reset a password). Consignee API keys are on the pages of `web.pages.admin_keys`.

Every change goes through the same account use cases as the JSON API, which audit it.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Redirect, Template

from recall import auth, masterdata
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from recall.settings import get_settings
from web.api.users import UserCreate
from web.pages.account import MAX_FIELD, refused, say
from web.pages.forms import FormState, read
from web.pages.labels import ROLE_NAMES, USER_SAVED, translated
from web.pages.render import HEADERS, gettext_for, local_time, page
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


def _redirect(path: str) -> Redirect:
    return Redirect(path, status_code=303, headers=HEADERS)


def _ticked(form: FormMultiDict) -> list[str]:
    return [str(role) for role in form.getall("roles[]", [])][:10]


def _roles(form: FormMultiDict) -> list[str]:
    roles = _ticked(form)
    if not roles:
        raise InvalidInput("roles", "at least one role is required")
    return roles


@get("/admin", guards=GUARDS, include_in_schema=False)
async def admin_home() -> Redirect:
    return _redirect("/admin/users")


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
async def create_user(request: Request[Actor, Any, Any]) -> Template | Redirect:
    form = await request.form()
    try:
        data = read(form, UserCreate, roles=_roles(form))
        user = await auth.create_user(
            request.user,
            data.username,
            data.password[:MAX_FIELD],
            data.full_name,
            data.roles,
            data.consignee_code,
        )
    except InvalidInput as exc:
        state, ticked = refused(request, form, exc), _ticked(form)
        return await _users_page(request, 0, state, status_code=422, ticked=ticked)
    except Conflict:
        state = FormState(values={k: str(v) for k, v in form.items() if "password" not in k})
        taken = gettext_for(request)("This username is taken: choose another.")
        return await _users_page(
            request, 0, state, status_code=409, conflict=taken, ticked=_ticked(form)
        )
    return _redirect(f"/admin/users/{user.id}?saved=created")


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


@post("/admin/users/{user_id:int}", guards=GUARDS, include_in_schema=False)
async def update_user(request: Request[Actor, Any, Any], user_id: Id) -> Template | Redirect:
    form = await request.form()
    try:
        await auth.update_user(
            request.user,
            user_id,
            full_name=str(form.get("full_name", ""))[:MAX_FIELD],
            roles=_roles(form),
        )
    except InvalidInput as exc:
        state, ticked = refused(request, form, exc), _ticked(form)
        return await _user_page(
            request, user_id, {"details": state}, status_code=422, ticked=ticked
        )
    except Conflict as exc:
        text = say(gettext_for(request), exc.detail)
        return await _user_page(request, user_id, status_code=409, conflict=text)
    return _redirect(f"/admin/users/{user_id}?saved=updated")


@post("/admin/users/{user_id:int}/active", guards=GUARDS, include_in_schema=False)
async def set_active(request: Request[Actor, Any, Any], user_id: Id) -> Template | Redirect:
    form = await request.form()
    active = str(form.get("active", "")) == "true"
    try:
        await auth.update_user(request.user, user_id, active=active)
    except Conflict as exc:
        text = say(gettext_for(request), exc.detail)
        return await _user_page(request, user_id, status_code=409, conflict=text)
    return _redirect(f"/admin/users/{user_id}?saved={'reactivated' if active else 'deactivated'}")


@post("/admin/users/{user_id:int}/password", guards=GUARDS, include_in_schema=False)
async def reset_password(request: Request[Actor, Any, Any], user_id: Id) -> Template | Redirect:
    form = await request.form()
    password = str(form.get("password", ""))[:MAX_FIELD]
    try:
        await auth.set_password(request.user, user_id, password)
    except InvalidInput as exc:
        state = refused(request, form, exc)
        return await _user_page(request, user_id, {"password": state}, status_code=422)
    return _redirect(f"/admin/users/{user_id}?saved=password")


ROUTES = [
    admin_home,
    user_list,
    create_user,
    user_detail,
    update_user,
    set_active,
    reset_password,
]
