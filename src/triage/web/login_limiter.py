"""Slow down password guessing without locking the real worker out.

Three counters of failed logins, each with exponential backoff (a few tries
free, then a wait that doubles with each further failure, up to a cap):

- per login *and* client address: guessing one login from one place;
- per client address: spraying many logins (or made-up names) from one place;
- per login across all addresses: only lowers the free tries of the first
  counter from ``free_per_pair`` to one while that login is under attack
  from elsewhere. It never blocks by itself: a worker at their own desk
  still gets a try and logs in, whatever an attacker did elsewhere (a hard
  lock per login would let anyone lock any worker out).

A try is *reserved* (counted as a failure) before the password is hashed,
under one lock, so forty tries at once cannot all pass the check before the
first failure is counted; a success then gives its reservation back. Keys
not seen for ``forget_after`` seconds are forgotten, and the table is capped
(oldest first) so made-up names cannot fill the memory.

The hashing itself is bounded separately (see ``password_checks.py``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class LimiterPolicy:
    free_per_pair: int = 3
    free_per_client: int = 10
    user_alarm: int = 10
    """Failures of one login (from anywhere) after which new addresses get one free try."""
    base_delay: float = 1.0
    max_delay: float = 300.0
    forget_after: float = 3600.0
    max_keys: int = 100_000


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0


class Backoff:
    """Failures per key; ``wait(key)`` is how long that key must wait before its next try."""

    def __init__(self, policy: LimiterPolicy) -> None:
        self.policy = policy
        self._counts: OrderedDict[object, _Count] = OrderedDict()

    def _get(self, key: object, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and now - count.last > self.policy.forget_after:
            del self._counts[key]
            return None
        return count

    def failures(self, key: object, now: float) -> int:
        count = self._get(key, now)
        return 0 if count is None else count.failures

    def wait(self, key: object, now: float, *, free: int) -> float:
        count = self._get(key, now)
        if count is None or count.failures < free:
            return 0.0
        p = self.policy
        delay = min(p.max_delay, p.base_delay * 2 ** min(count.failures - free, 60))
        return max(0.0, count.last + delay - now)

    def charge(self, key: object, now: float) -> None:
        count = self._get(key, now) or _Count()
        count.failures += 1
        count.last = now
        self._counts[key] = count
        self._counts.move_to_end(key)
        while len(self._counts) > self.policy.max_keys:
            self._counts.popitem(last=False)

    def refund(self, key: object) -> None:
        count = self._counts.get(key)
        if count is not None and count.failures > 0:
            count.failures -= 1

    def clear(self, key: object) -> None:
        self._counts.pop(key, None)

    def __len__(self) -> int:
        return len(self._counts)


@dataclass(frozen=True)
class Reservation:
    """A try that may go ahead; hand it back to ``succeeded``, ``failed`` or ``cancelled``."""

    user: str
    client: str


@dataclass(frozen=True)
class Refused:
    retry_after: int
    """Whole seconds to wait (for the ``Retry-After`` header), at least 1."""


class LoginLimiter:
    """Per-login, per-address backoff; thread-safe; see the module's docstring."""

    def __init__(self, policy: LimiterPolicy | None = None, *, clock=time.monotonic) -> None:
        self.policy = policy or LimiterPolicy()
        self._clock = clock
        self._pair = Backoff(self.policy)
        self._client = Backoff(self.policy)
        self._user = Backoff(self.policy)
        self._lock = threading.Lock()

    def reserve(self, user: str, client: str) -> Reservation | Refused:
        """Count a try before its password is checked, or say how long to wait."""
        p = self.policy
        with self._lock:
            now = self._clock()
            under_attack = self._user.failures(user, now) >= p.user_alarm
            pair_free = 1 if under_attack else p.free_per_pair
            wait = max(
                self._pair.wait((user, client), now, free=pair_free),
                self._client.wait(client, now, free=p.free_per_client),
            )
            if wait > 0:
                return Refused(retry_after=max(1, math.ceil(wait)))
            self._pair.charge((user, client), now)
            self._client.charge(client, now)
            self._user.charge(user, now)
            return Reservation(user=user, client=client)

    def succeeded(self, r: Reservation) -> None:
        """The password was right: this login's counters restart; the address gets its try back."""
        with self._lock:
            self._pair.clear((r.user, r.client))
            self._user.clear(r.user)
            # Only a refund: logging into one's own account must not wipe the
            # address's record of guesses at other accounts.
            self._client.refund(r.client)

    def failed(self, r: Reservation) -> None:
        """The password was wrong: the reservation already counted it."""

    def cancelled(self, r: Reservation) -> None:
        """No password was checked (the server was too busy): the try is given back."""
        with self._lock:
            self._pair.refund((r.user, r.client))
            self._client.refund(r.client)
            self._user.refund(r.user)

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._pair) + len(self._client) + len(self._user)
