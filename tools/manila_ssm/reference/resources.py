"""The rest of the API a client needs around a migration: read share servers, shares,
snapshots and pools, version discovery, and the two reset actions (§6).

Handlers take ``(rt, call, **url_args)`` and return a response or raise an
``ApiFault``; the pipeline in ``app.py`` has already authenticated, parsed the
microversion and run policy.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Response

from manila_ssm.reference import store, views
from manila_ssm.reference.http import Call, bad_request, empty_html_response, json_response, not_found
from manila_ssm.reference.runtime import Runtime

# manila/common/constants.py SHARE_SERVER_STATUSES and SERVER_TASK_STATE_STATUSES
SERVER_STATUSES = ("active", "error", "deleting", "creating", "manage_starting", "unmanage_starting",
                   "unmanage_error", "manage_error", "inactive", "server_migrating", "server_migrating_to",
                   "network_change")
SERVER_TASK_STATES = ("migration_starting", "migration_in_progress", "migration_completing", "migration_success",
                      "migration_error", "migration_cancel_in_progress", "migration_cancelled",
                      "migration_driver_in_progress", "migration_driver_phase1_done", None)
# manila/db/sqlalchemy/api.py _share_server_get_all_with_filters: any other key gives an empty list
_SERVER_FILTERS = ("id", "host", "identifier", "task_state", "source_share_server_id", "status",
                   "share_network_id", "project_id", "encryption_key_ref")
_OTHER_VALID_FILTERS = ("deleted", "is_auto_deletable", "security_service_update_support",
                        "network_allocation_update_support", "share_network_subnet_id", "share_network")


def server_view(conn: Any, call: Call, server: store.Row, *, detailed: bool) -> dict[str, Any]:
    network = store.get_share_network(conn, server["share_network_id"])
    return views.share_server(call, server, network, detailed=detailed)


def list_share_servers(rt: Runtime, call: Call) -> Response:
    args = call.request.args
    if any(key not in _SERVER_FILTERS + _OTHER_VALID_FILTERS for key in args):
        return json_response(call, 200, {"share_servers": []})
    clauses, values = ["s.deleted = 0"], []
    for key in _SERVER_FILTERS:
        if key in args:
            column = "n.project_id" if key == "project_id" else f"s.{key if key != 'identifier' else 'id'}"
            clauses.append(f"{column} = ?")
            values.append(args[key])
    if "share_network" in args:
        clauses.append("(n.id = ? OR n.name = ?)")
        values += [args["share_network"]] * 2
    sql = ("SELECT s.* FROM share_servers s LEFT JOIN share_networks n ON s.share_network_id = n.id "
           f"WHERE {' AND '.join(clauses)} ORDER BY s.created_at, s.id")
    with rt.store.read() as conn:
        servers = [server_view(conn, call, s, detailed=False) for s in store.rows(conn, sql, *values)]
    return json_response(call, 200, {"share_servers": servers})


def show_share_server(rt: Runtime, call: Call, server_id: str) -> Response:
    with rt.store.read() as conn:
        server = store.get_server(conn, server_id)
        if server is None:
            raise not_found(f"Share server {server_id} could not be found.")
        return json_response(call, 200, {"share_server": server_view(conn, call, server, detailed=True)})


def share_server_details(rt: Runtime, call: Call, server_id: str) -> Response:
    with rt.store.read() as conn:
        server = store.get_server(conn, server_id)
    if server is None:
        raise not_found(f"Share server {server_id} could not be found.")
    return json_response(call, 200, {"details": {"server_id": server["id"], "username": "reference"}})


def _reset(rt: Runtime, call: Call, server_id: str, value: Any, attr: str, valid: tuple[str | None, ...]) -> Response:
    # manila/api/openstack/wsgi.py AdminActionsMixin: validate, then look up, then update
    try:
        wanted = value[attr]
    except (TypeError, KeyError, IndexError):
        raise bad_request(f"Must specify '{attr}'") from None
    if isinstance(wanted, (dict, list)):  # upstream: unhashable in a set -> TypeError -> generic 400
        raise bad_request()
    if wanted not in valid or not isinstance(wanted, (str, type(None))):
        raise bad_request(f"Invalid state. Valid states: {', '.join(str(v) for v in valid)}.")  # DEV-RESET-STATES-ORDER
    with rt.store.write() as conn:
        if store.get_server(conn, server_id) is None:
            raise not_found()  # upstream passes its text as WebOb's detail, so the generic one shows
        store.update(conn, "share_servers", {"id": server_id}, **{attr: wanted})
        # the worker re-reads the server at once: a reset state may unblock or end a migration
        conn.execute("UPDATE migrations SET next_at = 0 WHERE finished = 0 AND (source_id = ? OR dest_id = ?)",
                     (server_id, server_id))
    rt.wake_worker()
    return empty_html_response(call, 202)


def reset_status(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    return _reset(rt, call, server_id, value, "status", SERVER_STATUSES)


def reset_task_state(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    return _reset(rt, call, server_id, value, "task_state", SERVER_TASK_STATES)


def _visible(call: Call, table: str) -> tuple[str, list[Any]]:
    args = call.request.args
    if call.is_admin and args.get("all_tenants", "").lower() in ("1", "true", "t", "yes", "y", "on"):
        return "1 = 1", []
    column = "project_id" if table == "shares" else "snapshots.project_id"
    return f"{column} = ?", [call.project]


def list_shares(rt: Runtime, call: Call, *, detailed: bool) -> Response:
    where, values = _visible(call, "shares")
    filters = ["status", "share_network_id", "name"] + (["host", "share_server_id"] if call.is_admin else [])
    for key in filters:
        if key in call.request.args:
            where += f" AND {key} = ?"
            values.append(call.request.args[key])
    with rt.store.read() as conn:
        found = store.rows(conn, f"SELECT * FROM shares WHERE {where} ORDER BY created_at, id", *values)
    render = views.share if detailed else views.share_summary
    return json_response(call, 200, {"shares": [render(call, s) for s in found]})


def show_share(rt: Runtime, call: Call, share_id: str) -> Response:
    with rt.store.read() as conn:
        share = store.one(conn, "SELECT * FROM shares WHERE id = ?", share_id)
    if share is None or not (call.is_admin or share["project_id"] == call.project):
        raise not_found(f"Share {share_id} could not be found.")
    return json_response(call, 200, {"share": views.share(call, share)})


def list_snapshots(rt: Runtime, call: Call, *, detailed: bool) -> Response:
    where, values = _visible(call, "snapshots")
    for key in ("status", "share_id", "name"):
        if key in call.request.args:
            where += f" AND snapshots.{key} = ?"
            values.append(call.request.args[key])
    with rt.store.read() as conn:
        found = store.rows(conn, f"SELECT * FROM snapshots WHERE {where} ORDER BY created_at, id", *values)
        shares = {s["id"]: s for s in store.rows(conn, "SELECT * FROM shares")} if detailed else {}
    if detailed:
        body = [views.snapshot(call, s, shares.get(s["share_id"])) for s in found]
    else:
        body = [views.snapshot_summary(call, s) for s in found]
    return json_response(call, 200, {"snapshots": body})


def show_snapshot(rt: Runtime, call: Call, snapshot_id: str) -> Response:
    with rt.store.read() as conn:
        snap = store.one(conn, "SELECT * FROM snapshots WHERE id = ?", snapshot_id)
        share = store.one(conn, "SELECT * FROM shares WHERE id = ?", snap["share_id"]) if snap else None
    if snap is None or not (call.is_admin or snap["project_id"] == call.project):
        raise not_found(f"Snapshot {snapshot_id} could not be found.")
    return json_response(call, 200, {"snapshot": views.snapshot(call, snap, share)})


def list_pools(rt: Runtime, call: Call, *, detailed: bool) -> Response:
    """Pools of the back ends that are up, as the scheduler reports them."""
    with rt.store.read() as conn:
        backends = [b for b in store.all_backends(conn) if b["up"]]
    pools = [views.pool(b, detailed=detailed) for b in backends]
    # manila/scheduler/host_manager.py: host, backend and pool filters are regular expressions
    for key in ("host", "backend", "pool"):
        if key in call.request.args:
            try:
                pattern = re.compile(call.request.args[key])
            except re.error:
                return json_response(call, 200, {"pools": []})
            pools = [p for p in pools if pattern.match(p[key])]
    return json_response(call, 200, {"pools": pools})
