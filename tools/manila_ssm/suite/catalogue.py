"""The requirement catalogue: stable ids, statements, sources, known defects.

Most requirements are listed in ``requirements.yaml``; the ones whose wording
follows the contract (each action's success code, response schema, error
codes, fuzzing, policy and unknown-id answers) are derived from the OpenAPI
document, so ``--ssm-contract documented`` checks ``SSM-CHECK-STATUS-202``
where the effective contract checks ``SSM-CHECK-STATUS-200``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from manila_ssm import paths
from manila_ssm.suite.contract import ACTIONS, SHORT, ActionContract, Contract
from manila_ssm.yamlio import FastSafeLoader


@dataclass(frozen=True, slots=True)
class Defect:
    """A known upstream defect: reported as such, never as a pass or a failure."""

    id: str
    title: str
    source: str


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    statement: str
    source: str
    actions: tuple[str, ...] = ACTIONS
    defect: Defect | None = None


@dataclass(frozen=True, slots=True)
class Catalogue:
    contract: str
    requirements: Mapping[str, Requirement]

    def __getitem__(self, requirement_id: str) -> Requirement:
        try:
            return self.requirements[requirement_id]
        except KeyError:
            raise KeyError(f"{requirement_id} is not in the requirement catalogue") from None

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self.requirements

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements.values())

    def __len__(self) -> int:
        return len(self.requirements)


def status_id(action: str, code: int) -> str:
    return f"SSM-{SHORT[action]}-STATUS-{code}"


def schema_id(action: str) -> str:
    return f"SSM-{SHORT[action]}-RESPONSE-SCHEMA"


def error_codes_id(action: str) -> str:
    return f"SSM-{SHORT[action]}-ERROR-CODES"


def fuzz_id(action: str, mode: str) -> str:
    return f"SSM-{SHORT[action]}-FUZZ-{mode.upper()}"


def policy_id(action: str) -> str:
    return f"SSM-{SHORT[action]}-POLICY-403"


def unknown_id(action: str) -> str:
    # manila/api/v2/share_servers.py: get_progress does not look the server up, hence 400
    code = 400 if action == "migration_get_progress" else 404
    return f"SSM-{SHORT[action]}-UNKNOWN-{code}"


def _source(action: ActionContract, errata: tuple[str, ...] = ()) -> str:
    clause = action.source or f"api-ref: {action.name}"
    return f"{clause}; erratum {', '.join(errata)}" if errata else clause


@cache
def _overlay_errata() -> tuple[tuple[str, str], ...]:
    """``(JSONPath target, erratum id)`` pairs of the errata overlay, if the spec has one."""
    try:
        path = paths.spec_dir() / "errata.overlay.yaml"
        overlay = yaml.load(path.read_text(encoding="utf-8"), Loader=FastSafeLoader)
    except (FileNotFoundError, OSError, yaml.YAMLError):
        return ()
    return tuple(
        (str(entry.get("target", "")), str(entry["x-erratum"]["id"]))
        for entry in (overlay or {}).get("actions", ()) or ()
        if isinstance(entry, dict) and isinstance(entry.get("x-erratum"), dict) and "id" in entry["x-erratum"]
    )


def errata_about(contract: Contract, action: str, field: str) -> tuple[str, ...]:
    """The errata of the effective contract that changed ``field`` of ``action`` (success code, schema, ...)."""
    if contract.name != "effective":
        return ()
    terms = contract.actions[action]
    schema = str((terms.response_schema or {}).get("$ref", "")).rsplit("/", 1)[-1]
    found = []
    for target, erratum in _overlay_errata():
        if field == "response-schema":
            hit = bool(schema) and f"['{schema}']" in target
        else:
            hit = target.endswith(f".actions.{action}") and field == "success-code" or \
                target.endswith(f".actions.{action}['{field}']")
        if hit and erratum in terms.errata:
            found.append(erratum)
    return tuple(dict.fromkeys(found))


def derived(contract: Contract) -> Iterator[Requirement]:
    for name in ACTIONS:
        action = contract.actions[name]
        only = (name,)
        yield Requirement(status_id(name, action.success_code),
                          f"a valid {name} in a state that allows it is answered {action.success_code}",
                          _source(action, errata_about(contract, name, "success-code")), only)
        body = "a body valid against the contract's response schema" if action.has_body else "no body"
        yield Requirement(schema_id(name), f"a successful {name} answer has {body}",
                          _source(action, errata_about(contract, name, "response-schema")), only)
        codes = ", ".join(str(c) for c in action.error_codes)
        yield Requirement(error_codes_id(name), f"every error answer to {name} uses a documented code ({codes})",
                          _source(action, errata_about(contract, name, "error-codes")), only)
        yield Requirement(fuzz_id(name, "positive"),
                          f"generated schema-valid {name} requests get {action.success_code} or a documented "
                          "error code, never 5xx", _source(action), only)
        yield Requirement(fuzz_id(name, "negative"),
                          f"generated schema-invalid {name} requests get a documented 4xx, never 2xx or 5xx",
                          _source(action), only)
        yield Requirement(policy_id(name), f"{name} with non-admin credentials is answered 403 forbidden",
                          "manila/policies/share_server.py: admin only (behaviour §6.1)", only)
        code = unknown_id(name).rsplit("-", 1)[1]
        source = "erratum SSM-E06 (behaviour §2.4)" if code == "400" else "behaviour §2.0 server lookup"
        yield Requirement(unknown_id(name), f"{name} on an unknown share server id is answered {code}", source, only)


@cache
def _listed() -> tuple[Mapping[str, Any], ...]:
    text = resources.files("manila_ssm.suite").joinpath("requirements.yaml").read_text(encoding="utf-8")
    return tuple(yaml.load(text, Loader=FastSafeLoader)["requirements"])


def build(contract: Contract) -> Catalogue:
    """The catalogue for ``contract``: the derived requirements, then the listed ones."""
    requirements: dict[str, Requirement] = {}
    for requirement in derived(contract):
        requirements[requirement.id] = requirement
    for entry in _listed():
        if contract.name not in entry.get("contracts", (contract.name,)):
            continue
        defect = entry.get("defect")
        requirements[entry["id"]] = Requirement(
            id=entry["id"],
            statement=entry["statement"],
            source=entry["source"],
            actions=tuple(entry.get("actions", ACTIONS)),
            defect=Defect(**defect) if defect else None,
        )
    return Catalogue(contract.name, requirements)


def listed_ids() -> frozenset[str]:
    """Ids of the listed (not derived) requirements, for every contract."""
    return frozenset(entry["id"] for entry in _listed())
