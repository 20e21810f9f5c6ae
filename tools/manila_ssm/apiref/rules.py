"""The catalogue of finding rules: one id, one default severity, one fix hint each.

Every finding the toolkit emits names a rule defined here, so a rule id means
the same thing in the parser, the linter, the JSON and SARIF reports. Later
stages add their own rules with :func:`register`; ids are kebab-case and unique.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from manila_ssm.errors import Finding, Location, Severity

_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Rule:
    """A kind of defect. ``fatal`` rules make :func:`manila_ssm.apiref.parse` raise."""

    id: str
    severity: Severity
    summary: str
    hint: str
    fatal: bool = False
    stage: str = "lint"
    """Which stage emits the rule: "parse" for this package, "lint" for checks on the model."""

    def finding(self, location: Location, message: str, hint: str | None = None) -> Finding:
        return Finding(self.id, self.severity, location, message, self.hint if hint is None else hint)


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add ``rule`` to the catalogue; ids must be kebab-case and not taken."""
    if not _ID.match(rule.id):
        raise ValueError(f"rule id {rule.id!r} is not kebab-case")
    if rule.id in RULES:
        raise ValueError(f"rule id {rule.id!r} is already registered")
    RULES[rule.id] = rule
    return rule


def rule(rule_id: str) -> Rule:
    """The rule named ``rule_id``; an unknown id is a bug in the caller."""
    return RULES[rule_id]


def finding(rule_id: str, location: Location, message: str, hint: str | None = None) -> Finding:
    """A finding of rule ``rule_id`` with the rule's severity and (unless given) its hint."""
    return RULES[rule_id].finding(location, message, hint)


def is_fatal(item: Finding) -> bool:
    known = RULES.get(item.rule_id)
    return known is not None and known.fatal


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

for _rule in (  # the file reader's rules (``_files.read_text``), tested by tests/robustness
    Rule(
        "source-outside-tree",
        _E,
        "an include, sample or parameters file lies outside the api-ref tree",
        "keep every file inside the tree; an absolute name is read from the tree's root, as Sphinx does",
        fatal=True,
    ),
    Rule(
        "source-not-regular",
        _E,
        "an api-ref file is a folder, device, FIFO or socket",
        "name a regular file",
        fatal=True,
    ),
    Rule(
        "source-too-large",
        _E,
        "an api-ref file is larger than the toolkit reads (8 MiB)",
        "split the file, or name the right one",
        fatal=True,
    ),
    Rule(
        "source-encoding",
        _E,
        "an api-ref file is not UTF-8",
        "save the file as UTF-8",
        fatal=True,
    ),
):
    register(replace(_rule, stage="read"))

