"""The five share-server migration actions, as ``manila/share/api.py`` and the controller do them.

Each handler gets the server id from the URL and the value of the action's
key from the body, and either returns a response or raises an ``ApiFault``.
State changes happen here only for ``migration_start`` (synchronously, as
upstream's API node does) and as requests for the worker (complete, cancel);
everything else the destination "manager" does lives in ``worker.py``.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from werkzeug.wrappers import Response

from manila_ssm.reference import store
from manila_ssm.reference._params import MigrationParams, backend_name, service_host, validate
from manila_ssm.reference.http import GENERIC_500, ApiFault, Call, bad_request, json_response
from manila_ssm.reference.runtime import Runtime

PHASE1_DONE = "migration_driver_phase1_done"
DRIVER_IN_PROGRESS = "migration_driver_in_progress"
# manila/share/api.py _migration_get_progress_state: progress the API derives by itself
_PROGRESS_100 = ("migration_success", "migration_cancelled", "migration_cancel_in_progress",
                 "migration_completing", PHASE1_DONE, "migration_error")
_PROGRESS_0 = ("migration_starting", "migration_driver_starting", "migration_in_progress")


class InvalidShareServer(Exception):
    """Upstream's ``InvalidShareServer``: 409 on check/start, 400 on the other actions."""

    def fault(self, status: int) -> ApiFault:
        return ApiFault(status, f"Invalid share server: {self}")


class ServiceIsDown(Exception):
    """The destination's ``manila-share`` misses heartbeats: 400, or 409 on get_progress."""


def _server(conn: sqlite3.Connection, server_id: str) -> store.Row:
    server = store.get_server(conn, server_id)
    if server is None:
        raise ApiFault(404, f"Share server {server_id} could not be found.")
    return server


def _service(conn: sqlite3.Connection, host: str) -> store.Row:
    """``utils.validate_service_host``: a missing service is a 404 through the fault wrapper."""
    backend = store.get_backend(conn, host)
    if backend is None:
        raise ApiFault(404, f"ServiceNotFound: Service {host} could not be found.")
    if not backend["up"]:
        raise ServiceIsDown(f"Service {host} is down.")
    return backend


def _destination(conn: sqlite3.Connection, source_id: str, status: str) -> store.Row:
    found = store.destinations(conn, source_id, status)
    if not found:
        raise InvalidShareServer(f"A destination share server wasn't found for source share server {source_id}.")
    if len(found) > 1:
        raise InvalidShareServer(f"More than one destination share server was found for source share "
                                 f"server {source_id}. Aborting...")
    return found[0]


def _initial_checks(conn: sqlite3.Connection, server: store.Row,
                    params: MigrationParams) -> tuple[str, bool, store.Row]:
    """``_migration_initial_checks`` (§2.6): effective network id, network change, destination."""
    sid = server["id"]
    shares = store.server_shares(conn, sid)
    if not shares:
        raise InvalidShareServer(f"Share server {sid} does not have shares.")
    if server["status"] != "active":
        raise InvalidShareServer(f"Share server {sid} status must be active, but current status is: "
                                 f"{server['status']}.")
    current_network = shares[0]["share_network_id"]
    new = params.new_network
    if backend_name(server["host"]) == backend_name(params.host) and (new is None or new["id"] == current_network):
        raise InvalidShareServer("There is no difference between source and destination backends and between "
                                 "source and destination share networks. Share server migration will not proceed.")
    if store.destinations(conn, sid, "server_migrating_to"):
        raise InvalidShareServer("There is at least one destination share server pointing to this source share "
                                 "server. Clean up your environment before starting a new migration.")
    backend = _service(conn, service_host(params.host))
    effective = new["id"] if new is not None else current_network
    network = store.get_share_network(conn, effective)
    zones = network["availability_zones"] if network else None
    if zones is not None and backend["availability_zone"] not in zones:
        raise InvalidShareServer(f"The share network {effective} does not have a subnet that spans the "
                                 "destination host availability zone.")
    changed = False
    if new is not None:
        old = store.get_share_network(conn, server["share_network_id"])
        changed = old is None or (old["neutron_net_id"], old["neutron_subnet_id"]) != (
            new["neutron_net_id"], new["neutron_subnet_id"])
    snapshots = store.server_snapshots(conn, sid)
    for share in shares:
        if share["status"] != "available":
            raise InvalidShareServer(f"Share {share['id']} status must be available, but current status is: "
                                     f"{share['status']}.")
        if any(s["status"] != "available" for s in snapshots if s["share_id"] == share["id"]):
            raise InvalidShareServer(f"All snapshots must have 'available' status to be migrated by the driver "
                                     f"along with share {share['id']}.")
    return effective, changed, backend


