"""The target's state in SQLite: back ends, share networks, servers, shares, snapshots, migrations.

WAL mode lets readers run beside the one writer; every state transition runs
in a ``BEGIN IMMEDIATE`` transaction, so two requests can never both see a
server ``active`` and both move it (50 concurrent ``migration_start`` give
exactly one 202). The database is the only state: a restarted target resumes
from it.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from manila_ssm.reference.config import Backend, ShareNetwork

Row = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS backends (
    name TEXT PRIMARY KEY, availability_zone TEXT NOT NULL, up INTEGER NOT NULL,
    capabilities TEXT NOT NULL, fail_at TEXT
);
CREATE TABLE IF NOT EXISTS share_networks (
    id TEXT PRIMARY KEY, name TEXT, project_id TEXT NOT NULL, status TEXT NOT NULL,
    availability_zones TEXT, neutron_net_id TEXT, neutron_subnet_id TEXT,
    subnet_id TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS share_servers (
    id TEXT PRIMARY KEY, project_id TEXT NOT NULL, host TEXT NOT NULL,
    status TEXT NOT NULL, task_state TEXT, source_share_server_id TEXT,
    share_network_id TEXT NOT NULL, encryption_key_ref TEXT,
    created_at TEXT NOT NULL, updated_at TEXT, deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS share_servers_source ON share_servers (source_share_server_id);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY, name TEXT, project_id TEXT NOT NULL, user_id TEXT,
    status TEXT NOT NULL, host TEXT NOT NULL, share_server_id TEXT NOT NULL,
    share_network_id TEXT NOT NULL, availability_zone TEXT, size INTEGER NOT NULL,
    share_proto TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT
);
CREATE INDEX IF NOT EXISTS shares_server ON shares (share_server_id);
CREATE TABLE IF NOT EXISTS snapshots (
    id TEXT PRIMARY KEY, share_id TEXT NOT NULL, name TEXT, project_id TEXT NOT NULL,
    user_id TEXT, status TEXT NOT NULL, size INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT
);
CREATE TABLE IF NOT EXISTS migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source_id TEXT NOT NULL, dest_id TEXT,
    dest_host TEXT NOT NULL, share_network_id TEXT NOT NULL,
    writable INTEGER NOT NULL, nondisruptive INTEGER NOT NULL, preserve_snapshots INTEGER NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0, request TEXT, next_at REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS migrations_due ON migrations (finished, next_at);
"""


def now_text() -> str:
    """Manila's timestamp format: naive UTC with microseconds."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def new_id() -> str:
    return str(uuid.uuid4())


class Store:
    """A pool of connections to one SQLite file; ``read()`` and ``write()`` open transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        conn = self._connect()
        conn.executescript(_SCHEMA)
        self._pool.put(conn)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        conn.execute(begin)
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            self._pool.put(conn)
            raise
        conn.execute("COMMIT")
        self._pool.put(conn)

    def read(self) -> Any:
        """A consistent snapshot for a request that only reads."""
        return self._transaction("BEGIN")

    def write(self) -> Any:
        """The single writer: everything read inside stays true until commit."""
        return self._transaction("BEGIN IMMEDIATE")

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return


def rows(conn: sqlite3.Connection, sql: str, *args: Any) -> list[Row]:
    return [dict(r) for r in conn.execute(sql, args).fetchall()]


def one(conn: sqlite3.Connection, sql: str, *args: Any) -> Row | None:
    row = conn.execute(sql, args).fetchone()
    return dict(row) if row is not None else None


def update(conn: sqlite3.Connection, table: str, where: dict[str, Any], **values: Any) -> int:
    if table in ("share_servers", "shares", "snapshots"):
        values.setdefault("updated_at", now_text())
    sets = ", ".join(f"{k} = ?" for k in values)
    cond = " AND ".join(f"{k} = ?" for k in where)
    cur = conn.execute(f"UPDATE {table} SET {sets} WHERE {cond}", (*values.values(), *where.values()))
    return cur.rowcount


