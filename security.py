"""The only module that makes or checks secrets: snapshot keys, API keys, service account tokens,
password hashes.

Generated keys are 32 random bytes from `secrets`, url-safe encoded by itsdangerous (43 characters).
Secrets of high entropy (delete keys, API key secrets) are stored as SHA-256; passwords as werkzeug's
scrypt. Every comparison is constant-time.
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import math
import secrets
import string
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from werkzeug.security import check_password_hash, generate_password_hash

from . import jsoncodec


def new_key() -> str:
    """An unguessable url-safe key (256 bits) for snapshots, delete keys and API key secrets."""
    return base64_encode(secrets.token_bytes(32)).decode()


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


SERVICE_ACCOUNT_TOKEN_PREFIX = "glsa_"
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def new_service_account_token() -> str:
    """A token in Grafana's form: `glsa_`, 32 random letters and digits, `_`, and the checksum of what precedes
    it, so that a secret scanner can tell a token from noise."""
    body = SERVICE_ACCOUNT_TOKEN_PREFIX + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(32))
    return f"{body}_{_checksum(body)}"


def _checksum(body: str) -> str:
    """Grafana's: the CRC-32 of the body, its 4 bytes little-endian, in hex."""
    return zlib.crc32(body.encode()).to_bytes(4, "little").hex()


def is_service_account_token(token: str) -> bool:
    return token.startswith(SERVICE_ACCOUNT_TOKEN_PREFIX)


def is_well_formed_token(token: str) -> bool:
    """Whether a `glsa_` token has its three parts and a checksum that matches."""
    body, _, checksum = token.rpartition("_")
    return body.count("_") == 1 and hmac.compare_digest(_checksum(body), checksum)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@functools.cache
def _hash_of_no_user() -> str:
    return hash_password(secrets.token_urlsafe(16))


