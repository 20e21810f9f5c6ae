"""Validation of ``migration_check``/``migration_start`` parameters, in upstream's order.

``manila/api/v2/share_servers.py`` validates by hand (no JSON schema): body
present, all four mandatory keys present, strict booleans, no ``#pool``, then
the share network. The reference target follows that order and its messages,
except where upstream crashes (see ``deviations.py``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from manila_ssm.reference import store
from manila_ssm.reference.http import ApiFault, bad_request, bool_from_string, python_str

_BOOL_PARAMS = ("writable", "nondisruptive", "preserve_snapshots")
_MANDATORY = [*_BOOL_PARAMS, "host"]


@dataclass(frozen=True, slots=True)
class MigrationParams:
    raw: dict[str, Any]
    host: str
    writable: bool
    nondisruptive: bool
    preserve_snapshots: bool
    new_network: store.Row | None  # None: stay on the server's current network


def validate(conn: sqlite3.Connection, server: store.Row, params: Any) -> MigrationParams:
    """Steps 2-7 of the controller (§2.1); raises the first fault upstream would raise."""
    # manila/api/v2/share_servers.py: falsy parameters are a missing body
    if not params:
        raise bad_request("Request is missing body.")
    if server["encryption_key_ref"]:
        raise bad_request("Cannot migrate the share server containing encryption key reference")
    try:
        present = set(params)
    except TypeError:  # a number: set() refuses it and WebOb's generic 400 results
        raise bad_request() from None
    if set(_MANDATORY) - present:
        raise bad_request(f"Must specify all mandatory parameters: {_MANDATORY!r}")
    if not isinstance(params, dict):
        raise bad_request()  # DEV-PARAMS-NOT-OBJECT
    values = {}
    for key in _BOOL_PARAMS:
        try:
            values[key] = bool_from_string(params[key], strict=True)
        except ValueError:
            raise bad_request(f"Invalid value {python_str(params[key])} for {key}. "
                              "Expecting a boolean.") from None
    host = params["host"]
    if not isinstance(host, str):  # DEV-HOST-NOT-STRING
        raise bad_request(f"The destination host must be a string of the form host@backend, "
                          f"not {python_str(host)}.")
    if "#" in host:
        raise bad_request("The destination host can not contain pool information.")
    new_network = None
    network_id = params.get("new_share_network_id")
    if network_id:
        found = (store.get_share_network(conn, network_id) if isinstance(network_id, str)
                 else None)  # DEV-NETWORK-ID-NOT-STRING
        if found is None:
            raise bad_request(f"Share network {python_str(network_id)} not found.")
        _check_network_active(found)
        new_network = found
    else:
        current = store.get_share_network(conn, server["share_network_id"])
        if current is not None:
            _check_network_active(current)
    return MigrationParams(raw=params, host=host, new_network=new_network, **values)


def _check_network_active(network: store.Row) -> None:
    # manila/api/common.py check_share_network_is_active
    if network["status"] != "active":
        raise ApiFault(400, f"The share network {network['id']} used isn't in an 'active' state. "
                            f"Current status is {network['status']}. The action may be retried "
                            "after the share network has changed its state.")


def backend_name(host: str) -> str:
    """``extract_host(host, 'backend_name')``; a host without ``@`` is DEV-HOST-NO-BACKEND."""
    if "@" not in host:
        raise bad_request(f"The destination host {host!r} must be of the form host@backend.")
    return host.split("@")[1].split("#")[0]


def service_host(host: str) -> str:
    """``extract_host(host)``: ``host@backend`` without the pool."""
    return host.split("#")[0]
