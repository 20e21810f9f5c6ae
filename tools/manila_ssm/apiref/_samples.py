"""Samples pulled in by ``literalinclude``: JSON parsed, with errors at the sample's own line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from manila_ssm.apiref import rules
from manila_ssm.errors import Finding, Location

_JSON_LANGUAGES = {"json", "javascript", "js", "json5"}


def is_json(path: Path, language: str | None) -> bool:
    return path.suffix.lower() == ".json" or (language or "").strip().lower() in _JSON_LANGUAGES


def read_sample(path: Path, display: str, language: str | None, at: Location) -> tuple[Any, Finding | None]:
    """The sample's content (parsed JSON, or text for other languages), or a fatal finding.

    ``at`` is the literalinclude's location, used when the file is missing.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM from an editor is not content
    except FileNotFoundError:
        return None, rules.finding("sample-missing-file", at, f"the sample `{display}` does not exist")
    except (OSError, UnicodeDecodeError) as error:
        return None, rules.finding("sample-missing-file", at, f"cannot read the sample `{display}`: {error}")
    if not is_json(path, language):
        return text, None
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, rules.finding(
            "sample-invalid-json",
            Location(display, error.lineno),
            f"invalid JSON in sample `{display}` at line {error.lineno} column {error.colno}: {error.msg} "
            f"(included at {at})",
        )
