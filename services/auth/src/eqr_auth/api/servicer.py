"""AuthService over gRPC: protobuf in, use case, protobuf out. No logic of its own."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr.auth.v1 import auth_service_pb2_grpc
from eqr.common.v1 import paging_pb2
from eqr_auth.api import convert
from eqr_auth.app import accounts, admin, api_keys, password_reset, preferences, sessions, signing_keys
from eqr_auth.app.dependencies import Dependencies
from eqr_auth.domain.users import ClientInfo, Principal
from eqr_platform.grpc.context import current_call, require_claims

Context = Any


def _principal() -> Principal:
    claims = require_claims()
    return Principal(user_id=claims.subject, session_id=claims.session_id, scopes=claims.scopes)


def _client() -> ClientInfo:
    call = current_call()
    return ClientInfo(ip_address=call.client_ip, user_agent=call.user_agent)


class AuthServicer(auth_service_pb2_grpc.AuthServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def RegisterUser(
        self, request: pb.RegisterUserRequest, context: Context
    ) -> pb.RegisterUserResponse:
        user = await accounts.register_user(
            self._deps, email=request.email, password=request.password, full_name=request.full_name
        )
        return pb.RegisterUserResponse(user=convert.user_to_pb(user))

    async def CreateSession(
        self, request: pb.CreateSessionRequest, context: Context
    ) -> pb.CreateSessionResponse:
        result = await sessions.login(
            self._deps, email=request.email, password=request.password, client=_client()
        )
        return pb.CreateSessionResponse(
            tokens=convert.tokens_to_pb(result.tokens), user=convert.user_to_pb(result.user)
        )

    async def RefreshSession(
        self, request: pb.RefreshSessionRequest, context: Context
    ) -> pb.RefreshSessionResponse:
        tokens = await sessions.refresh_session(
            self._deps, refresh_token=request.refresh_token, client=_client()
        )
        return pb.RefreshSessionResponse(tokens=convert.tokens_to_pb(tokens))

    async def EndSession(self, request: pb.EndSessionRequest, context: Context) -> pb.EndSessionResponse:
        await sessions.end_session(self._deps, _principal())
        return pb.EndSessionResponse()

    async def ListSessions(
        self, request: pb.ListSessionsRequest, context: Context
    ) -> pb.ListSessionsResponse:
        views = await sessions.list_sessions(self._deps, _principal())
        return pb.ListSessionsResponse(sessions=[convert.session_to_pb(view) for view in views])

    async def RevokeSession(
        self, request: pb.RevokeSessionRequest, context: Context
    ) -> pb.RevokeSessionResponse:
        await sessions.revoke_session(self._deps, _principal(), session_id=request.session_id)
        return pb.RevokeSessionResponse()

    async def RequestPasswordReset(
        self, request: pb.RequestPasswordResetRequest, context: Context
    ) -> pb.RequestPasswordResetResponse:
        await password_reset.request_password_reset(self._deps, email=request.email)
        return pb.RequestPasswordResetResponse()

    async def ResetPassword(
        self, request: pb.ResetPasswordRequest, context: Context
    ) -> pb.ResetPasswordResponse:
        await password_reset.reset_password(
            self._deps, token=request.token, new_password=request.new_password
        )
        return pb.ResetPasswordResponse()

    async def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: Context
    ) -> pb.ChangePasswordResponse:
        await accounts.change_password(
            self._deps,
            _principal(),
            current_password=request.current_password,
            new_password=request.new_password,
        )
        return pb.ChangePasswordResponse()

    async def GetCurrentUser(
        self, request: pb.GetCurrentUserRequest, context: Context
    ) -> pb.GetCurrentUserResponse:
        user = await accounts.get_current_user(self._deps, _principal())
        return pb.GetCurrentUserResponse(user=convert.user_to_pb(user))

    async def LookupUser(self, request: pb.LookupUserRequest, context: Context) -> pb.LookupUserResponse:
        user = await accounts.lookup_user(self._deps, _principal(), email=request.email)
        return pb.LookupUserResponse(user_id=str(user.id), email=user.email, full_name=user.full_name)

    async def UpdateCurrentUser(
        self, request: pb.UpdateCurrentUserRequest, context: Context
    ) -> pb.UpdateCurrentUserResponse:
        user = await accounts.update_current_user(
            self._deps,
            _principal(),
            full_name=request.full_name if request.HasField("full_name") else None,
            email=request.email if request.HasField("email") else None,
        )
        return pb.UpdateCurrentUserResponse(user=convert.user_to_pb(user))

    async def GetPreferences(
        self, request: pb.GetPreferencesRequest, context: Context
    ) -> pb.GetPreferencesResponse:
        found = await preferences.get_preferences(self._deps, _principal())
        return pb.GetPreferencesResponse(preferences=convert.preferences_to_pb(found))

    async def UpdatePreferences(
        self, request: pb.UpdatePreferencesRequest, context: Context
    ) -> pb.UpdatePreferencesResponse:
        updated = await preferences.update_preferences(
            self._deps,
            _principal(),
            convert.preferences_draft(request.preferences),
            tuple(request.update_mask),
        )
        return pb.UpdatePreferencesResponse(preferences=convert.preferences_to_pb(updated))

    async def ListUsers(self, request: pb.ListUsersRequest, context: Context) -> pb.ListUsersResponse:
        page = await admin.list_users(
            self._deps,
            _principal(),
            query=request.query,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListUsersResponse(
            users=[convert.user_to_pb(user) for user in page.users],
            page=paging_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def SetUserRole(self, request: pb.SetUserRoleRequest, context: Context) -> pb.SetUserRoleResponse:
        user = await admin.set_user_role(
            self._deps, _principal(), user_id=request.user_id, role=convert.role_from_pb(request.role)
        )
        return pb.SetUserRoleResponse(user=convert.user_to_pb(user))

    async def DeactivateUser(
        self, request: pb.DeactivateUserRequest, context: Context
    ) -> pb.DeactivateUserResponse:
        user = await admin.deactivate_user(self._deps, _principal(), user_id=request.user_id)
        return pb.DeactivateUserResponse(user=convert.user_to_pb(user))

    async def CreateApiKey(
        self, request: pb.CreateApiKeyRequest, context: Context
    ) -> pb.CreateApiKeyResponse:
        created = await api_keys.create_api_key(
            self._deps,
            _principal(),
            name=request.name,
            scopes=request.scopes,
            expires_at=request.expires_at.ToDatetime(tzinfo=UTC) if request.HasField("expires_at") else None,
        )
        return pb.CreateApiKeyResponse(api_key=convert.api_key_to_pb(created.api_key), secret=created.secret)

    async def ListApiKeys(self, request: pb.ListApiKeysRequest, context: Context) -> pb.ListApiKeysResponse:
        keys = await api_keys.list_api_keys(self._deps, _principal())
        return pb.ListApiKeysResponse(api_keys=[convert.api_key_to_pb(key) for key in keys])

    async def RevokeApiKey(
        self, request: pb.RevokeApiKeyRequest, context: Context
    ) -> pb.RevokeApiKeyResponse:
        await api_keys.revoke_api_key(self._deps, _principal(), api_key_id=request.api_key_id)
        return pb.RevokeApiKeyResponse()

    async def ExchangeApiKey(
        self, request: pb.ExchangeApiKeyRequest, context: Context
    ) -> pb.ExchangeApiKeyResponse:
        token = await api_keys.exchange_api_key(self._deps, secret=request.secret)
        return pb.ExchangeApiKeyResponse(access_token=token.token, expires_in=token.expires_in)

    async def GetJwks(self, request: pb.GetJwksRequest, context: Context) -> pb.GetJwksResponse:
        return pb.GetJwksResponse(jwks_json=await signing_keys.get_jwks(self._deps))
