"""The destination back end's manager and driver: moves migrations along, one step at a time.

Upstream, phase 1 advances through the destination host's periodic task and
complete/cancel arrive as RPC casts (``manila/share/manager.py``, §4.2-§4.5).
Here every in-flight migration is a row with the time its next step is due;
the worker runs due steps in write transactions. Nothing lives only in
memory, so a restarted target picks up where the database says it was.
Steps pause while the destination back end is down (its manager is not
running) and a ``fail_at`` fault on the destination makes the driver fail
when the migration would leave that task state.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from manila_ssm.reference import store
from manila_ssm.reference.config import Timings
from manila_ssm.reference.migration import DRIVER_IN_PROGRESS, PHASE1_DONE

_log = logging.getLogger(__name__)
IDLE = 1e18  # next_at of a migration waiting for the API (phase 1 done)


def _set(conn: sqlite3.Connection, server_id: str | None, **values: object) -> None:
    if server_id:
        store.update(conn, "share_servers", {"id": server_id}, **values)


class _Step:
    """One due step of one migration, inside a write transaction."""

    def __init__(self, conn: sqlite3.Connection, migration: store.Row, timings: Timings, now: float) -> None:
        self.conn, self.m, self.timings, self.now = conn, migration, timings, now
        self.source = store.get_server(conn, migration["source_id"])
        self.dest_id: str | None = migration["dest_id"]
        self.dest = store.get_server(conn, self.dest_id) if self.dest_id else None

    def later(self, delay: float | None = None, **values: object) -> None:
        due = self.now + (self.timings.step if delay is None else delay)
        store.update(self.conn, "migrations", {"id": self.m["id"]}, next_at=due, **values)

    def finish(self) -> None:
        store.update(self.conn, "migrations", {"id": self.m["id"]}, finished=1, request=None)

    def both(self, **values: object) -> None:
        _set(self.conn, self.m["source_id"], **values)
        _set(self.conn, self.dest_id, **values)

    def fail_phase1(self) -> None:
        """manila/share/manager.py: a driver error before phase 1 ends rolls everything back."""
        store.set_instances_status(self.conn, self.m["source_id"], "available")
        _set(self.conn, self.dest_id, status="error", task_state="migration_error", deleted=1)
        _set(self.conn, self.m["source_id"], status="active", task_state="migration_error")
        self.finish()

    def compatible(self, backend: store.Row) -> bool:
        caps = backend["capabilities"]
        snapshots = store.server_snapshots(self.conn, self.m["source_id"])
        return bool(caps["compatible"]) and not (
            (self.m["nondisruptive"] and not caps["nondisruptive"])
            or (self.m["writable"] and not caps["writable"])
            or (self.m["preserve_snapshots"] and not caps["preserve_snapshots"])
            or (snapshots and not caps["preserve_snapshots"]))

    def run(self) -> None:
        backend = store.get_backend(self.conn, self.m["dest_host"])
        if backend is None or not backend["up"]:
            self.later()  # the destination's manager is not running: nothing moves
            return
        source, request = self.source, self.m["request"]
        fail_at = backend["fail_at"]
        if request == "complete" and source is not None and source["status"] == "inactive":
            # manila/share/manager.py: the source goes first, the destination turns active after it
            _set(self.conn, source["id"], deleted=1)
            self.later()
            return
        if request == "complete" and source is None and self.dest is not None \
                and self.dest["status"] == "server_migrating_to":
            self.finish_completion()
            return
        if source is None or source["status"] != "server_migrating":
            self.source_left()
            return
        state = source["task_state"]
        if fail_at is not None and fail_at == state:
            self.fail(state)
            return
        if request == "cancel" and state in (DRIVER_IN_PROGRESS, PHASE1_DONE):
            _set(self.conn, source["id"], task_state="migration_cancel_in_progress")
            self.later()
        elif state == "migration_cancel_in_progress":
            _set(self.conn, self.dest_id, status="inactive", task_state="migration_cancelled")
            store.set_instances_status(self.conn, source["id"], "available")
            _set(self.conn, source["id"], status="active", task_state="migration_cancelled")
            self.finish()
        elif request == "complete" and state == PHASE1_DONE:
            self.both(task_state="migration_completing")
            self.later()
        elif state == "migration_completing":
            self.move_shares()
            _set(self.conn, source["id"], status="inactive", task_state="migration_success")
            self.later()
        else:
            self.phase1(state, backend)

    def source_left(self) -> None:
        """The source is gone or no longer migrating (an admin reset it, or it was deleted)."""
        dest = self.dest
        if dest is not None and dest["status"] == "server_migrating_to" \
                and dest["task_state"] == DRIVER_IN_PROGRESS:
            # manila/share/manager.py share_server_migration_driver_continue: the periodic task
            # marks a destination whose source stopped migrating as failed
            _set(self.conn, self.dest_id, status="error", task_state="migration_error")
            self.finish()
        elif self.source is None and (dest is None or dest["status"] != "server_migrating_to"):
            self.finish()
        else:  # upstream nothing looks at it in this state: park until an admin resets something
            self.later(IDLE)

    def phase1(self, state: str | None, backend: store.Row) -> None:
        source_id = self.m["source_id"]
        if state == "migration_starting":
            _set(self.conn, source_id, task_state="migration_in_progress")
            self.later()
        elif state == "migration_in_progress" and self.dest is None:
            if not self.compatible(backend):
                self.fail_phase1()
                return
            source = self.source
            assert source is not None
            dest_id = store.new_id()
            store.insert(self.conn, "share_servers", id=dest_id, project_id=source["project_id"],
                         host=self.m["dest_host"], status="creating", share_network_id=self.m["share_network_id"],
                         created_at=store.now_text())
            self.later(dest_id=dest_id)
        elif state == "migration_in_progress" and self.dest["status"] == "creating":  # type: ignore[index]
            _set(self.conn, self.dest_id, status="server_migrating_to", task_state="migration_in_progress",
                 source_share_server_id=source_id)
            self.later()
        elif state == "migration_in_progress":
            self.both(task_state="migration_driver_starting")
            self.later()
        elif state == "migration_driver_starting":
            self.both(task_state=DRIVER_IN_PROGRESS)
            self.later(progress=0)
        elif state == DRIVER_IN_PROGRESS:
            progress = min(100, self.m["progress"] + self.timings.progress_step)
            if progress >= 100:
                self.both(task_state=PHASE1_DONE)
                self.later(IDLE, progress=100)
            else:
                self.later(progress=progress)
        else:  # phase 1 done, or a state an admin reset to: wait for the API
            self.later(IDLE)

    def fail(self, state: str) -> None:
        if state == "migration_completing":
            # manila/share/manager.py: a failed second phase leaves everything in error
            store.set_instances_status(self.conn, self.m["source_id"], "error")
            self.both(status="error", task_state="migration_error")
            self.finish()
        elif state == "migration_cancel_in_progress":
            self.finish()  # upstream has no error handling around driver cancel: stuck
        else:
            self.fail_phase1()

    def move_shares(self) -> None:
        """The driver's second phase: shares now live on the destination server's pool."""
        dest = self.dest
        if dest is None:
            return
        pool = f"{dest['host']}#pool_{dest['host'].partition('@')[2]}"
        self.conn.execute("UPDATE shares SET share_server_id = ?, host = ?, share_network_id = ?, updated_at = ? "
                          "WHERE share_server_id = ?",
                          (dest["id"], pool, dest["share_network_id"], store.now_text(), self.m["source_id"]))

    def finish_completion(self) -> None:
        _set(self.conn, self.dest_id, status="active", task_state="migration_success")
        store.set_instances_status(self.conn, self.dest_id or "", "available")
        self.finish()


class Worker:
    """A daemon thread running due migration steps; ``wake()`` after an API change."""

    def __init__(self, db: store.Store, timings: Timings) -> None:
        self._store = db
        self._timings = timings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ssm-target-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.tick()
            except Exception:  # noqa: BLE001 - a bug in one step must not stop every migration
                _log.exception("reference target worker step failed")
                delay = 0.5
            self._wake.wait(timeout=delay)
            self._wake.clear()

    def advance(self, source_id: str, steps: int) -> int:
        """Run up to ``steps`` steps of the source's migration now, due or not (fixture API)."""
        done = 0
        for _ in range(steps):
            with self._store.write() as conn:
                migration = store.active_migration(conn, source_id)
                if migration is None:
                    break
                _Step(conn, migration, self._timings, time.time()).run()
            done += 1
        return done

    def tick(self) -> float:
        """Run every due step once; return the seconds until the next one is due."""
        now = time.time()
        with self._store.read() as conn:
            due = [r["id"] for r in store.rows(conn, "SELECT id FROM migrations WHERE finished = 0 AND next_at <= ? "
                                                     "ORDER BY next_at", now)]
        for migration_id in due:
            with self._store.write() as conn:
                migration = store.one(conn, "SELECT * FROM migrations WHERE id = ? AND finished = 0", migration_id)
                if migration is not None and migration["next_at"] <= now:
                    _Step(conn, migration, self._timings, now).run()
        with self._store.read() as conn:
            row = store.one(conn, "SELECT MIN(next_at) AS due FROM migrations WHERE finished = 0")
        if row is None or row["due"] is None:
            return 0.5
        return min(0.5, max(0.002, row["due"] - time.time()))
