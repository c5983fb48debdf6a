"""Pages: a signed-in person changes its own password; the account texts the admin pages share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from recall import auth
from recall.actors import Actor
from recall.errors import Forbidden, InvalidInput, NotAuthenticated
from recall.settings import get_settings
from web.pages.forms import FormState, form_action
from web.pages.render import N_, gettext_for, page, see_other
from web.pages.session import begin_session, signed_in
from web.sign_in_throttle import throttled_password_change

MAX_FIELD = 1024
Saved = Annotated[str | None, Parameter(required=False, max_length=20)]

# The account use cases' reasons, as they raise them, so the pages can show them translated.
ACCOUNT_TEXTS = (
    N_("must be at least 12 characters"),
    N_("must be at most 1024 characters"),
    N_("must not be one character repeated"),
    N_("must not be the username"),
    N_("is too common; choose one that is not on lists of passwords"),
    N_("is wrong"),
    N_("must differ from the current password"),
    N_("must not be empty"),
    N_("at least one role is required"),
    N_("required for the distributor role"),
    N_("only a distributor-only user is bound to a consignee"),
    N_("a user bound to a consignee stays distributor-only"),
    N_("a distributor must be created bound to its consignee"),
    N_("2-150 characters: lower-case letters, digits and . _ @ - only"),
    N_("the last active admin cannot be deactivated or lose the admin role"),
)


def say(_: Callable[[str], str], text: str) -> str:
    """A use case's reason in the reader's language (texts with values get a general one)."""
    if text.startswith("no consignee with code"):
        return _("No consignee has this code.")
    if text.startswith("unknown role"):
        return _("This role does not exist.")
    if text.startswith(("Expected", "Object", "Invalid")):
        return _("This value is not valid.")
    return _(text)


def private(request: Request[Any, Any, Any]) -> Callable[[FormState], FormState]:
    """For form_action: a refused account form shown again never with a password, and with
    the reason beside its field in the reader's words."""
    _ = gettext_for(request)

    def shown(state: FormState) -> FormState:
        state.values = {k: v for k, v in state.values.items() if "password" not in k}
        if state.error_field is not None:
            state.error_text = say(_, state.error_text or "")
        return state

    return shown


async def _password_page(
    request: Request[Actor, Any, Any],
    form: FormState | None = None,
    *,
    saved: bool = False,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "account/password.html",
        {"form": form or FormState(), "saved": saved},
        status_code=status_code,
    )


@get("/account/password", guards=[signed_in], include_in_schema=False)
async def password_form(request: Request[Actor, Any, Any], saved: Saved = None) -> Template:
    if request.user.via_api_key:
        raise Forbidden("an API key has no password")
    return await _password_page(request, saved=saved == "1")


@post("/account/password", guards=[signed_in], include_in_schema=False)
async def change_password(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    current = str(form.get("current_password", ""))[:MAX_FIELD]
    new = str(form.get("new_password", ""))[:MAX_FIELD]

    async def change() -> None:
        if not current:
            raise InvalidInput("current_password", "required")
        await throttled_password_change(request, current, new)

    async def signed_in_again(_changed: None) -> Redirect:
        # Every earlier token ended with the change, this session's too: sign in again at once.
        settings = get_settings()
        try:
            token, _user = await auth.login(
                request.user.username, new, settings.secret_key, settings.token_ttl_minutes
            )
        except NotAuthenticated:
            return see_other("/login")
        await begin_session(request, token)
        return see_other("/account/password?saved=1")

    return await form_action(
        form,
        change,
        signed_in_again,
        lambda state, **shown: _password_page(request, state, **shown),
        refuses=(InvalidInput,),
        shown=private(request),
    )


ROUTES = [password_form, change_password]
