"""Where the reference target deliberately answers differently from upstream Manila.

Upstream answers 500 for some client input (``shared/manila-behaviour.md``
§2.7); the reference target never does, and answers what the effective
contract says instead. This table is the one place that lists every such
difference; the code cites the ids, and the README renders the same list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deviation:
    id: str
    request: str
    upstream: str
    reference: str


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("DEV-CHECK-NO-NETWORK-KEY", "migration_check without `new_share_network_id`",
              "500 (KeyError in the view builder, after the back-end check ran)",
              "treated as `null`: 200 with `requested_capabilities.share_network_id: null`"),
    Deviation("DEV-HOST-NOT-STRING", "check/start with a `host` that is not a string (null, number, ...)",
              "500 (AttributeError on `.split`)",
              "400 badRequest, at the point where upstream crashes (after the boolean checks)"),
    Deviation("DEV-HOST-NO-BACKEND", "check/start with a `host` without `@` (including `\"\"`)",
              "500 (IndexError in `extract_host`)",
              "400 badRequest, at the point where upstream crashes (precondition 5, after the status check)"),
    Deviation("DEV-PARAMS-NOT-OBJECT", "check/start whose parameters are a list naming all four mandatory keys",
              "500 (AttributeError on `.get`)", "400 badRequest with WebOb's generic text"),
    Deviation("DEV-NETWORK-ID-NOT-STRING", "check/start with a truthy `new_share_network_id` that is not a string",
              "depends on the database driver (500 with MySQL)", "400 \"Share network <value> not found.\""),
    Deviation("DEV-DEEP-JSON", "a JSON body nested too deeply for Python's decoder (thousands of `[`)",
              "500 (RecursionError escapes the body parser)", "400 \"Malformed request body\""),
    Deviation("DEV-UNPAIRED-SURROGATE", "a JSON string with an unpaired surrogate escape (`\\ud933`), e.g. in `host`",
              "500 where the value reaches the database (seen on 23.0.1 with `host`)", "400 \"Malformed request body\""),
    Deviation("DEV-NO-TOKEN", "any /v2 request without `X-Auth-Token`",
              "keystone: 401 `{\"error\": ...}`; noauth: 204 with a fake token",
              "401 in keystone's shape, as a keystone-backed deployment answers"),
    Deviation("DEV-RESET-STATES-ORDER", "reset_status/reset_task_state with an unknown value",
              "400 listing the valid states in set order (varies between processes)",
              "400 listing them in a stable order"),
    Deviation("DEV-OTHER-SERVER-ACTIONS", "`unmanage` and the other non-migration share-server actions",
              "implemented", "400 \"There is no such action: <name>\" (not part of this target)"),
)
