"""Samples against the JSON Schemas the builder makes from the page (issue 6: every sample validated).

The other sample checks compare a sample with the parameter list key by key
(missing, undeclared and mistyped keys: ``sample-missing-parameter``,
``sample-undeclared-key``, ``sample-type-mismatch``, which deliberately lets
``null`` stand for "not set"). This one validates each example against the
schema ``spec build`` publishes for it and reports what those rules cannot
see: patterns, enums, ``oneOf`` choices and bounds from the build options.
Findings point at the ``literalinclude`` that shows the sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from manila_ssm.builder.detect import options_for
from manila_ssm.builder.openapi import build_openapi
from manila_ssm.builder.validate import examples_of
from manila_ssm.errors import Location
from manila_ssm.lint._registry import Hit, Subject, check

_DOCUMENT = "urn:manila-ssm:lint:openapi"
# Reported key by key by the sample rules above, with a better message.
_LEFT_TO_OTHER_RULES = frozenset({"required", "type", "additionalProperties"})


@check("sample-schema-mismatch")
def samples_match_their_schemas(subject: Subject) -> Iterator[Hit]:
    shown_at: dict[str, Location] = {}
    for operation in subject.api.operations:
        for sample in (*operation.request_samples, *operation.response_samples):
            shown_at.setdefault(sample.path, sample.location)
    document = build_openapi(subject.api, options_for(subject.root)).document
    registry = Registry().with_resource(_DOCUMENT, Resource(contents=document, specification=DRAFT202012))
    for _, _, example, schema_ref in examples_of(document):
        sample = str(example.get("summary", ""))
        if sample not in shown_at:
            continue
        ref = _DOCUMENT + schema_ref[schema_ref.index("#"):]
        validator = Draft202012Validator({"$ref": ref}, registry=registry)
        for error in validator.iter_errors(example.get("value")):
            if error.validator in _LEFT_TO_OTHER_RULES:
                continue
            # A oneOf/anyOf failure says more through its closest branch than through the whole value.
            closest = best_match(error.context) if error.context else error
            if _only_nulls(error):
                continue  # null stands for "not set" (os-api-ref has no `nullable`), as in sample-type-mismatch
            at = "/" + "/".join(str(part) for part in error.absolute_path)
            detail = closest.message
            yield Hit(shown_at[sample], f"{sample} at {at} fails the schema built for it ({error.validator}): "
                                        f"{_short(detail)}")


def _only_nulls(error: Any) -> bool:
    """Whether the failure is a null where a value was declared (in some oneOf/anyOf branch, nothing else)."""
    if not error.context:
        return error.validator == "type" and error.instance is None
    branches: dict[object, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    return any(all(_only_nulls(sub) for sub in subs) for subs in branches.values())


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
