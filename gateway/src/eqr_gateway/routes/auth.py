"""Sign-up, sign-in, token refresh, sign-out and passwords: /api/v1/auth."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ValidationError

from eqr.auth.v1 import auth_service_pb2 as pb
from eqr_gateway.clients import PublicAuth, UserAuth
from eqr_gateway.convert import login_out, tokens_out, user_out
from eqr_gateway.error_handlers import field_errors
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.idempotency import IDEMPOTENT
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import FieldError, ProblemError, validation_problem
from eqr_gateway.resources import get_resources
from eqr_gateway.schemas.auth import (
    Accepted,
    ChangePasswordRequest,
    ForgotPasswordRequest,
    LoginForm,
    LoginRequest,
    LoginResponse,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    TokenResponse,
    User,
)
from eqr_gateway.security import CurrentPrincipal

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

_FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
_MAX_FORM_FIELDS = 16
LOGIN_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/LoginRequest"}},
        _FORM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/LoginForm"}},
    },
}


def _validated(model: type[BaseModel], data: object) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(field_errors(exc.errors(), prefix=("body",))) from None


async def _login_credentials(request: Request) -> tuple[str, str, FieldMap]:
    """Email, password and where a field error points, from a JSON body or an OAuth2 form."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    try:
        text = body.decode()
        if media_type == _FORM_MEDIA_TYPE:
            form = dict(parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS))
            login_form: LoginForm = _validated(LoginForm, form)
            return login_form.username, login_form.password, (("email", "body.username"), ("", "body."))
        if media_type == "application/json" or media_type.endswith("+json"):
            login: LoginRequest = _validated(LoginRequest, json.loads(text))
            return login.email, login.password, (("", "body."),)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        message = f"The body is not valid {'form data' if media_type == _FORM_MEDIA_TYPE else 'JSON'}: {exc}."
        raise ProblemError(400, message, errors=[FieldError(field="body", message=message)]) from None
    except ValueError as exc:  # parse_qsl: too many fields
        raise ProblemError(400, f"The form is malformed: {exc}.") from None
    raise ProblemError(415, f"Send the credentials as application/json or {_FORM_MEDIA_TYPE}.")


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    response_description="The new account.",
    description="Creates a viewer account. Honours `Idempotency-Key`.",
    dependencies=[IDEMPOTENT],
    responses=problem_responses(400, 409, 413, 422, 429, 503),
)
async def register(body: RegisterRequest, auth: PublicAuth) -> User:
    message = pb.RegisterUserRequest(email=body.email, password=body.password, full_name=body.full_name)
    response = await auth.upstream.call(auth.stub.RegisterUser, message)
    return user_out(response.user)


@router.post(
    "/login",
    summary="Sign in with email and password",
    response_description="A new session's tokens and the user.",
    description=(
        "Starts a session. Accepts JSON `{email, password}` or the OAuth2 password grant form "
        "(`username`, `password`), so Swagger UI's Authorize button works."
    ),
    openapi_extra={"requestBody": LOGIN_REQUEST_BODY},
    responses=problem_responses(400, 401, 413, 415, 422, 429, 503),
)
async def login(request: Request, auth: PublicAuth) -> LoginResponse:
    email, password, fields = await _login_credentials(request)
    message = pb.CreateSessionRequest(email=email, password=password)
    response = await auth.upstream.call(auth.stub.CreateSession, message, fields=fields)
    return login_out(response.tokens, response.user)


@router.post(
    "/refresh",
    summary="Exchange a refresh token for a new token pair",
    response_description="The new token pair; the old refresh token is spent.",
    description="Refresh tokens are single use; presenting one twice ends its session.",
    responses=problem_responses(400, 401, 413, 422, 429, 503),
)
async def refresh(body: RefreshRequest, auth: PublicAuth) -> TokenResponse:
    response = await auth.upstream.call(
        auth.stub.RefreshSession, pb.RefreshSessionRequest(refresh_token=body.refresh_token)
    )
    return tokens_out(response.tokens)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Sign out: end the current session",
    response_description="Signed out.",
    description="The session's access and refresh tokens stop working immediately.",
    responses=problem_responses(401, 409, 503),
)
async def logout(request: Request, principal: CurrentPrincipal, auth: UserAuth) -> Response:
    await auth.upstream.call(auth.stub.EndSession, pb.EndSessionRequest())
    if principal.session_id:
        await get_resources(request).denylist.revoke(principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask for a password reset link",
    response_description="The request is accepted.",
    description="Always 202, whether or not the address has an account, so accounts cannot be discovered.",
    responses=problem_responses(400, 413, 422, 429, 503),
)
async def forgot_password(body: ForgotPasswordRequest, auth: PublicAuth) -> Accepted:
    await auth.upstream.call(auth.stub.RequestPasswordReset, pb.RequestPasswordResetRequest(email=body.email))
    return Accepted(message="If the address belongs to an account, a reset link is on its way.")


@router.post(
    "/reset-password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with a reset token",
    response_description="The password is changed.",
    description="Ends every session of the account.",
    responses=problem_responses(400, 413, 422, 429, 503),
)
async def reset_password(body: ResetPasswordRequest, auth: PublicAuth) -> Response:
    message = pb.ResetPasswordRequest(token=body.token, new_password=body.new_password)
    await auth.upstream.call(auth.stub.ResetPassword, message)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/change-password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change the signed-in user's password",
    response_description="The password is changed.",
    responses=problem_responses(400, 401, 413, 422, 429, 503),
)
async def change_password(body: ChangePasswordRequest, auth: UserAuth) -> Response:
    message = pb.ChangePasswordRequest(current_password=body.current_password, new_password=body.new_password)
    await auth.upstream.call(auth.stub.ChangePassword, message)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
