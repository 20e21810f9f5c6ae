"""Status-code claims of an errata overlay (OpenAPI Overlay 1.0 with ``x-erratum`` per action).

The linter needs only what an erratum says an action answers: an overlay
action whose target is ``$.paths[...].post['x-ssm'].actions.<action>`` and
whose update sets ``success-code``, or whose target ends in ``['error-codes']``
and whose update is a code. Other actions (schema changes, removals) carry no
status claim and are skipped. PyYAML's node graph gives every claim its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from manila_ssm.apiref import rules
from manila_ssm.errors import Location, SpecError

_TARGET = re.compile(
    r"^\$\.paths\[(?P<paths>[^\]]+)\]\.post\['x-ssm'\]\.actions\.(?P<action>\w+|\*)(?P<errors>\['error-codes'\])?$"
)
_QUOTED = re.compile(r"'([^']+)'")


@dataclass(frozen=True, slots=True)
class Claim:
    """An erratum's word that ``action`` on one of ``paths`` answers ``code``."""

    erratum: str
    title: str
    kind: str  # "success" or "error"
    code: int
    actions: tuple[str, ...]
    paths: tuple[str, ...]
    location: Location


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _codes(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _claims_of(item: dict[str, Any], line: int, display: str) -> list[Claim]:
    match = _TARGET.match(str(item.get("target", "")).strip())
    erratum = item.get("x-erratum")
    if match is None or not isinstance(erratum, dict) or "update" not in item:
        return []
    listed = tuple(str(a) for a in erratum.get("actions") or ())
    actions = listed if match["action"] == "*" else (match["action"],)
    paths = tuple(_QUOTED.findall(match["paths"]))
    update = item["update"]
    if match["errors"]:
        kind, codes = "error", _codes(update)
    elif isinstance(update, dict) and "success-code" in update:
        kind, codes = "success", _codes(update["success-code"])
    else:
        return []
    where = Location(display, line)
    ident, title = str(erratum.get("id", "?")), str(erratum.get("title", ""))
    return [Claim(ident, title, kind, code, actions, paths, where) for code in codes]


def load_claims(path: Path, display: str | None = None) -> tuple[Claim, ...]:
    """The status claims of the overlay at ``path``; unreadable YAML raises ``SpecError``."""
    display = str(path) if display is None else display
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(rules.finding("source-missing-file", Location(display), f"cannot read the errata overlay: {error}")) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"malformed YAML in the errata overlay: {error.problem or error}"
        raise SpecError(rules.finding("yaml-syntax", Location(display, mark.line + 1 if mark else None), message)) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise SpecError(rules.finding("yaml-not-mapping", Location(display, 1), "the errata overlay is not a mapping"))
    nodes = next((v.value for k, v in root.value if k.value == "actions" and isinstance(v, yaml.SequenceNode)), [])
    items = data.get("actions") if isinstance(data.get("actions"), list) else []
    claims: list[Claim] = []
    for node, item in zip(nodes, items):
        if isinstance(item, dict):
            claims.extend(_claims_of(item, _line(node), display))
    return tuple(claims)