def encode_api_key(secret: str, name: str, org_id: int) -> str:
    """Grafana's key format: base64 of {"k": secret, "n": name, "id": org id}."""
    payload = json.dumps({"k": secret, "n": name, "id": org_id}, separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode()


def decode_api_key(token: str) -> tuple[str, str, int] | None:
    """(secret, name, org id) of a key in Grafana's format, or None when it is not one."""
    try:
        payload = jsoncodec.loads(base64.b64decode(token, validate=True))
        secret, name, org_id = payload["k"], payload["n"], payload["id"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None
    if not (isinstance(secret, str) and isinstance(name, str) and type(org_id) is int and 0 < org_id < 2**63):
        return None
    return secret, name, org_id


class _Check:
    """A password check under way, and its result once done (None if it failed to finish)."""

    def __init__(self):
        self.done = threading.Event()
        self.result: bool | None = None


class PasswordChecker:
    """Checks passwords against stored scrypt hashes, remembering recent successes for a few minutes.

    scrypt costs ~100 ms by design; Basic auth sends the password with every request. A success is
    remembered as an HMAC (keyed by the server's secret) of user, stored hash and password, so changing
    the password forgets it, and no password is ever kept.
    """

    def __init__(self, secret_key: str, ttl_seconds: float = 300, size: int = 1024):
        self._secret = secret_key.encode()
        self._ttl = ttl_seconds
        self._size = size
        self._recent: OrderedDict[bytes, float] = OrderedDict()
        self._checking: dict[bytes, _Check] = {}
        self._lock = threading.Lock()

    def spend_a_check(self, password: str) -> None:
        """Take as long as a real check, for a login with no user, so that timing cannot tell the two apart."""
        check_password_hash(_hash_of_no_user(), password)

    def _token(self, user_id: int, password_hash: str, password: str) -> bytes:
        return hmac.new(self._secret, f"{user_id}\0{password_hash}\0{password}".encode(), "sha256").digest()

    def remembers(self, user_id: int, password_hash: str, password: str) -> bool:
        """Whether this password signed this user in within the last few minutes (no hash is computed)."""
        remembered = self._recent.get(self._token(user_id, password_hash, password))
        return remembered is not None and time.monotonic() - remembered < self._ttl

    def check(self, user_id: int, password_hash: str, password: str) -> bool:
        """Whether password is the user's. Requests that bring the same password at once share one scrypt: a
        client opening eight connections would otherwise spend eight at its first requests."""
        token = self._token(user_id, password_hash, password)
        with self._lock:
            if self.remembers(user_id, password_hash, password):
                return True
            checking = self._checking.get(token)
            if checking is None:
                checking = self._checking[token] = _Check()
                leading = True
            else:
                leading = False
        if not leading:
            checking.done.wait()
            if checking.result is not None:
                return checking.result
        try:
            checking.result = check_password_hash(password_hash, password)
        finally:
            with self._lock:
                if checking.result:
                    self._recent[token] = time.monotonic()
                    self._recent.move_to_end(token)
                    while len(self._recent) > self._size:
                        self._recent.popitem(last=False)
                if self._checking.get(token) is checking:
                    del self._checking[token]
            checking.done.set()
        return checking.result


@dataclass(frozen=True)
class Session:
    user_id: int
    fingerprint: str
    session_id: str  # revoked one by one at logout (a user document's `revokedSessions`)


class SessionSigner:
    """Session cookies: a signed, timestamped {user id, fingerprint, session id}. The fingerprint covers the
    password hash and the user's session generation, so a password change (or too many revoked sessions) ends every
    session of that user; a logout revokes its own session id alone."""

    def __init__(self, secret_key: str, max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret_key, salt="dashsnap-session")
        self.max_age = max_age_seconds

    @staticmethod
    def _fingerprint(user: dict) -> str:
        text = f"{user['passwordHash']}\0{user.get('sessionGeneration', 0)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def sign(self, user: dict) -> str:
        return self._serializer.dumps({"u": user["id"], "p": self._fingerprint(user), "s": secrets.token_urlsafe(16)})

    def read(self, cookie: str) -> Session | None:
        """The session of a valid, unexpired cookie, else None."""
        try:
            payload = self._serializer.loads(cookie, max_age=self.max_age)
            return Session(int(payload["u"]), str(payload["p"]), str(payload["s"]))
        except (BadSignature, ValueError, TypeError, KeyError):
            return None

    def matches(self, session: Session, user: dict) -> bool:
        """Whether the session is still the user's: same password and generation, and not logged out."""
        return (hmac.compare_digest(session.fingerprint, self._fingerprint(user))
                and session.session_id not in user.get("revokedSessions", {}))


CHECK_SECONDS = 10  # longer than any password check takes: past it, a guess that never ended is let go


class Failures(NamedTuple):
    """A throttle key's state: its failed guesses, when the last was, and since when a guess past the free ones
    has been checked (None: none is)."""
    count: int
    last: float
    checking_since: float | None = None


# What a throttle operation makes of a key's state: (the new state or None to forget the key, the answer).
Decision = Callable[[Failures | None], tuple[Failures | None, object]]


class LoginThrottle:
    """Failed guesses slow the one guessing, not the user. Counted per key (what was tried, and from which client
    address: `sign-in <name typed> from <address>`): the first `free` failures cost nothing, then each makes that
    key wait 2**(failures - free) seconds after it, at most `longest`; `forget_after` seconds without one clears
    it. So the right password from another address, or under the other name (login or email), is never held up,
    and whether a login and an email are one account cannot be told from the throttle.

    Kept per process, in memory (when it holds too many keys it sheds the ones not waiting first); or, given
    `shared` (a store's login failures: `change(slot, decide)` applies a Decision, on plain tuples, atomically for
    every server on the store), counted once for all the servers that share it, on the wall clock.

    A key past its free failures is checked one guess at a time (`attempt` ... `failed` or `succeeded`), so guesses
    sent at once cannot all pass while the first is being checked; below that, parallel sign-ins of a tool with the
    right password are never refused."""

    def __init__(self, free: int = 5, longest: float = 60, forget_after: float = 900, size: int = 10_000,
                 clock: Callable[[], float] | None = None, shared=None):
        self._free, self._longest, self._forget_after, self._size = free, longest, forget_after, size
        self._clock = clock or (time.time if shared is not None else time.monotonic)
        self._shared = shared
        self._failures: OrderedDict[bytes, Failures] = OrderedDict()  # in memory, oldest failure first
        self._lock = threading.Lock()

    def _wait(self, failures: Failures | None, now: float) -> float:
        if failures is None or failures.count < self._free or now - failures.last >= self._forget_after:
            return 0
        return max(0.0, min(2.0 ** (failures.count - self._free), self._longest) - (now - failures.last))

    @staticmethod
    def _slot(key: str) -> bytes:
        return hashlib.sha256(key.encode()).digest()[:16]  # a key holds what a caller typed, of any length

    def _change(self, key: str, decide: Decision):
        slot = self._slot(key)
        if self._shared is not None:
            return self._shared.change(slot, lambda row: decide(None if row is None else Failures(*row)))
        with self._lock:
            changed, answer = decide(self._failures.get(slot))
            if changed is None:
                self._failures.pop(slot, None)
            elif changed != self._failures.get(slot):
                if self._failures.get(slot, changed).last != changed.last:
                    self._failures.pop(slot)  # a new failure: to the end
                self._failures[slot] = changed
                if len(self._failures) > self._size:
                    self._shed(self._clock())
            return answer

    def _shed(self, now: float) -> None:
        for slot, failures in list(self._failures.items()):
            if self._wait(failures, now) == 0:  # stale or not waiting: the least to lose
                del self._failures[slot]
            if len(self._failures) <= self._size // 2:
                return

    def seconds_blocked(self, key: str) -> int:
        now = self._clock()
        return self._change(key, lambda failures: (failures, math.ceil(self._wait(failures, now))))

    def attempt(self, key: str) -> int:
        """Seconds the key must still wait before this guess, or 0: go on, then say `failed` or `succeeded`."""
        now = self._clock()

        def decide(failures: Failures | None) -> tuple[Failures | None, int]:
            wait = self._wait(failures, now)
            if wait:
                return failures, math.ceil(wait)
            if failures is not None and failures.count >= self._free:
                since = failures.checking_since
                if since is not None and now - since < CHECK_SECONDS:
                    return failures, 1  # another guess of this key is being checked
                return Failures(failures.count, failures.last, now), 0
            return failures, 0

        return self._change(key, decide)

    def failed(self, key: str) -> None:
        now = self._clock()

        def decide(failures: Failures | None) -> tuple[Failures, None]:
            if failures is None or now - failures.last >= self._forget_after:
                return Failures(1, now), None
            return Failures(failures.count + 1, now), None

        self._change(key, decide)

    def succeeded(self, key: str) -> None:
        self._change(key, lambda failures: (None, None))
