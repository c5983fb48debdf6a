"""Pages: a signed-in distributor's recall notices, answered as on the portal.

The notice page is the portal's (web._notice_page, web._notice_forms: the same template
part, form readers and use cases), acting as the signed-in user and in the reader's
language. Another consignee's notice is "not found", never "forbidden": its existence is
not the reader's to know.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from recall import masterdata, notices
from recall.actors import Actor
from recall.errors import Conflict, Forbidden
from web._notice_forms import answer
from web._notice_page import is_overdue, local, notice_context, repeated_scans
from web.pages.render import HEADERS, gettext_for, page
from web.pages.session import signed_in
from web.queue import kick
from web.security import DISTRIBUTOR_ONLY

PER_PAGE = 50

NoticeId = Annotated[int, PathParameter(description="The notice's id")]
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=100_000)]
Done = Annotated[str | None, QueryParameter(max_length=20)]
Duplicates = Annotated[str | None, QueryParameter(max_length=10)]


def _consignee_id(actor: Actor) -> int:
    if actor.consignee_id is None:
        raise Forbidden("this account is not bound to a consignee")
    return actor.consignee_id


@get("/notices", guards=[signed_in, DISTRIBUTOR_ONLY], include_in_schema=False)
async def notice_list(request: Request[Actor, Any, Any], page_number: PageNumber = 1) -> Template:
    """The distributor's own notices, newest first, the overdue ones marked."""
    _consignee_id(request.user)
    shown, total = await notices.list_own_notices(
        request.user, PER_PAGE, (page_number - 1) * PER_PAGE
    )
    pages = max(1, -(-total // PER_PAGE))
    return page(
        request,
        "notices/list.html",
        {
            "rows": [
                {
                    "notice": notice,
                    "respond_by": local(notice.respond_by),
                    "overdue": is_overdue(notice),
                }
                for notice in shown
            ],
            "total": total,
            "page_number": page_number,
            "pages": pages,
        },
    )


async def _notice_page(
    request: Request[Actor, Any, Any], notice_id: int, *, status_code: int = 200, **shown: Any
) -> Template:
    context = await notice_context(request.user, notice_id, gettext_for(request), **shown)
    consignee = await masterdata.get_consignee(_consignee_id(request.user))
    context.update(
        consignee_name=consignee.name,
        consignee_code=consignee.code,
        notice_url=f"/notices/{notice_id}",
    )
    return page(request, "notices/notice.html", context, status_code=status_code)


@get("/notices/{notice_id:int}", guards=[signed_in, DISTRIBUTOR_ONLY], include_in_schema=False)
async def notice_detail(
    request: Request[Actor, Any, Any],
    notice_id: NoticeId,
    done: Done = None,
    duplicates: Duplicates = None,
) -> Template:
    """The recall in plain words, what to look for, and the forms to answer it."""
    return await _notice_page(request, notice_id, done=done, duplicates=repeated_scans(duplicates))


async def _answer(request: Request[Actor, Any, Any], notice_id: int, which: str) -> Response[Any]:
    """Run one of the notice's forms; back to the notice (303), or the form with its error."""
    notice_page = partial(_notice_page, request, notice_id)
    url = f"/notices/{notice_id}"
    try:
        return await answer(request, request.user, notice_id, which, notice_page, url, HEADERS)
    except Conflict:
        _ = gettext_for(request)
        text = _(
            "The notice could not be changed: the recall may be closed, or the notice changed "
            "meanwhile. Open the notice again to see where it stands."
        )
        return page(
            request, "message.html", {"title": _("Not saved"), "text": text}, status_code=409
        )


# Every form answers with the notice page again (303) or the form with its error.
FORM: dict[str, Any] = {
    "guards": [signed_in, DISTRIBUTOR_ONLY],
    "status_code": 303,
    "include_in_schema": False,
}


@post("/notices/{notice_id:int}/acknowledge", **FORM)
async def acknowledge(request: Request[Actor, Any, Any], notice_id: NoticeId) -> Response[Any]:
    return await _answer(request, notice_id, "acknowledge")


@post("/notices/{notice_id:int}/stock", **FORM)
async def report_stock(request: Request[Actor, Any, Any], notice_id: NoticeId) -> Response[Any]:
    return await _answer(request, notice_id, "stock")


@post("/notices/{notice_id:int}/returns", **FORM)
async def record_returns(request: Request[Actor, Any, Any], notice_id: NoticeId) -> Response[Any]:
    return await _answer(request, notice_id, "returns")


@post("/notices/{notice_id:int}/customers", after_response=kick, **FORM)
async def name_customers(request: Request[Actor, Any, Any], notice_id: NoticeId) -> Response[Any]:
    return await _answer(request, notice_id, "customers")


ROUTES: list[Any] = [
    notice_list,
    notice_detail,
    acknowledge,
    report_stock,
    record_returns,
    name_customers,
]
