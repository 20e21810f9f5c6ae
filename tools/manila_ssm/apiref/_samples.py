"""Samples pulled in by ``literalinclude``: JSON parsed, with errors at the sample's own line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from manila_ssm.apiref import rules
from manila_ssm.apiref._files import UnreadableFile, read_text
from manila_ssm.errors import Finding, Location

_JSON_LANGUAGES = {"json", "javascript", "js", "json5"}


def is_json(path: Path, language: str | None) -> bool:
    return path.suffix.lower() == ".json" or (language or "").strip().lower() in _JSON_LANGUAGES


MAX_DEPTH = 64
"""Deeper JSON is refused: later stages copy and walk samples recursively (upstream's deepest is 6)."""


def read_sample(
    path: Path, display: str, language: str | None, at: Location, root: Path | None = None
) -> tuple[Any, Finding | None]:
    """The sample's content (parsed JSON, or text for other languages), or a fatal finding.

    ``at`` is the literalinclude's location, used when the file is missing;
    ``root`` confines the file to the tree.
    """
    try:
        text = read_text(path, root)
    except UnreadableFile as error:
        if error.rule == "source-missing-file" and not path.exists():
            return None, rules.finding("sample-missing-file", at, f"the sample `{display}` does not exist")
        return None, rules.finding(error.rule, at, f"cannot read the sample `{display}`: {error.reason}")
    if not is_json(path, language):
        return text, None
    try:
        body = json.loads(text)
    except RecursionError:
        return None, _unusable(display, at, f"nested deeper than {MAX_DEPTH} levels")
    except ValueError as error:
        if not isinstance(error, json.JSONDecodeError):  # an integer of more than 4300 digits
            return None, _unusable(display, at, str(error).split(";")[0])
        return None, rules.finding(
            "sample-invalid-json",
            Location(display, error.lineno),
            f"invalid JSON in sample `{display}` at line {error.lineno} column {error.colno}: {error.msg} "
            f"(included at {at})",
        )
    problem = _unholdable(body)
    return (None, _unusable(display, at, problem)) if problem else (body, None)


def _unusable(display: str, at: Location, why: str) -> Finding:
    return rules.finding("sample-invalid-json", Location(display), f"sample `{display}` cannot be used: {why} (included at {at})")


def _unholdable(body: Any) -> str | None:
    """Why valid JSON cannot go into a UTF-8 OpenAPI document (too deep, a lone surrogate), if it cannot."""
    todo = [(body, 1)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            todo.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            todo.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"the string {value[:40]!r} holds an unpaired surrogate escape, which UTF-8 cannot encode"
    return None

