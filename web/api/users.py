"""Sign-in and user administration."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.params import JSONBody

from recall import auth
from recall.auth import Actor
from recall.settings import get_settings
from web.security import ADMIN_ONLY

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=150)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class LoginRequest(msgspec.Struct):
    username: Username
    password: Password


class UserRead(msgspec.Struct):
    id: int
    username: str
    full_name: str
    roles: list[str]
    consignee_code: str | None = None


class LoginResponse(msgspec.Struct):
    token: str
    user: UserRead


class UserCreate(msgspec.Struct):
    username: Username
    password: Password
    full_name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    roles: Annotated[list[str], msgspec.Meta(min_length=1, max_length=6)]
    consignee_code: Annotated[str, msgspec.Meta(max_length=40)] | None = None


def user_read(user: auth.User) -> UserRead:
    return UserRead(user.id, user.username, user.full_name, user.roles, user.consignee_code)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", operation_id="Login", status_code=200, security=[])
    async def login(self, data: JSONBody[LoginRequest]) -> LoginResponse:
        settings = get_settings()
        token, user = await auth.login(
            data.username, data.password, settings.secret_key, settings.token_ttl_minutes
        )
        return LoginResponse(token=token, user=user_read(user))


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [ADMIN_ONLY]

    @post("/", operation_id="CreateUser")
    async def create_user(
        self, data: JSONBody[UserCreate], request: Request[Actor, Any, Any]
    ) -> UserRead:
        user = await auth.create_user(
            request.user,
            data.username,
            data.password,
            data.full_name,
            data.roles,
            data.consignee_code,
        )
        return user_read(user)
