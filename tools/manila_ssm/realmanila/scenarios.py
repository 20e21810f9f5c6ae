"""The scenarios the recorder drives real Manila through, as code and tables.

The one-shot probes only ever touch the ``idle`` server with
``migration_check`` (which changes nothing) or use ids that do not exist,
so they can run in any order against one fixture set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from manila_ssm.realmanila.cassette import interaction
from manila_ssm.realmanila.client import OMIT

if TYPE_CHECKING:
    from manila_ssm.realmanila.recorder import Recording

UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead"
PHASE1_DONE = "migration_driver_phase1_done"
ACTIONS = ("migration_check", "migration_start", "migration_complete", "migration_cancel",
           "migration_get_progress")


def params(destination: Any, **changes: Any) -> dict[str, Any]:
    body = {"host": destination, "writable": True, "nondisruptive": False, "preserve_snapshots": True,
            "new_share_network_id": None}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def _action_body(action: str, host: str) -> dict[str, Any]:
    if action in ("migration_check", "migration_start"):
        return {action: params(host)}
    return {action: None}


def happy_path(rec: Recording) -> None:
    dest = rec.fixtures.server("migrate")["destination_host"]
    rec.call("check to the destination", "migrate", {"migration_check": params(dest)})
    start = params(dest)
    del start["new_share_network_id"]  # optional for start (omitting it breaks only check)
    rec.call("start without new_share_network_id", "migrate", {"migration_start": start})
    done = rec.poll("progress until phase 1 is done", "migrate", {"status": 200, "task_state": PHASE1_DONE},
                    learn=True)
    rec.call("progress at phase 1 done", "migrate", {"migration_get_progress": None})
    rec.call("complete", "migrate", {"migration_complete": None})
    rec.poll("progress on the source until success", "migrate", {"status": 200, "task_state": "migration_success"})
    destination = (done.json() or {}).get("destination_share_server_id")
    rec.call("progress on the destination after success", None, {"migration_get_progress": None},
             server_id=destination)
    rec.call("complete again on the deleted source", "migrate", {"migration_complete": None})


def cancel_path(rec: Recording) -> None:
    dest = rec.fixtures.server("cancel")["destination_host"]
    rec.call("start", "cancel", {"migration_start": params(dest)})
    rec.call("complete before phase 1 is done", "cancel", {"migration_complete": None})
    rec.call("start again while migrating", "cancel", {"migration_start": params(dest)})
    rec.call("check while migrating", "cancel", {"migration_check": params(dest)})
    rec.poll("progress until phase 1 is done", "cancel", {"status": 200, "task_state": PHASE1_DONE}, learn=True)
    rec.call("cancel at phase 1 done", "cancel", {"migration_cancel": None})
    rec.poll("progress until no longer migrating", "cancel", {"status": 400})
    rec.call("complete after cancel", "cancel", {"migration_complete": None})
    rec.call("cancel again after cancel", "cancel", {"migration_cancel": None})
    rec.call("check after cancel (the source is active again)", "cancel",
             {"migration_check": params(dest)})


def new_share_network(rec: Recording) -> None:
    dest = rec.fixtures.server("spare")["destination_host"]
    body = params(dest, new_share_network_id=rec.fixtures.document["new_share_network_id"])
    rec.call("check with a new share network", "spare", {"migration_check": body})
    rec.call("start with a new share network", "spare", {"migration_start": body})
    rec.poll("progress until phase 1 is done", "spare", {"status": 200, "task_state": PHASE1_DONE}, learn=True)
    rec.call("complete", "spare", {"migration_complete": None})
    rec.poll("progress on the source until success", "spare", {"status": 200, "task_state": "migration_success"})


def unknown_ids(rec: Recording) -> None:
    host = rec.fixtures.server("idle")["destination_host"]
    for action in ACTIONS:
        rec.call(f"{action} on an unknown uuid", None, _action_body(action, host))
    for action in ACTIONS:
        rec.call(f"{action} on an id that is no uuid", None, _action_body(action, host),
                 server_id="not-a-uuid")


def non_admin(rec: Recording) -> None:
    host = rec.fixtures.server("idle")["destination_host"]
    for action in ACTIONS:
        rec.call(f"{action} as non-admin", "idle", _action_body(action, host), token="non_admin")
    for action in ACTIONS:
        rec.call(f"{action} as non-admin on an unknown id", None, _action_body(action, host),
                 token="non_admin")


def _probes(rec: Recording, table: list[tuple[str, dict[str, Any]]]) -> None:
    for name, case in table:
        case = dict(case)
        method = case.pop("method", "POST")
        role = case.pop("role", "idle")
        token = case.pop("token", "admin")
        resource = case.pop("resource", None)
        sid = rec.server(role)
        if resource is None:
            resource = f"/share-servers/{sid}/action"
        exchange = rec.client(token).request(method, resource.format(sid=sid), case.pop("body", OMIT), **case)
        rec.items.append(interaction(name, exchange, rec.subs))


def idle_errors(rec: Recording) -> None:
    fx = rec.fixtures
    dest, own = fx.server("idle")["destination_host"], fx.server("idle")["host"]
    bare = rec.config.host
    check = "migration_check"
    _probes(rec, [
        ("complete on an idle server", {"body": {"migration_complete": None}}),
        ("cancel on an idle server", {"body": {"migration_cancel": None}}),
        ("progress on an idle server", {"body": {"migration_get_progress": None}}),
        ("check to the source's own back end", {"body": {check: params(own)}}),
        ("check to the own back end with a new share network",
         {"body": {check: params(own, new_share_network_id=fx.document["new_share_network_id"])}}),
        ("check with nondisruptive true", {"body": {check: params(dest, nondisruptive=True)}}),
        ("check to an unknown back end", {"body": {check: params(f"{bare}@nosuch")}}),
        ("check to an unknown host", {"body": {check: params(f"nosuchhost@{rec.config.backends[1]}")}}),
        ("check to a host with a pool", {"body": {check: params(rec.config.backend_pool(rec.config.backends[1]))}}),
        ("check to a host without a back end", {"body": {check: params(bare)}}),
        ("check to an empty host", {"body": {check: params("")}}),
        ("check to a numeric host", {"body": {check: params(123)}}),
        ("check with an unknown share network", {"body": {check: params(dest, new_share_network_id=UNKNOWN_ID)}}),
        ("check without new_share_network_id", {"body": {check: params(dest, new_share_network_id=_DROP)}}),
        ("start to a host with a pool", {"body": {"migration_start": params(rec.config.backend_pool(rec.config.backends[1]))}}),
    ])


def bad_bodies(rec: Recording) -> None:
    dest = rec.fixtures.server("idle")["destination_host"]
    check = "migration_check"
    table: list[tuple[str, dict[str, Any]]] = [
        ("check with an empty object", {"body": {check: {}}}),
        ("check with null", {"body": {check: None}}),
        ("start with null", {"body": {"migration_start": None}}),
        ("check with an unknown extra key", {"body": {check: {**params(dest), "colour": "blue"}}}),
        ("body that is not JSON", {"raw": b"{not json"}),
        ("body that is a JSON list", {"body": [1, 2]}),
        ("body that is an empty object", {"body": {}}),
        ("body with two actions", {"body": {check: params(dest), "migration_cancel": None}}),
        ("empty body", {"raw": b""}),
        ("unknown action", {"body": {"migration_foo": None}}),
        ("JSON body without Content-Type", {"raw": b'{"migration_get_progress": null}',
                                            "headers": {"Content-Type": "text/plain"}}),
    ]
    for missing in ("host", "writable", "nondisruptive", "preserve_snapshots"):
        table.append((f"check without {missing}", {"body": {check: params(dest, **{missing: _DROP})}}))
    for spelling in ("True", "yes", "1", "on", "t", "TRUE ", 1, 0, "false", "no"):
        table.append((f"check with writable {spelling!r}", {"body": {check: params(dest, writable=spelling)}}))
    for spelling in ("maybe", "", 2, None, [], {}):
        table.append((f"check with writable {spelling!r}", {"body": {check: params(dest, writable=spelling)}}))
    table.append(("check with preserve_snapshots 'nope'",
                  {"body": {check: params(dest, preserve_snapshots="nope")}}))
    _probes(rec, table)


def headers_versions_urls(rec: Recording) -> None:
    dest = rec.fixtures.server("idle")["destination_host"]
    body = {"migration_check": params(dest)}
    _probes(rec, [
        ("no version header", {"body": body, "microversion": None}),
        ("version 2.56", {"body": body, "microversion": "2.56"}),
        ("version 2.57 without the experimental header", {"body": body, "experimental": None}),
        ("experimental header False", {"body": body, "experimental": "False"}),
        ("experimental header yes", {"body": body, "experimental": "yes"}),
        ("version 2.99 (the maximum)", {"body": body, "microversion": "2.99"}),
        ("version 2.100", {"body": body, "microversion": "2.100"}),
        ("version 3.0", {"body": body, "microversion": "3.0"}),
        ("version latest", {"body": body, "microversion": "latest"}),
        ("version 2.x", {"body": body, "microversion": "2.x"}),
        ("only the generic OpenStack-API-Version header",
         {"body": body, "microversion": None,
          "headers": {"OpenStack-API-Version": "shared-file-system 2.57"}}),
        ("URL without the project id", {"body": body, "project": None}),
        ("URL with share_servers (underscore)",
         {"body": body, "resource": "/share_servers/{sid}/action"}),
        ("GET on the action URL", {"method": "GET"}),
        ("version discovery", {"method": "GET", "resource": "/v2/", "full_path": True,
                               "microversion": None, "experimental": None}),
    ])


PROBE_HOST = "ssm-probe@nowhere"  # no such service: a start that gets past every check is a 404, never a migration
SURROGATE = "\ud800"


def _defect_probes(action: str, base_host: str) -> list[tuple[str, Any, dict[str, Any]]]:
    """(what, expected defect or None, parameter changes) for one action, one per input class."""
    probes: list[tuple[str, Any, dict[str, Any]]] = []
    for label, host in (("null", None), ("integer", 123), ("float", 1.5), ("true", True), ("false", False),
                        ("empty array", []), ("array of a host", [base_host]), ("empty object", {}),
                        ("object", {"host": base_host})):
        probes.append((f"host {label}", "HOST-NOT-STRING", {"host": host}))
    for label, host in (("empty string", ""), ("bare host", "{bare}"), ("words", "no at sign")):
        probes.append((f"host {label}", "HOST-NO-AT", {"host": host}))
    for label, network in (("object", {"a": 1}), ("object with a null", {"": None}),
                           ("array of an object", [{"a": 1}]), ("array of an empty object", [{}]),
                           ("array of two strings", ["a", "b"]), ("array of two numbers", [1, 2]),
                           ("array in an array", [[1, 2]]), ("empty array in an array", [[]]),
                           ("array of two nulls", [None, None]), ("array of arrays", [["x"], ["y"]])):
        probes.append((f"new_share_network_id {label}", "NETWORK-ID-OBJECT", {"new_share_network_id": network}))
    for label, network in (("integer", 5), ("negative integer", -1), ("big integer", 2 ** 70), ("float", 1.5),
                           ("true", True), ("array of one string", ["x"]), ("array of one array", [[7]]),
                           ("array of one null", [None]), ("array of true", [True]), ("unknown id", UNKNOWN_ID),
                           ("empty array", []), ("empty object", {}), ("zero", 0), ("false", False),
                           ("empty string", "")):
        probes.append((f"new_share_network_id {label}", None, {"new_share_network_id": network}))
    probes += [
        ("new_share_network_id with a surrogate", "UNPAIRED-SURROGATE", {"new_share_network_id": SURROGATE}),
        ("new_share_network_id array of a surrogate", "UNPAIRED-SURROGATE",
         {"new_share_network_id": [SURROGATE]}),
        ("host with a surrogate after the back end", "UNPAIRED-SURROGATE", {"host": base_host + SURROGATE}),
        ("host with a surrogate before the at", "UNPAIRED-SURROGATE", {"host": SURROGATE + "@x"}),
        ("host with a surrogate and no at", "HOST-NO-AT", {"host": SURROGATE}),
        ("host with a surrogate and a pool", None, {"host": base_host + "#" + SURROGATE}),
        ("writable with a surrogate", None, {"writable": "yes" + SURROGATE}),
        ("extra key with a surrogate value", None, {"colour": SURROGATE}),
        ("extra key with a surrogate name", None, {SURROGATE: 1}),
        # upstream's order: flags before host, host before network, network before back end
        ("host null and writable maybe", None, {"host": None, "writable": "maybe"}),
        ("host with a pool and an object network", None, {"host": base_host + "#p", "new_share_network_id": {"a": 1}}),
        ("object network and writable maybe", None, {"new_share_network_id": {"a": 1}, "writable": "maybe"}),
        # 5 may find a network (MariaDB compares ids as numbers), then the bare host fails; if not, 400
        ("bare host and an integer network", "HOST-NO-AT", {"host": "{bare}", "new_share_network_id": 5}),
    ]
    if action == "migration_check":
        probes += [
            ("without new_share_network_id", "CHECK-NO-NETWORK", {"new_share_network_id": _DROP}),
            ("without new_share_network_id, bare host", "HOST-NO-AT",
             {"new_share_network_id": _DROP, "host": "{bare}"}),
            # the predicate cannot see that the service is unknown: upstream stops at 404 first
            ("without new_share_network_id, unknown back end", "CHECK-NO-NETWORK",
             {"new_share_network_id": _DROP, "host": PROBE_HOST}),
        ]
    else:
        probes.append(("without new_share_network_id", None, {"new_share_network_id": _DROP}))
    return probes


def known_defects(rec: Recording) -> None:
    """One probe per input class of every known upstream 500, and the near misses that are 4xx.

    The interaction name ends in ``[DEFECT-ID]`` when the suite's predicate
    (suite/known_defects.py) says the request hits that defect, ``[none]``
    otherwise; tests/realmanila/test_known_defects.py holds the recorded
    statuses to those names.
    """
    bare = rec.config.host
    # A number or [number] as the network id can find an older network (MariaDB compares ids as
    # numbers); such ids belong to no fixture set, so they get one placeholder of their own.
    listed = rec.client().get("/share-networks").json() or {}
    for network in listed.get("share_networks", []):
        if network["id"] not in rec.subs.table:
            rec.subs.add(network["id"], "{share_network:other}")
    for action, base_host in (("migration_check", rec.fixtures.server("idle")["destination_host"]),
                              ("migration_start", PROBE_HOST)):
        for what, defect, changes in _defect_probes(action, base_host):
            changes = {k: (v.replace("{bare}", bare) if isinstance(v, str) else v) for k, v in changes.items()}
            body = {action: params(base_host, **changes)}
            tag = f"SSM-DEFECT-{defect}-500" if defect else "none"
            rec.call(f"{action.removeprefix('migration_')} {what} [{tag}]", "idle", body)


SCENARIOS: dict[str, tuple[str, Any]] = {
    "happy-path": ("check, start, progress until phase 1 is done, complete, and what follows", happy_path),
    "cancel": ("start, the wrong-phase answers while migrating, cancel at phase 1 done, and after", cancel_path),
    "new-share-network": ("a migration that also moves the server to another share network", new_share_network),
    "unknown-ids": ("every action on a server id that does not exist", unknown_ids),
    "non-admin": ("every action with a non-admin token, on a real and an unknown server", non_admin),
    "idle-errors": ("wrong-state and bad-destination answers on a server that is not migrating", idle_errors),
    "bad-bodies": ("malformed bodies, missing parameters, and boolean spellings", bad_bodies),
    "headers-versions-urls": ("microversions, the experimental header, and URL variants", headers_versions_urls),
    # Evidence for suite/known_defects.py; recorded to tests/cassettes/probes/ (not replayed on the reference).
    "known-defects": ("every known upstream 500 by input class, and its 4xx near misses", known_defects),
}
# Scenarios whose cassettes are evidence for one module, kept apart from the replayed set.
PROBE_SCENARIOS = frozenset({"known-defects"})
