"""Response bodies for share servers, shares, snapshots, pools and version discovery.

Field sets follow Manila's view builders per microversion
(``manila/api/views/share_servers.py`` and friends), so clients that parse
real Manila responses parse these.
"""

from __future__ import annotations

from typing import Any

from manila_ssm.reference.http import Call
from manila_ssm.reference.store import Row


def share_server(call: Call, server: Row, network: Row | None, *, detailed: bool) -> dict[str, Any]:
    """``manila/api/views/share_servers.py``: base fields, then one modifier per microversion."""
    view: dict[str, Any] = {
        "id": server["id"],
        "project_id": server["project_id"],
        "updated_at": server["updated_at"],
        "status": server["status"],
        "host": server["host"],
        "share_network_name": network["name"] if network else None,
        "share_network_id": server["share_network_id"],
    }
    if detailed:
        view["created_at"] = server["created_at"]
        view["backend_details"] = {"server_id": server["id"], "username": "reference"}
    subnet_id = network["subnet_id"] if network else None
    if call.at_least(2, 49):
        view["is_auto_deletable"] = True
        view["identifier"] = server["id"]
    if call.at_least(2, 51) and not call.at_least(2, 70):
        view["share_network_subnet_id"] = subnet_id
    if call.at_least(2, 57):
        view["task_state"] = server["task_state"]
        view["source_share_server_id"] = server["source_share_server_id"]
    if call.at_least(2, 63):
        view["security_service_update_support"] = True
    if call.at_least(2, 70):
        view["share_network_subnet_ids"] = [subnet_id] if subnet_id else []
        view["network_allocation_update_support"] = True
    if call.at_least(2, 90):
        view["encryption_key_ref"] = server["encryption_key_ref"]
    return view


def _links(call: Call, collection: str, item_id: str) -> list[dict[str, str]]:
    base = call.request.host_url.rstrip("/")
    return [{"rel": "self", "href": f"{base}/v2/{call.project}/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{base}/{call.project}/{collection}/{item_id}"}]


def share_summary(call: Call, share: Row) -> dict[str, Any]:
    return {"id": share["id"], "name": share["name"], "links": _links(call, "shares", share["id"])}


def share(call: Call, share: Row) -> dict[str, Any]:
    """The detailed share view, with the admin-only ``host`` and ``share_server_id``."""
    view: dict[str, Any] = {
        "id": share["id"], "size": share["size"], "availability_zone": share["availability_zone"],
        "created_at": share["created_at"], "updated_at": share["updated_at"],
        "status": share["status"], "name": share["name"], "description": None,
        "project_id": share["project_id"], "snapshot_id": None,
        "share_network_id": share["share_network_id"], "share_proto": share["share_proto"],
        "metadata": {}, "share_type": None, "volume_type": None,
        "links": _links(call, "shares", share["id"]), "is_public": False,
        "snapshot_support": True, "task_state": None, "access_rules_status": "active",
        "replication_type": None, "has_replicas": False, "user_id": share["user_id"],
        "share_group_id": None,
    }
    if call.is_admin:
        view["share_server_id"] = share["share_server_id"]
        view["host"] = share["host"]
    return view


def snapshot_summary(call: Call, snapshot: Row) -> dict[str, Any]:
    return {"id": snapshot["id"], "name": snapshot["name"],
            "links": _links(call, "snapshots", snapshot["id"])}


def snapshot(call: Call, snapshot: Row, share: Row | None) -> dict[str, Any]:
    return {
        "id": snapshot["id"], "share_id": snapshot["share_id"],
        "share_size": share["size"] if share else None, "created_at": snapshot["created_at"],
        "updated_at": snapshot["updated_at"], "status": snapshot["status"],
        "name": snapshot["name"], "description": None, "size": snapshot["size"],
        "share_proto": share["share_proto"] if share else None, "project_id": snapshot["project_id"],
        "user_id": snapshot["user_id"], "links": _links(call, "snapshots", snapshot["id"]),
    }


def pool(backend: Row, *, detailed: bool) -> dict[str, Any]:
    host, _, name = backend["name"].partition("@")
    view: dict[str, Any] = {"name": f"{backend['name']}#pool_{name}", "host": host,
                            "backend": name, "pool": f"pool_{name}"}
    if detailed:
        view["capabilities"] = {
            "pool_name": f"pool_{name}", "driver_handles_share_servers": True,
            "share_backend_name": name.upper(), "availability_zone": backend["availability_zone"],
            "snapshot_support": True, "total_capacity_gb": 1000, "free_capacity_gb": 1000,
            "driver_version": "1.0", "storage_protocol": "NFS_CIFS", "vendor_name": "Reference",
        }
    return view


def versions(base_url: str) -> dict[str, Any]:
    """``manila/api/views/versions.py``: the single v2.0 entry, max 2.99."""
    return {"versions": [{
        "id": "v2.0", "status": "CURRENT", "version": "2.99", "min_version": "2.0",
        "updated": "2015-08-27T11:33:21Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base_url.rstrip('/')}/v2/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.share+json;version=1"}],
    }]}
