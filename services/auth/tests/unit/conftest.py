"""In-memory fakes of the auth ports, and a harness that wires them to the use cases.

The unit of work copies the store on entry and writes the copy back only on commit, so a
use case that raises before committing leaves no trace, as with a real transaction.
"""

from __future__ import annotations

import base64
import copy
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import jwt
import pytest

from eqr_auth.adapters.security.signing import Ed25519TokenSigner
from eqr_auth.app import accounts, sessions
from eqr_auth.app.dependencies import AuthConfig, Dependencies
from eqr_auth.app.ports import OutgoingMail, UserCursor
from eqr_auth.domain.api_keys import ApiKey
from eqr_auth.domain.errors import EmailAlreadyRegistered
from eqr_auth.domain.events import DomainEvent
from eqr_auth.domain.password_reset import PasswordResetToken
from eqr_auth.domain.preferences import Preferences
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RefreshToken, Session
from eqr_auth.domain.tokens import SigningKey
from eqr_auth.domain.users import ClientInfo, Principal, User

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


class FixedClock:
    def __init__(self, now: datetime = START) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class SeededSecrets:
    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)

    def token(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self._random.randbytes(nbytes)).rstrip(b"=").decode()

    def identifier(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def choice_string(self, alphabet: str, length: int) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))


class FakeHasher:
    """Readable 'hashes' tagged with a parameter version, so rehashing can be observed."""

    def __init__(self) -> None:
        self.version = "v1"
        self.decoy_verifications = 0

    async def hash(self, password: str) -> str:
        return f"fake${self.version}${password}"

    async def verify(self, password_hash: str, password: str) -> bool:
        return password_hash.split("$", 2)[2:] == [password]

    async def verify_nothing(self, password: str) -> None:
        self.decoy_verifications += 1

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"fake${self.version}$")


class FakeMail:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self.failing = False

    async def send(self, mail: OutgoingMail) -> None:
        if self.failing:
            raise ConnectionError("relay down")
        self.sent.append(mail)


@dataclass
class State:
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    reset_tokens: dict[str, PasswordResetToken] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    login_failures: list[tuple[str, str, datetime]] = field(default_factory=list)
    signing_keys: dict[str, SigningKey] = field(default_factory=dict)
    preferences: dict[str, Preferences] = field(default_factory=dict)


class Store:
    def __init__(self) -> None:
        self.state = State()
        self.events: list[DomainEvent] = []
        self.commits = 0

    def events_of(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


class Users:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, user_id: str) -> User | None:
        return self._s.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((user for user in self._s.users.values() if user.email == email), None)

    async def add(self, user: User) -> None:
        if await self.get_by_email(user.email):
            raise EmailAlreadyRegistered()
        self._s.users[user.id] = user

    async def update(self, user: User) -> None:
        other = await self.get_by_email(user.email)
        if other is not None and other.id != user.id:
            raise EmailAlreadyRegistered()
        self._s.users[user.id] = user

    async def list_page(self, *, query: str, after: UserCursor | None, limit: int) -> list[User]:
        ordered = sorted(self._s.users.values(), key=lambda user: (user.created_at, user.id))
        needle = query.lower()
        matching = [u for u in ordered if needle in u.email.lower() or needle in u.full_name.lower()]
        if after is not None:
            matching = [u for u in matching if (u.created_at, u.id) > (after.created_at, after.user_id)]
        return matching[:limit]


class Sessions:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, session_id: str) -> Session | None:
        return self._s.sessions.get(session_id)

    async def add(self, session: Session) -> None:
        self._s.sessions[session.id] = session

    async def update(self, session: Session) -> None:
        self._s.sessions[session.id] = session

    async def list_live(self, user_id: str, now: datetime) -> list[Session]:
        live = [s for s in self._s.sessions.values() if s.user_id == user_id and s.is_live(now)]
        return sorted(live, key=lambda s: s.created_at, reverse=True)


class RefreshTokens:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        return self._s.refresh_tokens.get(token_hash)

    async def add(self, token: RefreshToken) -> None:
        self._s.refresh_tokens[token.token_hash] = token

    async def mark_rotated(self, token_hash: str, at: datetime) -> bool:
        token = self._s.refresh_tokens[token_hash]
        if token.rotated_at is not None:
            return False
        self._s.refresh_tokens[token_hash] = replace(token, rotated_at=at)
        return True


class ResetTokens:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get_by_hash(self, token_hash: str) -> PasswordResetToken | None:
        return self._s.reset_tokens.get(token_hash)

    async def add(self, token: PasswordResetToken) -> None:
        self._s.reset_tokens[token.token_hash] = token

    async def mark_used(self, token_hash: str, at: datetime) -> bool:
        token = self._s.reset_tokens[token_hash]
        if token.used_at is not None:
            return False
        self._s.reset_tokens[token_hash] = replace(token, used_at=at)
        return True

    async def invalidate_for_user(self, user_id: str, at: datetime) -> None:
        for token_hash, token in self._s.reset_tokens.items():
            if token.user_id == user_id and token.used_at is None:
                self._s.reset_tokens[token_hash] = replace(token, used_at=at)


