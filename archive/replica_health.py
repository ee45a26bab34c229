"""Which read replicas are fit to answer: up, a PostgreSQL standby, and not lagging too far.

Each process checks each replica at most every ARCHIVE_REPLICA_CHECK_SECONDS, when a request
asks, and keeps the answer in between (two small queries: the primary's WAL position, then the
replica's). The lag is how old the replica's data may be:

- 0 when the replica has replayed the WAL up to where the primary was just before (on an idle
  archive the last replayed commit may be hours old while nothing is missing);
- otherwise the age of the last commit it replayed, `now() - pg_last_xact_replay_timestamp()`:
  it holds everything committed before that, perhaps more (an over-estimate, never an under-one);
- when the primary cannot be asked (it is down), the replica is judged against the WAL it has
  received, so that reads go on from replicas while the primary is away.

A replica that cannot be reached, is no standby (promoted, or a copy), or lags beyond
ARCHIVE_REPLICA_MAX_LAG_SECONDS is skipped until a later check finds it fit again; a request that
fails on a replica marks it down the same way (archive/read_routing.py).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, connections

from archive.db_routers import PRIMARY

logger = logging.getLogger(__name__)

REPLICA_STATE_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn() >= COALESCE(%s::pg_lsn, pg_last_wal_receive_lsn()),
       EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
"""


@dataclass(frozen=True)
class ReplicaState:
    fit: bool
    lag: float  # seconds; math.inf when unknown
    reason: str  # why it is not fit, for the log
    checked_at: float  # time.monotonic()


class ReplicaHealth:
    """The replicas' fitness, as this process last found it."""

    def __init__(
        self,
        aliases: list[str],
        *,
        max_lag: float,
        check_every: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.aliases = list(aliases)
        self.max_lag = max_lag
        self.check_every = check_every
        self.clock = clock
        self.states: dict[str, ReplicaState] = {}
        self._checking = threading.Lock()  # one thread checks; the others use the last answer

    def fit_replicas(self) -> list[str]:
        """The replicas to read from now, checking those whose answer is due."""
        now = self.clock()
        due = [
            alias
            for alias in self.aliases
            if alias not in self.states or now - self.states[alias].checked_at >= self.check_every
        ]
        if due and self._checking.acquire(blocking=False):
            try:
                primary_lsn = self._primary_wal_position()
                for alias in due:
                    self._record(alias, self._check(alias, primary_lsn))
            finally:
                self._checking.release()
        return [alias for alias in self.aliases if alias in self.states and self.states[alias].fit]

    def mark_down(self, alias: str, reason: str) -> None:
        """A request failed on `alias`: skip it until its next check."""
        self._record(alias, ReplicaState(False, math.inf, reason, self.clock()))

    def _record(self, alias: str, state: ReplicaState) -> None:
        before = self.states.get(alias)
        self.states[alias] = state
        if before is None or before.fit != state.fit:
            if state.fit:
                logger.info("read replica %s in use (lag %.1f s)", alias, state.lag)
            else:
                logger.warning("read replica %s skipped: %s", alias, state.reason)

    def _primary_wal_position(self) -> str | None:
        try:
            with connections[PRIMARY].cursor() as cursor:
                # Where it inserts, not where it has written: with synchronous_commit off, a
                # committed transaction may not be written yet.
                cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
                return cursor.fetchone()[0]
        except DatabaseError:
            return None  # down, or a standby itself: each replica is judged on its own

    def _check(self, alias: str, primary_lsn: str | None) -> ReplicaState:
        now = self.clock()
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(REPLICA_STATE_SQL, [primary_lsn])
                in_recovery, caught_up, last_commit_age = cursor.fetchone()
        except DatabaseError as error:
            connections[alias].close()
            return ReplicaState(False, math.inf, f"unreachable ({error})".strip(), now)
        if not in_recovery:
            return ReplicaState(
                False, math.inf, "not a standby (pg_is_in_recovery() is false)", now
            )
        if caught_up:
            lag = 0.0
        elif last_commit_age is None:
            lag = math.inf  # behind, and no commit replayed since it started
        else:
            lag = max(0.0, last_commit_age)
        if lag > self.max_lag:
            return ReplicaState(False, lag, f"lagging {lag:.1f} s (at most {self.max_lag})", now)
        return ReplicaState(True, lag, "", now)
