"""JSON controllers, one per resource."""

from web.api.audit import AuditController
from web.api.system import SystemController
from web.api.users import AuthController, UserController

ROUTE_HANDLERS = [
    SystemController,
    AuthController,
    UserController,
    AuditController,
]
