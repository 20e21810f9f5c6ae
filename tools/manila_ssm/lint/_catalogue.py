"""The rules only the linter checks, added to the parser's catalogue.

They live in :data:`manila_ssm.apiref.rules.RULES` beside the parser's own
rules, so a rule id means one thing in every report; this module only adds
to the catalogue (importing it twice is harmless, the registration runs once).
"""

from __future__ import annotations

from manila_ssm.apiref.rules import RULES, Rule, register
from manila_ssm.errors import Severity

_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

LINT_RULES: tuple[Rule, ...] = (
    Rule("sample-type-mismatch", _E, "a sample value does not have the parameter's declared type",
         "make the sample show the declared type (a boolean is true/false, not \"True\"), "
         "or fix the parameter's `type`"),
    Rule("sample-schema-mismatch", _W, "a sample does not validate against the JSON Schema built from the page",
         "make the sample agree with the declared parameters and their format, or fix the declaration"),
    Rule("sample-duplicate-key", _E, "a JSON sample repeats a key in one object",
         "remove one of the two keys; JSON readers keep only the last"),
    Rule("sample-status-contradicted", _E, "a sample shows a status or a body the rest_status_code lists rule out",
         "make the sample agree with the success codes, or fix the rest_status_code list"),
    Rule("action-wrapper-undeclared", _W, "an action's wrapper key appears only in the request sample",
         "declare the action key as a required body parameter of type object"),
    Rule("status-contradicted-by-erratum", _E, "an erratum says the action answers a success code the page does not list",
         "list the code the service really answers in the success rest_status_code, or revisit the erratum"),
    Rule("status-missing-per-erratum", _W, "an erratum says the action answers an error code the page does not list",
         "add the code to the error rest_status_code list"),
    Rule("version-added-mismatch", _E, "versionadded disagrees with the operation's min_version or another versionadded",
         "keep one microversion: the `versionadded` note and `min_version:` of the rest_method must agree"),
    Rule("param-version-before-operation", _I,
         "a parameter's min_version is older than the operation's versionadded",
         "raise the parameter's min_version to the operation's, or use an operation-specific parameter entry"),
    Rule("param-unused", _W, "a parameters.yaml entry no page uses",
         "delete the entry, or reference it from the rest_parameters list that should show it"),
    Rule("param-file-empty", _W, "a parameters file defines nothing (os-api-ref: parameters file is empty)",
         "add the parameter definitions, or point rest_parameters at the file that has them"),
    Rule("param-listed-twice", _W, "a rest_parameters list names the same parameter twice",
         "keep one of the two entries"),
)

for _rule in LINT_RULES:
    if _rule.id not in RULES:
        register(_rule)
