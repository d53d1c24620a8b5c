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

A try is *reserved* under one lock before its password is hashed: it is then
in flight, not yet a failure. A counter's free tries are shared by its
failures and its tries in flight, so forty guesses at once cannot all start
before the first failure is counted: three start, the rest are told to wait
(:class:`Pending`) until those settle, and are then refused (their counter
now holds failures) or go ahead. A try in flight becomes a failure only when
its password is found wrong; a right one just ends, so fifty workers logging
in at once from one address (an office behind one NAT) all get in, some
after a short wait, and none is told "too many failures". Keys not seen for
``forget_after`` seconds are forgotten, and the table is capped (oldest
first) so made-up names cannot fill the memory.

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
    last_failure: float = 0.0
    in_flight: int = 0
    seen: float = 0.0
    """Last try started or ended: a key idle for ``forget_after`` is forgotten."""


class Backoff:
    """Failures and tries in flight per key: ``wait`` (by the failures) and ``room`` (beside
    the tries in flight) say whether that key's next try may start."""

    def __init__(self, policy: LimiterPolicy) -> None:
        self.policy = policy
        self._counts: OrderedDict[object, _Count] = OrderedDict()

    def _get(self, key: object, now: float) -> _Count | None:
        count = self._counts.get(key)
        if (
            count is not None
            and not count.in_flight
            and now - count.seen > self.policy.forget_after
        ):
            del self._counts[key]
            return None
        return count

    def failures(self, key: object, now: float) -> int:
        count = self._get(key, now)
        return 0 if count is None else count.failures

    def wait(self, key: object, now: float, *, free: int) -> float:
        """Seconds before the next try may start, by this key's failures alone."""
        count = self._get(key, now)
        if count is None or count.failures < free:
            return 0.0
        p = self.policy
        delay = min(p.max_delay, p.base_delay * 2 ** min(count.failures - free, 60))
        return max(0.0, count.last_failure + delay - now)

    def room(self, key: object, now: float, *, free: int) -> bool:
        """Whether one more try may start now beside those in flight (after ``wait`` is 0)."""
        count = self._get(key, now)
        if count is None:
            return True
        # Free tries not yet failed; once they are used up, one try at a time.
        allowed = max(1, free - count.failures)
        return count.in_flight < allowed

    def start(self, key: object, now: float) -> None:
        count = self._get(key, now) or _Count()
        count.in_flight += 1
        count.seen = now
        self._counts[key] = count
        self._counts.move_to_end(key)
        while len(self._counts) > self.policy.max_keys:
            # Dropping a key with tries in flight only forgets them: ``settle`` then finds none.
            self._counts.popitem(last=False)

    def settle(self, key: object, now: float, *, failed: bool) -> None:
        count = self._counts.get(key)
        if count is None:
            if not failed:
                return
            # Dropped from a full table while in flight: a failure is still recorded.
            count = self._counts[key] = _Count()
        count.in_flight = max(0, count.in_flight - 1)
        count.seen = now
        if failed:
            count.failures += 1
            count.last_failure = now

    def forgive(self, key: object) -> None:
        """Its failures forgotten (a right password); its tries in flight still counted."""
        count = self._counts.get(key)
        if count is not None:
            count.failures = 0
            if not count.in_flight:
                del self._counts[key]

    def __len__(self) -> int:
        return len(self._counts)


@dataclass(frozen=True)
class Reservation:
    """A try that may go ahead; hand it back to ``succeeded``, ``failed`` or ``cancelled``."""

    user: str
    client: str


@dataclass(frozen=True)
class Refused:
    """Too many failures: no try before ``retry_after`` seconds."""

    retry_after: int
    """Whole seconds to wait (for the ``Retry-After`` header), at least 1."""


@dataclass(frozen=True)
class Pending:
    """Other tries in flight hold the free tries left: ask again when one of them settles.

    Not a refusal: none of them has failed (yet), and a right password among
    them leaves the free tries as they were."""


class LoginLimiter:
    """Per-login, per-address backoff; thread-safe; see the module's docstring."""

    def __init__(self, policy: LimiterPolicy | None = None, *, clock=time.monotonic) -> None:
        self.policy = policy or LimiterPolicy()
        self._clock = clock
        self._pair = Backoff(self.policy)
        self._client = Backoff(self.policy)
        self._user = Backoff(self.policy)
        self._lock = threading.Lock()
        self._settled = 0

    def reserve(self, user: str, client: str) -> Reservation | Refused | Pending:
        """Start a try before its password is checked, or say to wait (``Refused``: how long)."""
        p = self.policy
        with self._lock:
            now = self._clock()
            under_attack = self._user.failures(user, now) >= p.user_alarm
            pair_free = 1 if under_attack else p.free_per_pair
            pair = (user, client)
            wait = max(
                self._pair.wait(pair, now, free=pair_free),
                self._client.wait(client, now, free=p.free_per_client),
            )
            if wait > 0:
                return Refused(retry_after=max(1, math.ceil(wait)))
            if not (
                self._pair.room(pair, now, free=pair_free)
                and self._client.room(client, now, free=p.free_per_client)
            ):
                return Pending()
            self._pair.start(pair, now)
            self._client.start(client, now)
            self._user.start(user, now)
            return Reservation(user=user, client=client)

    def succeeded(self, r: Reservation) -> None:
        """The password was right: this login's counters restart; the address's are untouched."""
        with self._lock:
            now = self._clock()
            for counter, key in ((self._pair, (r.user, r.client)), (self._user, r.user)):
                counter.settle(key, now, failed=False)
                counter.forgive(key)
            # Only its try ends: logging into one's own account must not wipe the
            # address's record of guesses at other accounts.
            self._client.settle(r.client, now, failed=False)
            self._settled += 1

    def failed(self, r: Reservation) -> None:
        """The password was wrong: the try counts as a failure on all three counters."""
        self._settle(r, failed=True)

    def cancelled(self, r: Reservation) -> None:
        """No password was checked (the server was too busy, or the store failed)."""
        self._settle(r, failed=False)

    def _settle(self, r: Reservation, *, failed: bool) -> None:
        with self._lock:
            now = self._clock()
            self._pair.settle((r.user, r.client), now, failed=failed)
            self._client.settle(r.client, now, failed=failed)
            self._user.settle(r.user, now, failed=failed)
            self._settled += 1

    @property
    def settled(self) -> int:
        """How many tries have ended so far: a waiter asks again when this moves."""
        return self._settled

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._pair) + len(self._client) + len(self._user)