def _checked(conn: sqlite3.Connection, server_id: str, value: Any) -> tuple[store.Row, MigrationParams, str, bool, store.Row]:
    server = _server(conn, server_id)
    params = validate(conn, server, value)
    try:
        effective, changed, backend = _initial_checks(conn, server, params)
    except InvalidShareServer as error:
        raise error.fault(409) from None
    except ServiceIsDown as error:
        raise ApiFault(400, str(error)) from None
    return server, params, effective, changed, backend


def migration_check(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    with rt.store.read() as conn:
        server, params, effective, changed, backend = _checked(conn, server_id, value)
        has_snapshots = bool(store.server_snapshots(conn, server["id"]))
    flags = ("writable", "nondisruptive", "preserve_snapshots", "migration_cancel", "migration_get_progress")
    if changed and params.nondisruptive:
        result: dict[str, Any] = {"compatible": False, **dict.fromkeys(flags, False)}
    else:
        caps = backend["capabilities"]
        # manila/share/manager.py _validate_check_compatibility_result
        compatible = caps["compatible"] and not (
            (params.nondisruptive and not caps["nondisruptive"])
            or (params.writable and not caps["writable"])
            or (params.preserve_snapshots and not caps["preserve_snapshots"])
            or (has_snapshots and not caps["preserve_snapshots"]))
        result = {"compatible": bool(compatible), **{f: caps[f] for f in flags}}
        if changed:
            result["nondisruptive"] = False
    raw = params.raw
    return json_response(call, 200, {
        "compatible": result["compatible"],
        "requested_capabilities": {
            "writable": raw["writable"], "nondisruptive": raw["nondisruptive"],
            "preserve_snapshots": raw["preserve_snapshots"],
            "share_network_id": raw.get("new_share_network_id"),  # DEV-CHECK-NO-NETWORK-KEY
            "host": raw["host"],
        },
        "supported_capabilities": {
            **{f: result[f] for f in flags[:3]}, "share_network_id": effective,
            **{f: result[f] for f in flags[3:]},
        },
    })


def migration_start(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    with rt.store.write() as conn:
        server, params, effective, changed, _ = _checked(conn, server_id, value)
        if params.nondisruptive and changed:
            raise bad_request("Invalid input received: Nondisruptive migration would only be feasible when the "
                              "current and new share networks carry the same 'neutron_net_id' and "
                              "'neutron_subnet_id', or when no network changes are occurring..")
        store.update(conn, "share_servers", {"id": server["id"]},
                     status="server_migrating", task_state="migration_starting")
        store.set_instances_status(conn, server["id"], "server_migrating")
        # a migration an admin abandoned with reset_status stops here: a new one takes over
        conn.execute("UPDATE migrations SET finished = 1 WHERE source_id = ? AND finished = 0", (server["id"],))
        store.insert(conn, "migrations", source_id=server["id"], dest_host=service_host(params.host),
                     share_network_id=effective, writable=int(params.writable),
                     nondisruptive=int(params.nondisruptive), preserve_snapshots=int(params.preserve_snapshots),
                     next_at=time.time() + rt.step)
    rt.wake_worker()
    return json_response(call, 202)


def _request(rt: Runtime, conn: sqlite3.Connection, server: store.Row, dest: store.Row, kind: str) -> None:
    """Ask the worker (the destination's manager) to complete or cancel: upstream's RPC cast."""
    migration = store.active_migration(conn, server["id"])
    if migration is None:  # e.g. states put in place with reset_status / reset_task_state
        store.insert(conn, "migrations", source_id=server["id"], dest_id=dest["id"], dest_host=dest["host"],
                     share_network_id=dest["share_network_id"], writable=0, nondisruptive=0,
                     preserve_snapshots=0, progress=100, next_at=0)
        migration = store.active_migration(conn, server["id"])
        assert migration is not None
    store.update(conn, "migrations", {"id": migration["id"]}, request=kind, dest_id=dest["id"],
                 next_at=time.time() + rt.step)


def _destination_ready(conn: sqlite3.Connection, sid: str) -> store.Row:
    try:
        dest = _destination(conn, sid, "server_migrating_to")
        _service(conn, service_host(dest["host"]))
    except (InvalidShareServer, ServiceIsDown) as error:
        raise (error.fault(400) if isinstance(error, InvalidShareServer) else ApiFault(400, str(error))) from None
    return dest


def migration_complete(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    with rt.store.write() as conn:
        server = _server(conn, server_id)
        sid = server["id"]
        if server["status"] != "server_migrating":
            raise InvalidShareServer(f"Share server {sid} is not migrating").fault(400)
        if server["task_state"] != PHASE1_DONE:
            raise InvalidShareServer(f"The first phase of migration has to finish to request the completion "
                                     f"of server {sid}'s migration.").fault(400)
        dest = _destination_ready(conn, sid)
        _request(rt, conn, server, dest, "complete")
    rt.wake_worker()
    return json_response(call, 200, {"destination_share_server_id": dest["id"]})


def validate_error_message(server: store.Row) -> str | None:
    """``_migration_validate_error_message``: why an action makes no sense in this task state."""
    sid, state = server["id"], server["task_state"]
    if state == "migration_success":
        return f"Migration of share_server {sid} has already completed."
    if state in (None, "migration_error"):
        return f"There is no migration being performed for share_server {sid} at this moment."
    if state == "migration_cancelled":
        return f"Migration of share_server {sid} was already cancelled."
    if state == PHASE1_DONE:
        return f"Migration of share_server {sid} has already completed first phase."
    return None


def migration_cancel(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    with rt.store.write() as conn:
        server = _server(conn, server_id)
        sid = server["id"]
        if server["status"] != "server_migrating":
            raise InvalidShareServer(f"Migration of share server {sid} cannot be cancelled because the provided "
                                     "share server is not being migrated.").fault(400)
        if server["task_state"] not in (PHASE1_DONE, DRIVER_IN_PROGRESS):
            message = validate_error_message(server) or (
                f"Migration of share server {sid} can be cancelled only after the driver already started the "
                "migration, or when the first phase of the migration gets completed.")
            raise InvalidShareServer(message).fault(400)
        dest = _destination_ready(conn, sid)
        _request(rt, conn, server, dest, "cancel")
    rt.wake_worker()
    return json_response(call, 202)


def progress_state(task_state: str | None) -> int | None:
    if task_state in _PROGRESS_100:
        return 100
    if task_state in _PROGRESS_0:
        return 0
    return None


def migration_get_progress(rt: Runtime, call: Call, server_id: str, value: Any) -> Response:
    with rt.store.read() as conn:
        body = _progress(conn, server_id)
    return json_response(call, 200, body)


def _progress(conn: sqlite3.Connection, server_id: str) -> dict[str, Any]:
    # manila/share/api.py share_server_migration_get_progress: no 404, the id may be a finished source
    server = store.get_server(conn, server_id)
    try:
        if server is None:
            dest = _destination(conn, server_id, "active")
            return {"total_progress": 100, "task_state": dest["task_state"],
                    "destination_share_server_id": dest["id"]}
        sid = server["id"]
        if server["status"] != "server_migrating":
            raise InvalidShareServer(f"Migration progress of share server {sid} cannot be obtained. The provided "
                                     "share server is not being migrated.")
        try:
            dest = _destination(conn, sid, "server_migrating_to")
        except InvalidShareServer:
            progress = progress_state(server["task_state"])
            if progress is None:  # upstream: dict.update(None) -> TypeError -> WebOb's generic 400
                raise bad_request() from None
            return {"total_progress": progress, "task_state": "", "destination_share_server_id": ""}
        if server["task_state"] == DRIVER_IN_PROGRESS:
            backend = _service(conn, service_host(dest["host"]))
            if not backend["capabilities"]["migration_get_progress"]:
                # the driver cannot tell: upstream wraps its error in ShareServerMigrationError -> 500
                raise ApiFault(500, GENERIC_500)
            migration = store.active_migration(conn, sid)
            progress: int | None = migration["progress"] if migration else 0
        else:
            progress = progress_state(server["task_state"])
        if progress is None:
            raise InvalidShareServer(validate_error_message(server) or (
                f"Migration progress of share server {sid} cannot be obtained at this moment."))
        return {"total_progress": progress, "task_state": dest["task_state"],
                "destination_share_server_id": dest["id"]}
    except InvalidShareServer as error:
        raise error.fault(400) from None
    except ServiceIsDown as error:
        raise ApiFault(409, str(error)) from None