for _rule in (  # the parser's rules
    # Files and syntax.
    Rule(
        "source-missing-file",
        _E,
        "an api-ref source, include or parameters file does not exist",
        "check the path; it is resolved relative to the page that names it",
        fatal=True,
    ),
    Rule(
        "page-no-operation",
        _W,
        "a page holds no rest_method (empty, cut short, or not an api-ref page)",
        "add the page's operations, or remove the page from the tree",
    ),
    Rule(
        "yaml-syntax",
        _E,
        "a YAML file cannot be parsed",
        "fix the YAML at the given line (indentation, a missing colon, an unquoted ':')",
        fatal=True,
    ),
    Rule(
        "yaml-duplicate-key",
        _E,
        "a YAML mapping repeats a key",
        "remove or rename one of the two entries; YAML keeps only the last",
    ),
    Rule(
        "yaml-not-mapping",
        _E,
        "a parameters or status file is not a mapping of names to entries",
        "write `name:` at column 0 followed by an indented mapping of fields",
    ),
    Rule(
        "include-recursive",
        _E,
        "a page includes itself, directly or through other pages",
        "remove the include that closes the cycle",
    ),
    Rule(
        "page-not-included",
        _W,
        "a page of the tree is not reached by any include",
        "add `.. include:: PAGE` to index.rst, or delete the page",
    ),
    Rule("rst-warning", _W, "docutils reported a warning", "fix the reStructuredText at the given line"),
    Rule("rst-error", _E, "docutils reported an error", "fix the reStructuredText at the given line"),
    Rule("rst-severe", _E, "docutils reported a severe error", "fix the reStructuredText at the given line"),
    # Directives.
    Rule(
        "directive-unknown",
        _W,
        "a directive neither os-api-ref, Sphinx nor docutils provides (Sphinx warns and leaves it out too)",
        "use one of os-api-ref's directives (rest_method, rest_parameters, rest_status_code, rest_expand_all), "
        "Sphinx's (literalinclude, include, toctree, only, code-block, versionadded, ...) or an admonition",
    ),
    Rule(
        "role-unknown",
        _W,
        "an interpreted text role neither Sphinx nor docutils provides (an extension's, such as extlinks)",
        "nothing to do when a Sphinx extension of the site defines the role; its text is kept as written",
    ),
    Rule(
        "toctree-missing-page",
        _W,
        "a toctree entry names a page that does not exist",
        "fix the entry (a page name without .rst, relative to the page or, with a leading /, to the tree root)",
    ),
    Rule(
        "directive-flattened",
        _E,
        "a directive's content lost its indentation",
        "indent the lines under the directive by 3 spaces and keep a blank line before its content",
    ),
    Rule(
        "directive-invalid",
        _E,
        "a directive's arguments or content cannot be read",
        "see the message; os-api-ref's directive syntax is `.. name:: arguments` plus indented content",
    ),
    Rule(
        "method-invalid-url",
        _W,
        "a rest_method URL contains invisible or space characters",
        "retype the URL; zero-width spaces often come with text copied from a web page",
    ),
    Rule(
        "method-url-relative",
        _W,
        "a rest_method URL does not start with '/'",
        "write the URL from the root, `/v2/...`; the operation is kept with a leading '/' added",
    ),
    Rule(
        "method-outside-section",
        _E,
        "a rest_method is not inside a titled section",
        "put each rest_method first in a section whose title names the operation",
    ),
    # Parameters.
    Rule(
        "param-unknown-ref",
        _E,
        "a rest_parameters entry names a key its parameters file lacks",
        "add the key to the parameters file, or fix the spelling of the reference",
    ),
    Rule(
        "param-list-empty",
        _W,
        "a rest_parameters directive lists no parameters",
        "list the parameters under the directive, indented by 3 spaces as `- name: reference`, "
        "or delete the directive",
    ),
    Rule(
        "param-invalid-entry",
        _E,
        "a rest_parameters entry is not `- name: reference`",
        "write each entry as `- name: reference_in_parameters_yaml`",
    ),
    Rule(
        "param-invalid-in",
        _E,
        "a parameter's `in` is not header, path, query or body",
        "set `in:` to one of header, path, query, body",
    ),
    Rule(
        "param-invalid-field",
        _W,
        "a parameter field is missing or has the wrong type",
        "give every parameter `in`, `type`, `required` (true/false) and `description`",
    ),
    Rule(
        "param-section-order",
        _W,
        "parameters.yaml sections are out of order",
        "keep all header parameters first, then path, query and body ones",
    ),
    Rule(
        "param-order",
        _W,
        "parameters.yaml names are not alphabetical within a section",
        "sort the entries of each section alphabetically (case-insensitive)",
    ),
    Rule(
        "path-param-not-declared",
        _E,
        "a URL template variable is not declared as a path parameter",
        "list it in the request rest_parameters with a reference whose `in` is path",
    ),
    Rule(
        "path-param-unused",
        _W,
        "a path parameter is declared but the URL has no such variable",
        "remove it from rest_parameters or add `{name}` to the rest_method URL",
    ),
    # Status codes.
    Rule(
        "status-invalid",
        _E,
        "a rest_status_code directive or entry cannot be read",
        "write `.. rest_status_code:: success|error status.yaml` and entries `- 404` or `- 404: reason`",
    ),
    Rule(
        "status-unknown-code",
        _W,
        "a status code or reason is not defined in the status file",
        "add the code (with a `default` text) or the reason to status.yaml",
    ),
    # Samples and bodies.
    Rule(
        "sample-missing-file",
        _E,
        "a literalinclude names a file that does not exist",
        "fix the path (relative to the page) or add the sample file",
        fatal=True,
    ),
    Rule(
        "sample-invalid-json",
        _E,
        "a JSON sample cannot be parsed",
        "fix the JSON at the given line and column",
        fatal=True,
    ),
    Rule(
        "sample-role-unknown",
        _W,
        "cannot tell whether a sample is a request or a response",
        "put the literalinclude under a subsection titled 'Request example' or 'Response example'",
    ),
    Rule(
        "sample-undeclared-key",
        _W,
        "a sample key is not declared in the page's rest_parameters",
        "declare the key as a body parameter, or remove it from the sample",
    ),
    Rule(
        "sample-missing-parameter",
        _W,
        "a declared body parameter does not appear in the sample",
        "show the parameter in the sample, or drop it from rest_parameters",
    ),
    Rule(
        "action-unknown",
        _E,
        "an .../action operation has no request sample naming its action",
        "add a request sample whose single top-level key is the action name",
    ),
    Rule(
        "action-ambiguous",
        _E,
        "an .../action request sample has more than one top-level key",
        "an action request body has exactly one top-level key, the action name",
    ),
):
    register(replace(_rule, stage="parse"))
