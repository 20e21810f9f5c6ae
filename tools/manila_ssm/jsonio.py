"""The one way generated JSON is written: stable key order, two-space indent, final newline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(path: Path, document: Any) -> bool:
    """Write ``document`` to ``path``; return whether the file changed."""
    text = dumps(document)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
