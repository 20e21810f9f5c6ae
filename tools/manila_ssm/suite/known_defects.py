"""Upstream Manila's 500s to client input, each described by its cause.

Upstream 23.0.1 answers some malformed ``migration_check``/``migration_start``
bodies with a 500 instead of a 400 (behaviour §2.7 and two the fuzzer found).
Each defect here is a predicate over the *request*, written after the order
in which upstream's controller and share API look at the parameters
(``manila/api/v2/share_servers.py`` ``_share_server_migration_*``, then
``manila/share/api.py`` ``_migration_initial_checks``): a request that an
earlier step rejects with a 4xx never reaches the faulty line, so it is not
explained by the defect. What the request alone cannot show (whether a
share network or a destination service exists) can still stop upstream
first, with a 400 "not found" or a 404. Every predicate is confirmed on real Manila, one
probe per input class, in ``tests/cassettes/known-defects.json`` (recorded
by ``ssm-conformance real-manila record --only known-defects``); a test
holds the predicates to those answers in both directions.

A 5xx that no predicate explains is the target's own failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MANDATORY = ("writable", "nondisruptive", "preserve_snapshots", "host")
FLAGS = ("writable", "nondisruptive", "preserve_snapshots")
# oslo_utils.strutils.bool_from_string(strict=True): these spellings, stripped, any case.
_BOOL_SPELLINGS = frozenset({"1", "t", "true", "on", "y", "yes", "0", "f", "false", "off", "n", "no"})
_PARAMETER_ACTIONS = ("migration_check", "migration_start")


@dataclass(frozen=True, slots=True)
class KnownDefect:
    """One upstream 500: its id, what causes it, and where it comes from."""

    id: str
    cause: str
    source: str


HOST_NOT_STRING = KnownDefect(
    "SSM-DEFECT-HOST-NOT-STRING-500",
    "host is any JSON value but a string (null, number, boolean, array, object): the pool check "
    "calls host.split",
    "behaviour §2.7 item 2; manila/api/v2/share_servers.py (the '#' pool check)",
)
NETWORK_NOT_ONE_VALUE = KnownDefect(
    "SSM-DEFECT-NETWORK-ID-OBJECT-500",
    "a truthy new_share_network_id that the database driver cannot bind as one SQL value: an object "
    "anywhere in it, or an array that is not a chain of one-element arrays around a scalar "
    "(PyMySQL renders [a, b] as a row and refuses dicts)",
    "found by the fuzzer on manila 23.0.1; manila/db/sqlalchemy/api.py share_network_get via PyMySQL",
)
UNPAIRED_SURROGATE = KnownDefect(
    "SSM-DEFECT-UNPAIRED-SURROGATE-500",
    "a string with an unpaired UTF-16 surrogate escape (\\ud800) reaches a database query: in a truthy "
    "new_share_network_id, or in a host that passed the earlier checks",
    "found by the fuzzer on manila 23.0.1; the query text cannot be encoded as UTF-8",
)
HOST_NO_BACKEND = KnownDefect(
    "SSM-DEFECT-HOST-NO-AT-500",
    "a string host without '@' (including the empty string) that passed the earlier checks: "
    "share.utils.extract_host indexes the part after '@'",
    "behaviour §2.7 item 3; manila/share/utils.py extract_host",
)
CHECK_WITHOUT_NETWORK = KnownDefect(
    "SSM-DEFECT-CHECK-NO-NETWORK-500",
    "migration_check whose parameters lack the new_share_network_id key and pass every other check: "
    "the view reads params['new_share_network_id']",
    "behaviour §2.7 item 1; manila/api/views/share_server_migration.py",
)
PROGRESS_RACE = KnownDefect(
    "SSM-DEFECT-PROGRESS-RACE-500",
    "migration_get_progress while the driver's phase 1 ends: the API sees migration_driver_in_progress and "
    "asks the destination's manager, which finds phase 1 already done, refuses (InvalidShareServer), and "
    "the API turns that into a 500; asked again, it answers migration_driver_phase1_done",
    "manila/share/api.py share_server_migration_get_progress (any RPC error becomes "
    "ShareServerMigrationError) and manila/share/manager.py share_server_migration_get_progress; seen on "
    "manila 23.0.1 in 2 of 3 recorded migrations (tests/cassettes poll.seen) and in a soak",
)
DEFECTS: tuple[KnownDefect, ...] = (HOST_NOT_STRING, NETWORK_NOT_ONE_VALUE, UNPAIRED_SURROGATE,
                                    HOST_NO_BACKEND, CHECK_WITHOUT_NETWORK)
# The task states a poll may last have shown when upstream's progress race strikes: the source is
# migration_driver_in_progress when the API reads it (the only branch that raises this 500), and a
# poll may have missed that state after seeing migration_driver_starting.
_RACE_AFTER = frozenset({"migration_driver_starting", "migration_driver_in_progress"})
# The same two moments as states of the suite's state model (conformance/state-model.yaml).
RACE_MODEL_STATES = frozenset({"driver_starting", "driver_in_progress"})


def strict_bool(value: Any) -> bool:
    """Whether oslo's strict boolean parsing accepts ``value`` (as Manila applies it to the flags)."""
    return isinstance(value, bool) or str(value).strip().lower() in _BOOL_SPELLINGS


