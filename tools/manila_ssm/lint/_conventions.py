"""os-api-ref conventions that explain a parser finding away, so a lint report can gate CI.

The parser reports what it sees literally; some of it is how api-ref pages are
written on purpose, and Sphinx with os-api-ref renders it without a warning:

- the ``{project_id}`` segment a page documents as optional (Manila since 2.60)
  listed on URLs that leave it out;
- request samples that show a subset of the optional fields (partial updates,
  creates with defaults);
- templated keys such as ``snapshots_{volume_type}`` or ``<key>``, which stand
  for a family of keys;
- one response sample per microversion: a field missing from the sample of an
  older microversion is shown by the sample of a newer one;
- the wrapper key of a body (``share``, ``share_servers``) left
  undeclared while its fields are declared;
- Sphinx's own directives (``toctree``, ``only``, tables, ``contents``).

:func:`explain` says which convention explains a finding (None: a real finding).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from manila_ssm.errors import Finding, Location
from manila_ssm.model import ApiRef, Operation, Parameter, Sample

# Sphinx and docutils directives an os-api-ref site may use and that the model has no use for.
SPHINX_DIRECTIVES = frozenset({
    "toctree", "only", "contents", "glossary", "table", "csv-table", "list-table", "code-block",
    "code", "sourcecode", "highlight", "index", "rubric", "centered", "hlist", "sidebar", "topic",
    "seealso", "image", "figure", "raw", "container", "literalinclude", "versionadded",
})
_UNKNOWN_DIRECTIVE = re.compile(r"unknown directive `([^`]+)`")
_UNKNOWN_ROLE = re.compile(r'Unknown interpreted text role "([^"]+)"')
_PATH_PARAM = re.compile(r"path parameter `([^`]+)` is not a variable of `([^`]+)`")
_MISSING = re.compile(r"body parameter `([^`]+)` \(declared at ([^)]+)\) is not shown in sample `([^`]+)`")
_UNDECLARED = re.compile(r"sample `([^`]+)` has key `([^`]+)` that the page does not declare")
_TEMPLATE = re.compile(r"\{[^{}]+\}|<[^<>]+>|%\([^)]+\)s")
_RAW_DISABLED = '"raw" directive disabled'
_SCHEMA_KEYWORDS = frozenset({"properties", "additionalProperties", "definitions", "$defs", "$schema", "items"})
_SUBSTITUTION = re.compile(r'Substitution definition "[^"]*" empty or invalid')
_ABSENT_TEXT = re.compile(
    r"not be present|only (be )?present|not present|is omitted|may be (absent|omitted)|only (be )?(included|returned)|"
    r"not (be )?(included|returned)", re.IGNORECASE)
_TOCTREE = re.compile(r"^(\s*)\.\. toctree::")
_STANDS_FOR = re.compile(r"``[\w.<>{}-]+`` (?:stands for|is a placeholder)", re.IGNORECASE)
_OPTIONAL_TEXT = re.compile(r"\boptional\b", re.IGNORECASE)


def template_pattern(name: str) -> re.Pattern[str] | None:
    """``snapshots_{volume_type}`` -> a pattern matching ``snapshots_ceph``; None for a plain name."""
    if not _TEMPLATE.search(name):
        return None
    parts = _TEMPLATE.split(name)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


def is_json_schema(body: object) -> bool:
    """Whether a sample is itself a JSON Schema (Glance's ``/v2/schemas/...`` answers)."""
    if not isinstance(body, dict):
        return False
    if "$schema" in body or len(_SCHEMA_KEYWORDS & body.keys()) >= 2:
        return True
    properties = body.get("properties")
    return isinstance(properties, dict) and bool(properties) and all(
        isinstance(v, dict) and bool({"type", "$ref", "enum", "items", "anyOf", "oneOf"} & v.keys())
        for v in properties.values())


def is_json_patch(body: object) -> bool:
    """Whether a sample is a JSON Patch document: a list of ``{op, path, ...}`` objects."""
    return isinstance(body, list) and bool(body) and all(
        isinstance(item, dict) and "op" in item and "path" in item for item in body)


def toctree_pages(root: Path) -> frozenset[str]:
    """Root-relative pages named by a ``toctree`` of any ``.rst`` page of the tree."""
    found: set[str] = set()
    for page in root.rglob("*.rst"):
        lines = page.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines):
            match = _TOCTREE.match(line)
            if match is None:
                continue
            for entry in lines[number + 1:]:
                if entry.strip() and not entry.startswith(match.group(1) + " "):
                    break
                text = entry.strip()
                if not text or text.startswith(":"):
                    continue
                target = text.split("<")[-1].rstrip(">").strip()
                base = root if target.startswith("/") else page.parent
                resolved = (base / target.lstrip("/")).with_suffix(".rst")
                try:
                    found.add(resolved.resolve().relative_to(root.resolve()).as_posix())
                except ValueError:
                    continue
    return frozenset(found)