class ApiKeys:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, api_key_id: str) -> ApiKey | None:
        return self._s.api_keys.get(api_key_id)

    async def get_by_public_id(self, public_id: str) -> ApiKey | None:
        return next((key for key in self._s.api_keys.values() if key.public_id == public_id), None)

    async def list_for_user(self, user_id: str) -> list[ApiKey]:
        keys = [key for key in self._s.api_keys.values() if key.user_id == user_id]
        return sorted(keys, key=lambda key: key.created_at, reverse=True)

    async def add(self, api_key: ApiKey) -> None:
        self._s.api_keys[api_key.id] = api_key

    async def update(self, api_key: ApiKey) -> None:
        self._s.api_keys[api_key.id] = api_key


class LoginAttempts:
    def __init__(self, state: State) -> None:
        self._s = state

    async def record_failure(self, *, email: str, ip_address: str, at: datetime) -> None:
        self._s.login_failures.append((email, ip_address, at))

    async def account_failures_since(self, email: str, since: datetime) -> list[datetime]:
        return sorted(at for who, _, at in self._s.login_failures if who == email and at > since)

    async def ip_failures_since(self, ip_address: str, since: datetime) -> list[datetime]:
        return sorted(at for _, ip, at in self._s.login_failures if ip == ip_address and at > since)

    async def clear_account(self, email: str) -> None:
        self._s.login_failures = [entry for entry in self._s.login_failures if entry[0] != email]


class SigningKeys:
    def __init__(self, state: State) -> None:
        self._s = state

    async def list_all(self) -> list[SigningKey]:
        return list(self._s.signing_keys.values())

    async def add(self, key: SigningKey) -> None:
        self._s.signing_keys[key.key_id] = key

    async def update(self, key: SigningKey) -> None:
        self._s.signing_keys[key.key_id] = key


class PreferencesStore:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, user_id: str) -> Preferences | None:
        return self._s.preferences.get(user_id)

    async def save(self, user_id: str, preferences: Preferences) -> None:
        self._s.preferences[user_id] = preferences


class InMemoryUnitOfWork:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._working = State()
        self._events: list[DomainEvent] = []

    async def __aenter__(self) -> Self:
        self._working = copy.deepcopy(self._store.state)
        self._events = []
        self.users = Users(self._working)
        self.sessions = Sessions(self._working)
        self.refresh_tokens = RefreshTokens(self._working)
        self.reset_tokens = ResetTokens(self._working)
        self.api_keys = ApiKeys(self._working)
        self.login_attempts = LoginAttempts(self._working)
        self.signing_keys = SigningKeys(self._working)
        self.preferences = PreferencesStore(self._working)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._events = []

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self._store.state = copy.deepcopy(self._working)
        self._store.events.extend(self._events)
        self._events = []
        self._store.commits += 1


@dataclass
class Harness:
    deps: Dependencies
    store: Store
    clock: FixedClock
    hasher: FakeHasher
    mail: FakeMail
    signer: Ed25519TokenSigner

    @property
    def state(self) -> State:
        return self.store.state

    def with_config(self, **changes: Any) -> Harness:
        return replace(self, deps=replace(self.deps, config=replace(self.deps.config, **changes)))

    async def register(
        self, email: str = "ada@example.com", password: str = PASSWORD, *, role: Role = Role.ANALYST
    ) -> User:
        user = await accounts.register_user(
            self.deps, email=email, password=password, full_name="Ada Lovelace"
        )
        if role != user.role:
            user = replace(user, role=role)
            self.state.users[user.id] = user
        return user

    async def login(
        self, email: str = "ada@example.com", password: str = PASSWORD, *, ip: str = "198.51.100.7"
    ) -> sessions.LoginResult:
        client = ClientInfo(ip_address=ip, user_agent="pytest")
        return await sessions.login(self.deps, email=email, password=password, client=client)

    async def signed_in(self, email: str = "ada@example.com", *, role: Role = Role.ANALYST) -> Principal:
        await self.register(email, role=role)
        return self.principal_of((await self.login(email)).tokens.access_token)

    @staticmethod
    def principal_of(access_token: str) -> Principal:
        """The principal the API layer would build from a verified token."""
        claims = jwt.decode(access_token, options={"verify_signature": False})
        scopes = tuple(claims["scope"].split())
        return Principal(user_id=claims["sub"], session_id=claims.get("sid"), scopes=scopes)


@pytest.fixture
def harness() -> Harness:
    store = Store()
    clock = FixedClock()
    hasher = FakeHasher()
    mail = FakeMail()
    signer = Ed25519TokenSigner()
    deps = Dependencies(
        unit_of_work=lambda: InMemoryUnitOfWork(store),
        clock=clock,
        secrets=SeededSecrets(),
        password_hasher=hasher,
        token_signer=signer,
        mail_sender=mail,
        config=AuthConfig(time_zones=frozenset({"UTC", "Europe/London", "America/New_York"})),
    )
    return Harness(deps=deps, store=store, clock=clock, hasher=hasher, mail=mail, signer=signer)
