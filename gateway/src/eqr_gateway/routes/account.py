"""The signed-in user's profile, preferences, sessions and API keys: /api/v1/auth/..."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response, status

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr_gateway.clients import UserAuth
from eqr_gateway.convert import (
    api_key_out,
    created_api_key_out,
    preferences_out,
    preferences_update_pb,
    session_out,
    user_out,
)
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.openapi import problem_responses
from eqr_gateway.resources import get_resources
from eqr_gateway.schemas.account import (
    ApiKeyList,
    CreateApiKeyRequest,
    CreatedApiKey,
    Preferences,
    PreferencesUpdate,
    SessionList,
    UpdateMeRequest,
)
from eqr_gateway.schemas.auth import User
from eqr_gateway.security import CurrentPrincipal
from eqr_platform.protobuf import timestamp_pb

router = APIRouter(prefix="/api/v1/auth")

_READ_ERRORS = problem_responses(400, 401, 429, 503)
_WRITE_ERRORS = problem_responses(400, 401, 409, 413, 422, 429, 503)


@router.get("/me", tags=["account"], summary="The signed-in user", responses=_READ_ERRORS)
async def get_me(auth: UserAuth) -> User:
    response = await auth.upstream.call(auth.stub.GetCurrentUser, pb.GetCurrentUserRequest())
    return user_out(response.user)


@router.put(
    "/me",
    tags=["account"],
    summary="Update the signed-in user's name or email",
    description="Only the fields sent change; absent or null fields keep their value.",
    responses=_WRITE_ERRORS,
)
async def update_me(body: UpdateMeRequest, auth: UserAuth) -> User:
    message = pb.UpdateCurrentUserRequest()
    if body.full_name is not None:
        message.full_name = body.full_name
    if body.email is not None:
        message.email = body.email
    response = await auth.upstream.call(auth.stub.UpdateCurrentUser, message)
    return user_out(response.user)


@router.get(
    "/me/preferences", tags=["account"], summary="The signed-in user's preferences", responses=_READ_ERRORS
)
async def get_preferences(auth: UserAuth) -> Preferences:
    response = await auth.upstream.call(auth.stub.GetPreferences, pb.GetPreferencesRequest())
    return preferences_out(response.preferences)


@router.put(
    "/me/preferences",
    tags=["account"],
    summary="Update the signed-in user's preferences",
    description="Only the fields sent are replaced; absent or null fields keep their value.",
    responses=_WRITE_ERRORS,
)
async def update_preferences(body: PreferencesUpdate, auth: UserAuth) -> Preferences:
    preferences, mask = preferences_update_pb(body)
    if not mask:
        return await get_preferences(auth)
    message = pb.UpdatePreferencesRequest(preferences=preferences, update_mask=mask)
    response = await auth.upstream.call(
        auth.stub.UpdatePreferences,
        message,
        fields=(
            ("preferences.dashboard_layout_json", "body.dashboard_layout"),
            ("preferences.", "body."),
            ("", "body."),
        ),
    )
    return preferences_out(response.preferences)


@router.get(
    "/sessions", tags=["sessions"], summary="The signed-in user's active sessions", responses=_READ_ERRORS
)
async def list_sessions(auth: UserAuth) -> SessionList:
    response = await auth.upstream.call(auth.stub.ListSessions, pb.ListSessionsRequest())
    return SessionList(items=[session_out(session) for session in response.sessions])


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["sessions"],
    summary="End one of the signed-in user's sessions",
    response_description="The session has ended.",
    description="The session's tokens stop working immediately.",
    responses=problem_responses(401, 404, 422, 429, 503),
)
async def revoke_session(session_id: UUID, request: Request, auth: UserAuth) -> Response:
    message = pb.RevokeSessionRequest(session_id=str(session_id))
    await auth.upstream.call(auth.stub.RevokeSession, message, fields=(("session_id", "path.session_id"),))
    await get_resources(request).denylist.revoke(str(session_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api-keys", tags=["api-keys"], summary="The signed-in user's API keys", responses=_READ_ERRORS)
async def list_api_keys(auth: UserAuth) -> ApiKeyList:
    response = await auth.upstream.call(auth.stub.ListApiKeys, pb.ListApiKeysRequest())
    return ApiKeyList(items=[api_key_out(key) for key in response.api_keys])


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
    summary="Create an API key",
    response_description="The new key, with its secret.",
    description="The response holds the full key (`secret`) exactly once. Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=_WRITE_ERRORS,
)
async def create_api_key(body: CreateApiKeyRequest, auth: UserAuth) -> CreatedApiKey:
    message = pb.CreateApiKeyRequest(name=body.name, scopes=body.scopes)
    if body.expires_at is not None:
        message.expires_at.CopyFrom(timestamp_pb(body.expires_at))
    response = await auth.upstream.call(auth.stub.CreateApiKey, message)
    return created_api_key_out(response.api_key, response.secret)


@router.delete(
    "/api-keys/{api_key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["api-keys"],
    summary="Revoke an API key",
    response_description="The key no longer works.",
    responses=problem_responses(401, 404, 422, 429, 503),
)
async def revoke_api_key(
    api_key_id: UUID, request: Request, principal: CurrentPrincipal, auth: UserAuth
) -> Response:
    message = pb.RevokeApiKeyRequest(api_key_id=str(api_key_id))
    await auth.upstream.call(auth.stub.RevokeApiKey, message, fields=(("api_key_id", "path.api_key_id"),))
    await get_resources(request).api_keys.forget_user(principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
