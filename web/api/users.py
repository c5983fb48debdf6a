"""Sign-in and out, own password, and user administration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter

from recall import auth
from recall.actors import Actor
from recall.settings import get_settings
from web.api.schemas import Limit, Offset, Page, read_model
from web.security import ADMIN_ONLY, ANY_ROLE
from web.sign_in_throttle import throttled_login, throttled_password_change

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Roles = Annotated[list[str], msgspec.Meta(min_length=1, max_length=6)]
UserId = Annotated[int, PathParameter(description="The user's id", ge=1, le=2_147_483_647)]


class LoginRequest(msgspec.Struct):
    username: Username
    password: Password


class UserRead(msgspec.Struct):
    id: int
    username: str
    full_name: str
    roles: list[str]
    consignee_code: str | None = None


class AccountRead(msgspec.Struct):
    """A user as administrators see it."""

    id: int
    username: str
    full_name: str
    roles: list[str]
    consignee_code: str | None
    active: bool
    created_at: datetime | None
    last_sign_in_at: datetime | None


class LoginResponse(msgspec.Struct):
    token: str
    user: UserRead


class UserCreate(msgspec.Struct):
    username: Username
    password: Password
    full_name: FullName
    roles: Roles
    consignee_code: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class UserChange(msgspec.Struct, forbid_unknown_fields=True):
    full_name: FullName | None = None
    roles: Roles | None = None
    active: bool | None = None


class PasswordReset(msgspec.Struct):
    password: Password


class PasswordChange(msgspec.Struct):
    current_password: Password
    new_password: Password


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", operation_id="Login", status_code=200, security=[])
    async def login(
        self, data: JSONBody[LoginRequest], request: Request[Any, Any, Any]
    ) -> LoginResponse:
        token, user = await throttled_login(request, data.username, data.password)
        return LoginResponse(token=token, user=read_model(UserRead, user))

    @post("/logout", operation_id="Logout", status_code=204, guards=[ANY_ROLE])
    async def logout(self, request: Request[Actor, str, Any]) -> None:
        """End the bearer token of this request: it answers 401 from now on."""
        if not request.user.via_api_key:
            await auth.end_token(request.auth, get_settings().secret_key)

    @post("/password", operation_id="ChangeOwnPassword", status_code=204, guards=[ANY_ROLE])
    async def change_password(
        self, data: JSONBody[PasswordChange], request: Request[Actor, Any, Any]
    ) -> None:
        """Change one's own password; every token and session held until now ends."""
        await throttled_password_change(request, data.current_password, data.new_password)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [ADMIN_ONLY]

    @get("/", operation_id="ListUsers")
    async def list_users(self, limit: Limit = 50, offset: Offset = 0) -> Page[AccountRead]:
        users, total = await auth.list_users(limit, offset)
        return Page([read_model(AccountRead, user) for user in users], total)

    @post("/", operation_id="CreateUser")
    async def create_user(
        self, data: JSONBody[UserCreate], request: Request[Actor, Any, Any]
    ) -> AccountRead:
        user = await auth.create_user(
            request.user,
            data.username,
            data.password,
            data.full_name,
            data.roles,
            data.consignee_code,
        )
        return read_model(AccountRead, user)

    @get("/{user_id:int}", operation_id="GetUser")
    async def get_user(self, user_id: UserId) -> AccountRead:
        return read_model(AccountRead, await auth.get_user(user_id))

    @patch("/{user_id:int}", operation_id="UpdateUser")
    async def update_user(
        self, user_id: UserId, data: JSONBody[UserChange], request: Request[Actor, Any, Any]
    ) -> AccountRead:
        """Change name, roles or active; a role change or deactivation ends the user's tokens."""
        user = await auth.update_user(
            request.user, user_id, full_name=data.full_name, roles=data.roles, active=data.active
        )
        return read_model(AccountRead, user)

    @post("/{user_id:int}/password", operation_id="ResetUserPassword", status_code=204)
    async def reset_password(
        self, user_id: UserId, data: JSONBody[PasswordReset], request: Request[Actor, Any, Any]
    ) -> None:
        """Set a new password for a user; every token and session the user held ends."""
        await auth.set_password(request.user, user_id, data.password)