def has_unpaired_surrogate(value: Any) -> bool:
    """Whether any string in ``value`` (keys included) cannot be encoded as UTF-8."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def binds_as_one_value(value: Any) -> bool:
    """Whether PyMySQL turns ``value`` into one SQL value (``[["x"]]`` is ``(('x'))``, still one)."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return len(value) == 1 and binds_as_one_value(value[0])
    return True


def cause(action: str, body: Any) -> KnownDefect | None:
    """The upstream defect this request runs into, whatever the target answered.

    Follows upstream's order: the action body, the mandatory keys, the
    flags, the host's type and pool, the new share network's lookup, then the
    share API's host parsing and service lookup, and last the check view.
    """
    if action not in _PARAMETER_ACTIONS or not (isinstance(body, dict) and list(body) == [action]):
        return None
    params = body[action]
    if not (isinstance(params, dict) and params and all(key in params for key in MANDATORY)):
        return None  # 400: missing body or mandatory parameters
    if not all(strict_bool(params[flag]) for flag in FLAGS):
        return None  # 400: not a boolean
    host = params["host"]
    if not isinstance(host, str):
        return HOST_NOT_STRING
    if "#" in host:
        return None  # 400: pool in the host
    network = params.get("new_share_network_id")
    if network:
        if not binds_as_one_value(network):
            return NETWORK_NOT_ONE_VALUE
        if has_unpaired_surrogate(network):
            return UNPAIRED_SURROGATE
        # Any other value is looked up: unknown, 400; found, the checks go on. MariaDB compares a
        # number with the id column as a number, so 5 finds a network whose id starts "5a..." (seen live).
    if "@" not in host:
        return HOST_NO_BACKEND
    if has_unpaired_surrogate(host):
        return UNPAIRED_SURROGATE
    if action == "migration_check" and "new_share_network_id" not in params:
        return CHECK_WITHOUT_NETWORK
    return None


def explain(action: str, body: Any, status: int | None) -> str | None:
    """The id of the known defect that explains a 5xx answer to ``body``, if any."""
    if status is None or status < 500:
        return None
    found = cause(action, body)
    return found.id if found else None


def progress_race(status: int | None, last_task_state: str | None) -> bool:
    """Whether a get_progress answer is upstream's phase-1 race (PROGRESS_RACE), given the last state seen.

    Only a 500 right after the driver was seen running qualifies, and only
    once: the caller asks again, and that answer is judged as any other.
    """
    return status == 500 and last_task_state in _RACE_AFTER
