"""The fixtures phase: share type, share networks and shares, each share on
its own network so that each gets its own share server, created through
the API exactly as an operator would.

A fixture set is reused while every one of its servers is still ``active``
and not migrating; a migrated or cancelled set is replaced by a fresh one,
because a successful migration deletes its source server.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from manila_ssm import jsonio
from manila_ssm.realmanila import keystone
from manila_ssm.realmanila.client import ManilaClient, expect, poll
from manila_ssm.realmanila.config import HarnessConfig

SHARE_TYPE = "ssm-dhss"
# role -> (source back end, destination back end). Each role is one server.
ROLES: dict[str, tuple[str, str]] = {
    "migrate": ("alpha", "beta"),
    "cancel": ("gamma", "beta"),
    "idle": ("alpha", "gamma"),
    "spare": ("beta", "gamma"),
    # Walked by the suite's stateful test only (a "stateful" key of the servers file): migrations
    # started, cancelled and settled back to active, never completed.
    "stateful": ("gamma", "alpha"),
}
# 2.67: the admin-only "only_host" scheduler hint pins a share to a back end.
FIXTURE_MICROVERSION = "2.67"


@dataclass(frozen=True, slots=True)
class FixtureSet:
    """The ids a run needs, as written to fixtures.json."""

    document: dict[str, Any]

    def server(self, role: str) -> dict[str, Any]:
        return self.document["share_servers"][role]


def _client(config: HarnessConfig) -> ManilaClient:
    who = keystone.credentials(config)
    return ManilaClient(config.api_root, token=who.admin_token, project=who.admin_project,
                        microversion=FIXTURE_MICROVERSION, experimental=None)


def _share_type(client: ManilaClient) -> dict[str, Any]:
    for share_type in expect(client.get("/types?is_public=all"), "list share types")["share_types"]:
        if share_type["name"] == SHARE_TYPE:
            return share_type
    body = {"share_type": {"name": SHARE_TYPE, "share_type_access:is_public": True,
                           "extra_specs": {"driver_handles_share_servers": True}}}
    return expect(client.post("/types", body), "create share type")["share_type"]


def _share_network(client: ManilaClient, name: str) -> dict[str, Any]:
    body = {"share_network": {"name": name, "description": "ssm-conformance fixture"}}
    return expect(client.post("/share-networks", body), "create share network")["share_network"]


def _share(client: ManilaClient, config: HarnessConfig, name: str, network: str, type_id: str,
           backend: str) -> dict[str, Any]:
    body = {"share": {"name": name, "share_proto": "NFS", "size": 1, "share_type": type_id,
                      "share_network_id": network,
                      "scheduler_hints": {"only_host": config.backend_pool(backend)}}}
    return expect(client.post("/shares", body), "create share")["share"]


def _wait_available(client: ManilaClient, share_id: str) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        share = expect(client.get(f"/shares/{share_id}"), "show share")["share"]
        if share["status"] == "error":
            raise RuntimeError(f"share {share_id} went to error; see manila-share.log")
        return share if share["status"] == "available" else None

    return poll(ready, 180, 1, f"share {share_id} available")


def create(config: HarnessConfig, tag: str | None = None) -> FixtureSet:
    """Create a fresh fixture set (one server per role) and describe it."""
    tag = tag or time.strftime("%Y%m%d%H%M%S")
    client = _client(config)
    share_type = _share_type(client)
    created: dict[str, dict[str, str]] = {}
    for role, (source, _) in ROLES.items():
        network = _share_network(client, f"ssm-{tag}-{role}")
        share = _share(client, config, f"ssm-{tag}-{role}", network["id"], share_type["id"], source)
        created[role] = {"share_id": share["id"], "share_network_id": network["id"]}
    # A network with no server yet, for migrations that change the network.
    spare_network = _share_network(client, f"ssm-{tag}-new-network")
    servers = {}
    for role, ids in created.items():
        share = _wait_available(client, ids["share_id"])
        source, destination = ROLES[role]
        servers[role] = {
            "share_server_id": share["share_server_id"],
            "host": config.backend_host(source),
            "destination_host": config.backend_host(destination),
            **ids,
        }
    who = keystone.credentials(config)
    return FixtureSet({
        "manila_version": config.manila_version,
        "api_root": config.api_root,
        "auth": config.auth,
        "base_url": f"{config.api_root}/v2/{who.admin_project}",
        "project_id": who.admin_project,
        "tokens": {"admin": who.admin_token, "non_admin": who.member_token},
        "backends": {name: config.backend_host(name) for name in config.backends},
        "share_type_id": share_type["id"],
        "new_share_network_id": spare_network["id"],
        "share_servers": servers,
        "tag": tag,
    })


def still_usable(config: HarnessConfig, fixtures: FixtureSet) -> bool:
    """True while every server of the set is active and untouched by a migration."""
    client = _client(config)
    for role in ROLES:
        server = fixtures.document["share_servers"].get(role)
        if server is None:
            return False
        exchange = client.get(f"/share-servers/{server.get('share_server_id')}")
        if exchange.status != 200:
            return False
        body = exchange.json()["share_server"]
        if body["status"] != "active" or body.get("task_state"):
            return False
    return True


def load(config: HarnessConfig) -> FixtureSet | None:
    try:
        return FixtureSet(json.loads(config.fixtures_file.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def ensure(config: HarnessConfig, fresh: bool = False) -> tuple[FixtureSet, bool]:
    """The current fixture set, made anew if asked or if it was used up."""
    existing = None if fresh else load(config)
    if existing is not None and still_usable(config, existing):
        return existing, False
    fixtures = create(config)
    jsonio.write(config.fixtures_file, fixtures.document)
    return fixtures, True
