"""Pages for administrators: consignee API keys — listed, created (the key shown once), revoked
after a confirmation. The same use cases as `GET/DELETE /api/api-keys` audit every change."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Template

from recall import auth, masterdata
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from web.pages.account import private
from web.pages.admin import CHOICES_MAX, GUARDS, PAGE_SIZE, Id, Offset, Saved, when
from web.pages.forms import FormState, form_action
from web.pages.labels import API_KEY_SAVED
from web.pages.render import gettext_for, page, see_other

Code = Annotated[str | None, Parameter(required=False, max_length=40)]


async def _keys_page(
    request: Request[Actor, Any, Any],
    consignee_code: str | None = None,
    offset: int = 0,
    form: FormState | None = None,
    *,
    status_code: int = 200,
    saved: str | None = None,
    conflict: str | None = None,
) -> Template:
    code = (consignee_code or "").strip()
    keys, total = await auth.list_api_keys(request.user, code or None, PAGE_SIZE, offset)
    consignees, _count = await masterdata.list_consignees(None, CHOICES_MAX)
    _ = gettext_for(request)
    return page(
        request,
        "admin/api_keys.html",
        {
            "rows": keys,
            "total": total,
            "offset": offset,
            "page_size": PAGE_SIZE,
            "consignee_code": code,
            "query": f"&{urlencode({'consignee_code': code})}" if code else "",
            "consignees": consignees,
            "form": form or FormState(),
            "saved": _(API_KEY_SAVED[saved]) if saved in API_KEY_SAVED else None,
            "conflict": conflict,
            "when": when,
        },
        status_code=status_code,
    )


@get("/admin/api-keys", guards=GUARDS, include_in_schema=False)
async def key_list(
    request: Request[Actor, Any, Any],
    consignee_code: Code = None,
    offset: Offset = 0,
    saved: Saved = None,
) -> Template:
    return await _keys_page(request, consignee_code, offset, saved=saved)


@post("/admin/api-keys", guards=GUARDS, include_in_schema=False)
async def create_key(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    code = str(form.get("consignee_code", "")).strip()[:40]

    async def create() -> tuple[str, masterdata.Consignee]:
        if not code:
            raise InvalidInput("consignee_code", "required")
        consignee = await masterdata.consignee_by_code(code, field="consignee_code")
        return await auth.create_api_key(request.user, consignee.id), consignee

    def created(result: tuple[str, masterdata.Consignee]) -> Template:
        # Shown on this answer only (no redirect: the key must not travel in an address).
        key, consignee = result
        return page(
            request,
            "admin/api_key_created.html",
            {"key": key, "consignee": consignee},
            status_code=201,
        )

    return await form_action(
        form,
        create,
        created,
        lambda state, **shown: _keys_page(request, None, 0, state, **shown),
        refuses=(InvalidInput,),
        shown=private(request),
    )


@get("/admin/api-keys/{key_id:int}/revoke", guards=GUARDS, include_in_schema=False)
async def revoke_form(request: Request[Actor, Any, Any], key_id: Id) -> Template:
    key = await auth.get_api_key(request.user, key_id)
    return page(request, "admin/api_key_revoke.html", {"key": key, "when": when})


@post("/admin/api-keys/{key_id:int}/revoke", guards=GUARDS, include_in_schema=False)
async def revoke_key(request: Request[Actor, Any, Any], key_id: Id) -> Response[Any]:
    async def revoke() -> None:
        await auth.revoke_api_key(request.user, key_id)

    async def again(
        _state: FormState, *, status_code: int, conflict: str | None = None
    ) -> Template:
        # The only conflict revoking meets is a key revoked already.
        text = gettext_for(request)("This key was already revoked.")
        return await _keys_page(request, status_code=status_code, conflict=text)

    return await form_action(
        await request.form(),
        revoke,
        lambda _revoked: see_other("/admin/api-keys?saved=revoked"),
        again,
        refuses=(Conflict,),
    )


ROUTES = [key_list, create_key, revoke_form, revoke_key]