def insert(conn: sqlite3.Connection, table: str, **values: Any) -> None:
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(values.values()))


# --- back ends ------------------------------------------------------------------------------

def put_backend(conn: sqlite3.Connection, backend: Backend) -> None:
    from manila_ssm.reference.config import as_plain

    conn.execute(
        "INSERT OR REPLACE INTO backends (name, availability_zone, up, capabilities, fail_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (backend.name, backend.availability_zone, int(backend.up),
         json.dumps(as_plain(backend.capabilities)), backend.fail_at),
    )


def get_backend(conn: sqlite3.Connection, name: str) -> Row | None:
    row = one(conn, "SELECT * FROM backends WHERE name = ?", name)
    if row is not None:
        row["capabilities"] = json.loads(row["capabilities"])
        row["up"] = bool(row["up"])
    return row


def all_backends(conn: sqlite3.Connection) -> list[Row]:
    names = [r["name"] for r in rows(conn, "SELECT name FROM backends ORDER BY name")]
    return [b for b in (get_backend(conn, n) for n in names) if b is not None]


# --- share networks -------------------------------------------------------------------------

def put_share_network(conn: sqlite3.Connection, network: ShareNetwork) -> Row:
    net_id = network.id or new_id()
    existing = get_share_network(conn, net_id)
    if existing is not None:
        return existing
    insert(conn, "share_networks", id=net_id, name=network.name or None, project_id=network.project_id,
           status="active",
           availability_zones=json.dumps(list(network.availability_zones))
           if network.availability_zones is not None else None,
           neutron_net_id=network.neutron_net_id or new_id(),
           neutron_subnet_id=network.neutron_subnet_id or new_id(),
           subnet_id=new_id(), created_at=now_text())
    row = get_share_network(conn, net_id)
    assert row is not None
    return row


def get_share_network(conn: sqlite3.Connection, net_id: str) -> Row | None:
    row = one(conn, "SELECT * FROM share_networks WHERE id = ?", net_id)
    if row is not None:
        azs = row["availability_zones"]
        row["availability_zones"] = json.loads(azs) if azs is not None else None
    return row


# --- share servers --------------------------------------------------------------------------

def get_server(conn: sqlite3.Connection, server_id: str) -> Row | None:
    return one(conn, "SELECT * FROM share_servers WHERE id = ? AND deleted = 0", server_id)


def destinations(conn: sqlite3.Connection, source_id: str, status: str) -> list[Row]:
    return rows(conn, "SELECT * FROM share_servers WHERE source_share_server_id = ? AND status = ? "
                "AND deleted = 0 ORDER BY created_at", source_id, status)


def server_shares(conn: sqlite3.Connection, server_id: str) -> list[Row]:
    return rows(conn, "SELECT * FROM shares WHERE share_server_id = ? ORDER BY created_at, id", server_id)


def server_snapshots(conn: sqlite3.Connection, server_id: str) -> list[Row]:
    return rows(conn, "SELECT s.* FROM snapshots s JOIN shares h ON s.share_id = h.id "
                "WHERE h.share_server_id = ? ORDER BY s.created_at, s.id", server_id)


def set_instances_status(conn: sqlite3.Connection, server_id: str, status: str) -> None:
    """Move every share of a server, and their snapshots, to ``status``."""
    stamp = now_text()
    conn.execute("UPDATE snapshots SET status = ?, updated_at = ? WHERE share_id IN "
                 "(SELECT id FROM shares WHERE share_server_id = ?)", (status, stamp, server_id))
    conn.execute("UPDATE shares SET status = ?, updated_at = ? WHERE share_server_id = ?",
                 (status, stamp, server_id))


def active_migration(conn: sqlite3.Connection, source_id: str) -> Row | None:
    return one(conn, "SELECT * FROM migrations WHERE source_id = ? AND finished = 0 "
               "ORDER BY id DESC LIMIT 1", source_id)
