"""User administration, for admins only: /api/v1/admin."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.common.v1 import paging_pb2
from eqr_gateway.clients import UserAuth
from eqr_gateway.convert import ROLE_TO_PB, user_out
from eqr_gateway.openapi import problem_responses
from eqr_gateway.resources import get_resources
from eqr_gateway.schemas.admin import SetRoleRequest, UserPage
from eqr_gateway.schemas.auth import User
from eqr_gateway.security import require_role

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[Depends(require_role("admin"))])

_USER_ID_FIELD = (("user_id", "path.user_id"), ("", "body."))


@router.get(
    "/users",
    summary="List users, a page at a time",
    description="Cursor pagination: pass the previous page's `next_cursor` as `cursor`.",
    responses=problem_responses(401, 403, 422, 429, 503),
)
async def list_users(
    auth: UserAuth,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="From the previous page.")] = None,
    q: Annotated[str | None, Query(max_length=200, description="Substring of email or name.")] = None,
) -> UserPage:
    message = pb.ListUsersRequest(
        page=paging_pb2.PageRequest(page_size=limit, page_token=cursor or ""), query=q or ""
    )
    response = await auth.upstream.call(
        auth.stub.ListUsers,
        message,
        fields=(("page.page_token", "query.cursor"), ("page.page_size", "query.limit"), ("query", "query.q")),
    )
    return UserPage(
        items=[user_out(user) for user in response.users], next_cursor=response.page.next_page_token or None
    )


@router.put(
    "/users/{user_id}/role",
    summary="Change a user's role",
    responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 429, 503),
)
async def set_user_role(user_id: UUID, body: SetRoleRequest, auth: UserAuth) -> User:
    message = pb.SetUserRoleRequest(user_id=str(user_id), role=ROLE_TO_PB[body.role])
    response = await auth.upstream.call(auth.stub.SetUserRole, message, fields=_USER_ID_FIELD)
    return user_out(response.user)


@router.post(
    "/users/{user_id}/deactivate",
    summary="Deactivate a user",
    description="The user can no longer sign in; their sessions and API keys stop working.",
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
async def deactivate_user(user_id: UUID, request: Request, auth: UserAuth) -> User:
    message = pb.DeactivateUserRequest(user_id=str(user_id))
    response = await auth.upstream.call(auth.stub.DeactivateUser, message, fields=_USER_ID_FIELD)
    await get_resources(request).api_keys.forget_user(str(user_id))
    return user_out(response.user)
