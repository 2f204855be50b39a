"""What the use cases need from the outside world, as structural types.

The db adapter implements the repositories and the unit of work; adapters/security and
adapters/mail implement the rest. Repositories never commit; only the unit of work does,
together with the events recorded in it. Lookups by an id that cannot exist (including
text that is not a valid id at all) return None rather than raising.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from eqr_auth.domain.api_keys import ApiKey
from eqr_auth.domain.events import DomainEvent
from eqr_auth.domain.password_reset import PasswordResetToken
from eqr_auth.domain.preferences import Preferences
from eqr_auth.domain.sessions import RefreshToken, Session
from eqr_auth.domain.tokens import AccessTokenClaims, SigningKey
from eqr_auth.domain.users import User


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SecretGenerator(Protocol):
    def token(self, nbytes: int) -> str:
        """``nbytes`` random bytes as url-safe base64 without padding."""
        ...

    def identifier(self) -> str:
        """A new unique entity id (UUID text)."""
        ...

    def choice_string(self, alphabet: str, length: int) -> str:
        """``length`` characters drawn uniformly from ``alphabet``."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """False for a wrong password or an unreadable hash; never raises for those."""
        ...

    async def verify_nothing(self, password: str) -> None:
        """Takes as long as ``verify``, so unknown accounts answer as slowly as known ones."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        ...


class TokenSigner(Protocol):
    def generate_key(self, created_at: datetime) -> SigningKey:
        """A new key pair; its id is the RFC 7638 thumbprint of the public key."""
        ...

    def sign(self, claims: AccessTokenClaims, key: SigningKey) -> str:
        """The compact JWT of ``claims``, signed by ``key`` and naming it in ``kid``."""
        ...

    def jwks_json(self, keys: Sequence[SigningKey]) -> str:
        """The public halves of ``keys`` as a JSON Web Key Set document."""
        ...


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    text: str


class MailSender(Protocol):
    async def send(self, mail: OutgoingMail) -> None: ...


@dataclass(frozen=True)
class UserCursor:
    """Position after the last user of a page; users are ordered by (created_at, id)."""

    created_at: datetime
    user_id: str


class UserRepository(Protocol):
    async def get(self, user_id: str) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None:
        """``email`` is canonical (lower-case); the stored address is too."""
        ...

    async def add(self, user: User) -> None:
        """Raises EmailAlreadyRegistered when the unique email index rejects the row."""
        ...

    async def update(self, user: User) -> None:
        """Replaces every column; raises EmailAlreadyRegistered like ``add``."""
        ...

    async def list_page(self, *, query: str, after: UserCursor | None, limit: int) -> list[User]:
        """Up to ``limit`` users after ``after`` in (created_at, id) order.

        A non-empty ``query`` keeps users whose email or full name contains it,
        case-insensitively and literally (no wildcards).
        """
        ...


class SessionRepository(Protocol):
    async def get(self, session_id: str) -> Session | None: ...

    async def add(self, session: Session) -> None: ...

    async def update(self, session: Session) -> None: ...

    async def list_live(self, user_id: str, now: datetime) -> list[Session]:
        """The user's sessions not revoked and not expired at ``now``, newest first."""
        ...


class RefreshTokenRepository(Protocol):
    async def get_by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def add(self, token: RefreshToken) -> None: ...

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        """Sets ``rotated_at`` only if still unset; False when it was already set.

        Must be atomic (a conditional UPDATE), so two concurrent refreshes with the
        same token cannot both succeed.
        """
        ...


class PasswordResetTokenRepository(Protocol):
    async def get_by_hash(self, token_hash: str) -> PasswordResetToken | None: ...

    async def add(self, token: PasswordResetToken) -> None: ...

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        """Sets ``used_at`` only if still unset (atomically); False when it was already set."""
        ...

    async def invalidate_for_user(self, user_id: str, at: datetime) -> None:
        """Marks every unused token of the user used at ``at``."""
        ...


class ApiKeyRepository(Protocol):
    async def get(self, api_key_id: str) -> ApiKey | None: ...

    async def get_by_public_id(self, public_id: str) -> ApiKey | None: ...

    async def list_for_user(self, user_id: str) -> list[ApiKey]:
        """Every key of the user, revoked and expired ones included, newest first."""
        ...

    async def add(self, api_key: ApiKey) -> None: ...

    async def update(self, api_key: ApiKey) -> None: ...


class LoginAttemptRepository(Protocol):
    async def record_failure(self, *, email: str, ip_address: str, at: datetime) -> None:
        """``ip_address`` may be empty when the client is unknown."""
        ...

    async def account_failures_since(self, email: str, since: datetime) -> list[datetime]:
        """Times of the failures for ``email`` after ``since``, oldest first."""
        ...

    async def ip_failures_since(self, ip_address: str, since: datetime) -> list[datetime]:
        """Times of the failures from ``ip_address`` after ``since``, oldest first."""
        ...

    async def clear_account(self, email: str) -> None:
        """Forgets the failures for ``email`` (those from its addresses stay)."""
        ...


class SigningKeyRepository(Protocol):
    async def list_all(self) -> list[SigningKey]: ...

    async def add(self, key: SigningKey) -> None: ...

    async def update(self, key: SigningKey) -> None: ...


class PreferencesRepository(Protocol):
    async def get(self, user_id: str) -> Preferences | None: ...

    async def save(self, user_id: str, preferences: Preferences) -> None:
        """Inserts or replaces the user's preferences."""
        ...


class UnitOfWork(Protocol):
    """One transaction: the repositories' writes and the recorded events commit together.

    Leaving the context without ``commit()`` rolls everything back, events included.
    """

    @property
    def users(self) -> UserRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def reset_tokens(self) -> PasswordResetTokenRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def login_attempts(self) -> LoginAttemptRepository: ...
    @property
    def signing_keys(self) -> SigningKeyRepository: ...
    @property
    def preferences(self) -> PreferencesRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def record(self, event: DomainEvent) -> None:
        """Queues ``event`` for the outbox of this transaction."""
        ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
