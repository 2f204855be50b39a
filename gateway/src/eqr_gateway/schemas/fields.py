"""Constrained field types shared by the request models: every string is bounded."""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

Role = Literal["viewer", "analyst", "admin"]


def _normalized_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email", "value is not a valid email address: {reason}", {"reason": str(exc)}
        ) from None


Email = Annotated[
    str,
    StringConstraints(min_length=3, max_length=254),
    AfterValidator(_normalized_email),
    Field(json_schema_extra={"format": "email"}, examples=["ada@example.com"]),
]
# A password being checked: any length the account may have been created with.
Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
# A password being set: the auth service applies the full policy on top of these bounds.
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=256)]
FullName = Annotated[str, StringConstraints(min_length=1, max_length=200), Field(examples=["Ada Lovelace"])]
Token = Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class RequestModel(BaseModel):
    """Request bodies reject unknown fields: a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")
