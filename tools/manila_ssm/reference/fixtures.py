"""The fixture API under ``/_reference/``: NOT part of Manila's API.

Real Manila creates share servers as a side effect of creating shares; a
conformance run needs servers in known places quickly, so the reference
target offers an admin-only side door (any admin token, no microversion):

* ``POST /_reference/share-servers`` ``{"host": "ref@alpha", "share_network_id": <optional>,
  "shares": 1, "snapshots": 0, "project_id": <optional>, "encryption_key_ref": <optional>}``
  -> 201 ``{"share_server": <GET view at 2.57>, "shares": [ids], "snapshots": [ids]}``; an
  active server on that back end with ``shares`` available shares and ``snapshots``
  available snapshots spread over them; a share network is created unless one is given.
* ``POST /_reference/share-networks`` ``{"name", "project_id", "availability_zones",
  "neutron_net_id", "neutron_subnet_id", "status"}`` (all optional) -> 201 ``{"share_network": ...}``.
* ``GET /_reference/backends`` -> 200 ``{"backends": [...]}``.
* ``PUT /_reference/backends/{host@backend}`` ``{"up": false}``, ``{"fail_at": <task state> | null}``,
  ``{"capabilities": {...}}`` -> 200 ``{"backend": ...}``.
* ``POST /_reference/share-servers/{id}/advance`` ``{"steps": 1}`` -> 200 ``{"steps": <run>}``:
  run the next steps of that source server's migration now, whether due or not; with
  ``timings.step`` set very large this walks a migration through its states deterministically.
* ``PUT /_reference/shares/{id}`` and ``PUT /_reference/snapshots/{id}`` ``{"status": "error"}`` -> 200.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from manila_ssm.reference import store
from manila_ssm.reference.config import FAIL_AT_STATES, Capabilities, ShareNetwork
from manila_ssm.reference.http import ApiFault, Call, bad_request, decode_json, json_response, not_found
from manila_ssm.reference.resources import server_view
from manila_ssm.reference.runtime import Runtime

_MAX_ITEMS = 100


def body_object(request: Request) -> dict[str, Any]:
    data = request.get_data(cache=True)
    if not data:
        return {}
    try:
        body = decode_json(data)
    except ValueError:
        raise bad_request("The fixture API expects a JSON object body.") from None
    if not isinstance(body, dict):
        raise bad_request("The fixture API expects a JSON object body.")
    return body


def _count(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX_ITEMS:
        raise bad_request(f"'{key}' must be an integer from 0 to {_MAX_ITEMS}.")
    return value


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"'{key}' must be a string or null.")
    return value


def _network_view(network: store.Row) -> dict[str, Any]:
    return {k: network[k] for k in ("id", "name", "project_id", "status", "availability_zones",
                                    "neutron_net_id", "neutron_subnet_id", "created_at")}


def create_share_network(rt: Runtime, call: Call) -> Response:
    body = body_object(call.request)
    zones = body.get("availability_zones")
    if zones is not None and not (isinstance(zones, list) and all(isinstance(z, str) for z in zones)):
        raise bad_request("'availability_zones' must be a list of strings or null.")
    spec = ShareNetwork(name=_text(body, "name") or "", project_id=_text(body, "project_id") or call.project,
                        availability_zones=tuple(zones) if zones is not None else None,
                        neutron_net_id=_text(body, "neutron_net_id"),
                        neutron_subnet_id=_text(body, "neutron_subnet_id"))
    status = _text(body, "status", "active")
    if not status:
        raise bad_request("'status' must be a share network status such as \"active\" or \"error\".")
    with rt.store.write() as conn:
        network = store.put_share_network(conn, spec)
        if status != "active":
            store.update(conn, "share_networks", {"id": network["id"]}, status=status)
            network["status"] = status
    return json_response(call, 201, {"share_network": _network_view(network)})


def create_share_server(rt: Runtime, call: Call) -> Response:
    body = body_object(call.request)
    host = _text(body, "host")
    if not host:
        raise bad_request("'host' is required: the back end (host@backend) the server lives on.")
    shares, snapshots = _count(body, "shares", 1), _count(body, "snapshots", 0)
    if snapshots and not shares:
        raise bad_request("'snapshots' need at least one share.")
    project = _text(body, "project_id") or call.project
    network_id = _text(body, "share_network_id")
    with rt.store.write() as conn:
        backend = store.get_backend(conn, host)
        if backend is None:
            raise bad_request(f"Unknown back end {host!r}; GET /_reference/backends lists them.")
        if network_id is None:
            network = store.put_share_network(conn, ShareNetwork(name=f"ref-net-{store.new_id()[:8]}",
                                                                 project_id=project))
        else:
            found = store.get_share_network(conn, network_id)
            if found is None:
                raise bad_request(f"Share network {network_id} not found.")
            network = found
        server_id, stamp = store.new_id(), store.now_text()
        store.insert(conn, "share_servers", id=server_id, project_id=project, host=host, status="active",
                     share_network_id=network["id"], encryption_key_ref=_text(body, "encryption_key_ref"),
                     created_at=stamp, updated_at=stamp)
        share_ids = [store.new_id() for _ in range(shares)]
        pool = f"{host}#pool_{host.partition('@')[2]}"
        for index, share_id in enumerate(share_ids):
            store.insert(conn, "shares", id=share_id, name=f"ref-share-{index}", project_id=project,
                         user_id=call.user, status="available", host=pool, share_server_id=server_id,
                         share_network_id=network["id"], availability_zone=backend["availability_zone"],
                         size=1, share_proto="NFS", created_at=stamp, updated_at=stamp)
        snapshot_ids = [store.new_id() for _ in range(snapshots)]
        for index, snapshot_id in enumerate(snapshot_ids):
            store.insert(conn, "snapshots", id=snapshot_id, share_id=share_ids[index % shares],
                         name=f"ref-snapshot-{index}", project_id=project, user_id=call.user,
                         status="available", size=1, created_at=stamp, updated_at=stamp)
        server = store.get_server(conn, server_id)
        assert server is not None
        view_call = Call(request=call.request, user=call.user, project=call.project, roles=call.roles,
                         version=(2, 57))
        view = server_view(conn, view_call, server, detailed=True)
    return json_response(call, 201, {"share_server": view, "shares": share_ids, "snapshots": snapshot_ids})


def _backend_view(backend: store.Row) -> dict[str, Any]:
    return {"name": backend["name"], "availability_zone": backend["availability_zone"], "up": backend["up"],
            "capabilities": backend["capabilities"], "fail_at": backend["fail_at"]}


def list_backends(rt: Runtime, call: Call) -> Response:
    with rt.store.read() as conn:
        backends = store.all_backends(conn)
    return json_response(call, 200, {"backends": [_backend_view(b) for b in backends]})


def update_backend(rt: Runtime, call: Call, name: str) -> Response:
    body = body_object(call.request)
    unknown = set(body) - {"up", "fail_at", "capabilities"}
    if unknown:
        raise bad_request(f"Unknown keys {sorted(unknown)}; use up, fail_at, capabilities.")
    if "up" in body and not isinstance(body["up"], bool):
        raise bad_request("'up' must be true or false.")
    if "fail_at" in body and body["fail_at"] is not None and body["fail_at"] not in FAIL_AT_STATES:
        raise bad_request(f"'fail_at' must be null or one of: {', '.join(FAIL_AT_STATES)}.")
    caps_update = body.get("capabilities", {})
    names = Capabilities.__dataclass_fields__
    if not isinstance(caps_update, dict) or any(k not in names or not isinstance(v, bool)
                                                for k, v in caps_update.items()):
        raise bad_request(f"'capabilities' maps some of {', '.join(names)} to true or false.")
    with rt.store.write() as conn:
        backend = store.get_backend(conn, name)
        if backend is None:
            raise not_found(f"Back end {name} is not configured.")
        values: dict[str, Any] = {}
        if "up" in body:
            values["up"] = int(body["up"])
        if "fail_at" in body:
            values["fail_at"] = body["fail_at"]
        if caps_update:
            values["capabilities"] = json.dumps({**backend["capabilities"], **caps_update})
        if values:
            store.update(conn, "backends", {"name": name}, **values)
        updated = store.get_backend(conn, name)
    rt.wake_worker()
    assert updated is not None
    return json_response(call, 200, {"backend": _backend_view(updated)})


def update_status(rt: Runtime, call: Call, table: str, item_id: str) -> Response:
    body = body_object(call.request)
    status = body.get("status")
    if not isinstance(status, str) or set(body) != {"status"}:
        raise bad_request("The body must be {\"status\": \"<status>\"}.")
    with rt.store.write() as conn:
        if store.update(conn, table, {"id": item_id}, status=status) == 0:
            raise ApiFault(404, f"No {table[:-1]} {item_id}.")
    return json_response(call, 200, {table[:-1]: {"id": item_id, "status": status}})


def advance(rt: Runtime, call: Call, server_id: str) -> Response:
    steps = _count(body_object(call.request), "steps", 1)
    return json_response(call, 200, {"steps": rt.advance(server_id, steps)})