@dataclass(slots=True)
class _Index:
    """Where each parameter use and each sample of the model is, to go from a finding back to the model."""

    uses: dict[Location, Parameter] = field(default_factory=dict)
    samples: dict[tuple[Location, str], tuple[Operation, Sample]] = field(default_factory=dict)

    @classmethod
    def of(cls, api: ApiRef) -> _Index:
        index = cls()
        for op in api.operations:
            for parameter in op.request_parameters + op.response_parameters:
                index.uses.setdefault(parameter.used_at, parameter)
            for sample in op.request_samples + op.response_samples:
                index.samples.setdefault((sample.location, sample.path), (op, sample))
        return index

    def sample(self, at: Location, name: str) -> tuple[Operation, Sample] | None:
        found = self.samples.get((at, name))
        if found is None:  # the finding may name the including page's line, not the sample's
            found = next((v for (where, path), v in self.samples.items() if path == name and where.file == at.file), None)
        return found


def _keys(body: object, prefix: str = "") -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            yield f"{prefix}{key}"
            yield from _keys(value, f"{prefix}{key}.")
    elif isinstance(body, list):
        for element in body:
            yield from _keys(element, prefix)


def _objects(values: list[object]) -> Iterator[dict[str, object]]:
    for value in values:
        if isinstance(value, dict):
            yield value
        elif isinstance(value, list):
            yield from _objects(value)


def _children(names: set[str], prefix: str) -> set[str]:
    """The declared names one level under ``prefix`` ("" for the top level)."""
    return {n[len(prefix) + 1:] if prefix else n for n in names
            if (n.startswith(prefix + ".") if prefix else True) and "." not in (n[len(prefix) + 1:] if prefix else n)}


def _is_placeholder(names: set[str], path: str, free_values: list[object]) -> bool:
    """Whether the declared segment ``path`` names a key by its value (Placement's ``usages.consumer_type``).

    Shown by shape: an undeclared key at its level holds an object with one of the
    fields declared under ``path``; or, for a leaf written in capitals
    (``RESOURCE_CLASS``), the level has undeclared keys.
    """
    below = _children(names, path)
    if below:
        return any(below & obj.keys() for obj in _objects(free_values))
    leaf = path.rsplit(".", 1)[-1]
    return leaf.isupper() and bool(free_values)


def _empty_containers(body: object) -> set[str]:
    """Keys whose value in the sample is an empty list or object."""
    found: set[str] = set()
    for obj in _objects([*_all_values(body)]):
        found.update(k for k, v in obj.items() if v == [] or v == {})
    return found


def _all_values(body: object) -> Iterator[object]:
    yield body
    if isinstance(body, dict):
        for value in body.values():
            yield from _all_values(value)
    elif isinstance(body, list):
        for value in body:
            yield from _all_values(value)


def _sample_version(path: str) -> tuple[int, int] | None:
    """The microversion a sample's path names (Nova's ``api_samples/.../v2.62/...``), if any."""
    match = re.search(r"/v(\d+)\.(\d+)/", path)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_tuple(text: str) -> tuple[int, int]:
    major, _, minor = str(text).partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def _value_at(body: object, key: str) -> list[object]:
    values: list[object] = [body]
    for segment in key.split("."):
        values = [obj[segment] for obj in _objects(values) if segment in obj]
    return values


def shown_through_placeholders(names: set[str], body: object, name: str) -> bool:
    """Whether the sample shows ``name`` once declared segments that stand for keys by value are followed."""
    segments = name.split(".")
    values: list[object] = [body]
    through = False
    for i, segment in enumerate(segments):
        prefix, path = ".".join(segments[:i]), ".".join(segments[: i + 1])
        level = _children(names, prefix)
        found: list[object] = []
        free: list[object] = []
        for obj in _objects(values):
            if segment in obj:
                found.append(obj[segment])
            free.extend(v for k, v in obj.items() if k not in level)
        if found:
            values = found
        elif _is_placeholder(names, path, free):
            values, through = free, True
        else:
            return False
    return through


