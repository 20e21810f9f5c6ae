"""SARIF logs checked twice: against the OASIS SARIF 2.1.0 schema, and against our stricter subset.

``sarif-schema-2.1.0.json`` is the standard's own JSON Schema, vendored
unchanged (OASIS SARIF TC, github.com/oasis-tcs/sarif-spec,
``sarif-2.1/schema/sarif-schema-2.1.0.json`` at a560296, the schema of
SARIF 2.1.0 Errata 01) so that the tests run offline. No package on the
index ships it. ``sarif-2.1.0-subset.schema.json`` is ours: it refuses
unknown properties in the parts we emit, which the official schema allows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).parent
OFFICIAL = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SUBSET = json.loads((HERE / "sarif-2.1.0-subset.schema.json").read_text(encoding="utf-8"))


def validate_sarif(log: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``log`` is valid SARIF 2.1.0 and within our subset."""
    jsonschema.Draft4Validator(OFFICIAL, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(log)
    jsonschema.Draft202012Validator(SUBSET, format_checker=jsonschema.FormatChecker()).validate(log)