def _declared(op: Operation, role: str) -> tuple[Parameter, ...]:
    listed = op.request_parameters if role == "request" else op.response_parameters
    return tuple(p for p in listed if p.definition.in_ == "body")


class Conventions:
    """Explains the findings of one parsed tree (see the module docstring)."""

    def __init__(self, api: ApiRef, root: Path | None = None) -> None:
        self._index = _Index.of(api)
        self._root = root
        # pages whose sections say something: an api-ref keeps its errors, request ids and URL
        # conventions on such pages of prose, with no rest_method (Nova, Placement, Manila do)
        self._prose_pages = frozenset(s.location.file for s in api.sections if s.description.strip())
        self._toctree = toctree_pages(root) if root is not None else frozenset()

    def _line(self, where: Location) -> str:
        if self._root is None or not where.line:
            return ""
        try:
            lines = (self._root / where.file).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return lines[where.line - 1] if where.line <= len(lines) else ""

    def explain(self, finding: Finding) -> str | None:
        rule = finding.rule_id
        if rule == "directive-unknown":
            return self._directive(finding)
        if rule == "rst-error":
            role = _UNKNOWN_ROLE.search(finding.message)
            return f"Sphinx role `{role.group(1)}` from the site's extensions" if role else None
        if rule == "rst-warning" and (_RAW_DISABLED in finding.message or (
                _SUBSTITUTION.search(finding.message) and "raw::" in self._line(finding.location))):
            return "the `raw` directive is disabled here for safety; Sphinx renders it"
        if rule == "sample-invalid-json" and re.search(r"invalid JSON in sample `[^`]+\.(txt|text|ini|conf|xml)`", finding.message):
            return "the sample is not JSON by its own name (a form-encoded or text body shown as written)"
        if rule == "role-unknown":
            return self._site_role(finding)
        if rule == "page-not-included" and finding.location.file in self._toctree:
            return "reached by a Sphinx toctree"
        if rule == "page-no-operation" and finding.location.file in self._prose_pages:
            return "a page of prose (errors, request ids, URL conventions...): os-api-ref sites keep such pages"
        if rule == "path-param-unused":
            return self._optional_segment(finding)
        if rule == "sample-missing-parameter":
            return self._missing(finding)
        if rule == "sample-undeclared-key":
            return self._undeclared(finding)
        return None

    def _site_role(self, finding: Finding) -> str | None:
        """A role the site's ``conf.py`` defines (``extlinks``): Sphinx renders it; conf.py is read, never run."""
        match = re.search(r"unknown role `:([^:`]+):`", finding.message)
        if match is None or self._root is None:
            return None
        for conf in (self._root / "conf.py", self._root.parent / "conf.py"):
            try:
                text = conf.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if re.search(r"extlinks\b", text) and re.search(rf"['\"]{re.escape(match.group(1))}['\"]\s*:", text):
                return f"role `{match.group(1)}` is defined by the site's extlinks (conf.py)"
            if match.group(1).endswith("-doc") and "openstackdocstheme" in text:
                return f"openstackdocstheme (loaded in conf.py) provides the `<project>-doc` link role `{match.group(1)}`"
        return None

    def _directive(self, finding: Finding) -> str | None:
        match = _UNKNOWN_DIRECTIVE.search(finding.message)
        if match and match.group(1) in SPHINX_DIRECTIVES:
            return f"`{match.group(1)}` is a Sphinx directive; Sphinx renders it"
        return None

    def _optional_segment(self, finding: Finding) -> str | None:
        match = _PATH_PARAM.search(finding.message)
        parameter = self._index.uses.get(finding.location)
        if match is None or parameter is None:
            return None
        definition = parameter.definition
        if not definition.required or _OPTIONAL_TEXT.search(definition.description or ""):
            return f"`{{{match.group(1)}}}` is documented as an optional path segment"
        return None

    def _missing(self, finding: Finding) -> str | None:
        match = _MISSING.search(finding.message)
        if match is None:
            return None
        name, sample_name = match.group(1), match.group(3)
        found = self._index.sample(finding.location, sample_name)
        if template_pattern(name) is not None:
            return f"`{name}` is a templated key"
        if found is None:
            return None
        op, sample = found
        parameter = next((p for p in _declared(op, sample.role) if p.name == name), None)
        if sample.role == "request" and parameter is not None and not parameter.definition.required:
            return "an optional request field; request samples show a subset"
        if sample.role == "response" and parameter is not None and (
                not parameter.definition.required or _ABSENT_TEXT.search(parameter.definition.description or "")):
            return "a response field documented as optional (may be absent)"
        if is_json_schema(sample.body):
            return "the sample is a JSON Schema document, not a body of fields"
        if parameter is not None and parameter.definition.max_version:
            return f"the field ends at microversion {parameter.definition.max_version}; the sample is of a later one"
        if name in {k.rsplit(".", 1)[-1] for k in _keys(sample.body)}:
            return "the sample shows the key; it is listed twice (see param-listed-twice)"
        declared = _declared(op, sample.role)
        container = next((p for p in declared if "." in name and p.name == name.rsplit(".", 1)[0]), None)
        if container is not None and not any(k == container.name or k.endswith("." + container.name) for k in _keys(sample.body)) \
                and (not container.definition.required or _ABSENT_TEXT.search(container.definition.description or "")):
            return f"its container `{container.name}` is optional and absent from this sample"
        empty = _empty_containers(sample.body)
        if "." in name and name.rsplit(".", 1)[0].rsplit(".", 1)[-1] in empty:
            return "a field of the elements of a list the sample shows empty"
        body = sample.body
        if "." not in name and isinstance(body, dict) and len(body) == 1 and next(iter(body.values())) == [] \
                and next(iter(body)) in {p.name for p in declared}:
            return "the whole body is an empty list; its elements' fields cannot be shown"
        if name in {"key", "value"} and any(set(obj) - {p.name for p in declared} for obj in _objects([*_all_values(sample.body)])):
            return f"`{name}` stands for each entry of a map (its keys are named by value)"
        early = _sample_version(sample.path)
        if parameter is not None and early is not None and parameter.definition.min_version and \
                early < _version_tuple(parameter.definition.min_version):
            return f"the field starts at microversion {parameter.definition.min_version}; the sample is of an earlier one"
        if "." in name and any(k == name or k.endswith("." + name) for k in _keys(sample.body)):
            return f"the sample shows `{name}` at that dotted path (under the body's wrapper)"
        if parameter is not None and _STANDS_FOR.search(parameter.definition.description or ""):
            return "the field's name stands for a value (its description says so); the sample uses a real one"
        if shown_through_placeholders({p.name for p in _declared(op, sample.role)}, sample.body, name):
            return "shown under keys that a declared segment stands for (a key named by its value)"
        others = op.request_samples if sample.role == "request" else op.response_samples
        if any(name in {k.rsplit(".", 1)[-1] for k in _keys(s.body)} for s in others if s is not sample):
            return "shown by another sample of the operation (one sample per microversion)"
        return None

    def _undeclared(self, finding: Finding) -> str | None:
        match = _UNDECLARED.search(finding.message)
        if match is None:
            return None
        sample_name, key = match.group(1), match.group(2)
        found = self._index.sample(finding.location, sample_name)
        if found is None:
            return None
        op, sample = found
        if is_json_schema(sample.body):
            return "the sample is a JSON Schema document; its keys are schema keywords"
        if is_json_patch(sample.body):
            return "the sample is a JSON Patch (RFC 6902); `op`, `path`, `value` are the patch format's"
        leaf = key.rsplit(".", 1)[-1]
        for parameter in _declared(op, sample.role):
            pattern = template_pattern(parameter.name)
            if pattern is not None and pattern.match(leaf):
                return f"matches the templated key `{parameter.name}`"
        names = {p.name for p in _declared(op, sample.role)}
        if "." in key and key.rsplit(".", 1)[0].rsplit(".", 1)[-1] in names and any(
                _STANDS_FOR.search(p.definition.description or "") for p in _declared(op, sample.role)):
            return "a key named by its value: a declared field's description says its name stands for a value"
        if "key" in names and "value" in names:
            return "a map entry: the page declares its `key` and `value` placeholders"
        if any("." in n and (key == n or key.endswith("." + n)) for n in names):
            return "declared by its dotted name (relative to the body's wrapper)"
        if "." in key and leaf in names and not any("." in n for n in names):
            return f"`{leaf}` is declared in the page's flat parameter list (Keystone's style: nesting left to the sample)"
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        value = _value_at(sample.body, key)
        for sibling in _children(names, parent):
            if _is_placeholder(names, f"{parent}.{sibling}" if parent else sibling, value):
                return f"a key named by its value: the declared `{sibling}` stands for it"
        body = sample.body
        if "." not in key and isinstance(body, dict) and isinstance(body.get(key), (dict, list)):
            names = {p.name for p in _declared(op, sample.role)}
            if names & {k.rsplit(".", 1)[-1] for k in _keys(body[key])}:
                return "a wrapper key of the body; its fields are declared"
        return None
