"""Give the directives of one operation their meaning: parameters, codes, samples, bodies.

Request or response is decided by the innermost subsection title around a
directive: a title containing "response" means response, "request" means
request. ``rest_parameters`` outside such a subsection count as request;
a sample outside one falls back to its file name (``...-request.json``), and
failing that is reported and treated as a response.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any


from manila_ssm.apiref import rules
from manila_ssm.apiref._actions import with_bodies
from manila_ssm.apiref._context import Context
from manila_ssm.apiref._directives import DirectiveData, Line
from manila_ssm.apiref._samples import read_sample
from manila_ssm.apiref._walk import Note, RawOperation, Scoped
from manila_ssm.errors import Location
from manila_ssm.model import Admonition, Operation, Parameter, Sample, StatusCode, VersionNote

_TEMPLATE_VARIABLE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")
_HTTP_METHOD = re.compile(r"^[A-Za-z]+$")
_BALANCED = re.compile(r"^[^{}]*(\{[A-Za-z_][A-Za-z0-9_.-]*\}[^{}]*)*$")
_VERSION_LINE = re.compile(r"^(min_version|max_version)\s*:\s*(\S+)\s*$")


def _role(subsection: str | None, fallback: str = "request") -> str:
    title = (subsection or "").lower()
    if "response" in title:
        return "response"
    if "request" in title:
        return "request"
    return fallback


# `- name: reference` with two plain words: YAML reads them as the strings written, unless a
# word is one of YAML 1.1's booleans or nulls (any letter case is left to YAML, to be safe).
# `- 404`: a status code, an integer.
_SIMPLE_ENTRY = re.compile(r"- ([A-Za-z_][A-Za-z0-9_.-]*): ([A-Za-z_][A-Za-z0-9_.-]*)")
_SIMPLE_CODE = re.compile(r"- ([1-9][0-9]{0,3})")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _simple_list(lines: tuple[Line, ...]) -> list[Any] | None:
    """What YAML reads from ``- name: reference`` and ``- 404`` lines, or ``None`` when some line is anything else.

    The usual ``rest_parameters`` and ``rest_status_code`` content, read without PyYAML's constructor
    (which was a twentieth of a whole-tree build); a test compares both readings.
    """
    parsed: list[Any] = []
    for line in lines:
        code = _SIMPLE_CODE.fullmatch(line.text)
        if code is not None:
            parsed.append(int(code.group(1)))
            continue
        match = _SIMPLE_ENTRY.fullmatch(line.text)
        if match is None:
            return None
        key, value = match.groups()
        if key.lower() in _YAML_WORDS or value.lower() in _YAML_WORDS:
            return None
        parsed.append({key: value})
    return parsed


def _yaml_list(ctx: Context, data: DirectiveData, at: Location) -> list[tuple[Any, Line]]:
    """The directive content as a YAML list, each entry with the line that starts it."""
    parsed = _simple_list(data.lines)
    if parsed is None:
        import yaml  # PyYAML: imported for the first list that is not `- name: reference` or `- 404`

        from manila_ssm.yamlio import FastSafeLoader

        text = "\n".join(line.text for line in data.lines)
        try:
            parsed = yaml.load(text, Loader=FastSafeLoader) if text.strip() else []
        except (yaml.YAMLError, ValueError, RecursionError) as error:  # also 5000-digit integers, 1000-deep lists
            reason = str(error) or type(error).__name__
            ctx.add(
                rules.finding(
                    "directive-invalid", at, f"the content of `{data.name}` is not a YAML list: {reason[:300]}"
                )
            )
            return []
    if not isinstance(parsed, list):
        ctx.add(
            rules.finding(
                "directive-invalid", at, f"the content of `{data.name}` is not a YAML list of entries"
            )
        )
        return []
    starts = [line for line in data.lines if line.text.lstrip().startswith("-")] or list(data.lines)
    return [
        (entry, starts[min(i, len(starts) - 1)] if starts else Line("", data.source, data.line))
        for i, entry in enumerate(parsed)
    ]


class _Builder:
    def __init__(self, ctx: Context, raw: RawOperation) -> None:
        self.ctx = ctx
        self.raw = raw
        self.at = ctx.locate(raw.method.source, raw.method.line)
        self.parameters_unknown = False  # a parameters file failed: do not guess what it declared
        self.fields: dict[str, Any] = {
            key: []
            for key in (
                "version_notes",
                "admonitions",
                "success_codes",
                "error_codes",
                "request_parameters",
                "response_parameters",
                "request_samples",
                "response_samples",
            )
        }

    def build(self) -> Operation:
        method, path, versions = self._method()
        for item in self.raw.items:
            self._item(item)
        fields = self.fields
        notes = fields["version_notes"]
        added = next((n.version for n in notes if n.kind == "versionadded"), None)
        operation = Operation(
            title=self.raw.title,
            method=method,
            path=path,
            section=self.raw.tag,
            description=self.raw.description,
            location=self.at,
            min_version=versions.get("min_version", added),
            max_version=versions.get("max_version"),
            **{key: tuple(value) for key, value in fields.items()},
        )
        if not self.parameters_unknown:
            self._check_path_parameters(operation)
        return with_bodies(self.ctx, operation)

    def _method(self) -> tuple[str, str, dict[str, str]]:
        data = self.raw.method
        lines = [line.text.strip() for line in data.lines]
        first = lines[0] if lines else ""
        method, _, path = first.partition(" ")
        if not method or not path.strip():
            self.ctx.add(
                rules.finding("directive-invalid", self.at, f"rest_method needs `METHOD URL`, got `{first}`")
            )
        elif not _HTTP_METHOD.match(method):
            self.ctx.add(rules.finding("directive-invalid", self.at, f"`{method!r}` is not an HTTP method"))
        versions = {m.group(1): m.group(2) for m in (_VERSION_LINE.match(t) for t in lines[1:]) if m}
        return method.upper(), self._clean_path(path.strip()), versions

    def _clean_path(self, path: str) -> str:
        """The URL's path: without invisible characters (copied from web pages) or a query template."""
        visible = "".join(c for c in path if unicodedata.category(c) != "Cf" and not c.isspace())
        if visible != path:
            self.ctx.add(
                rules.finding(
                    "method-invalid-url",
                    self.at,
                    f"the URL `{visible}` contains invisible or space characters ({path!r})",
                )
            )
        if not _BALANCED.match(visible):
            self.ctx.add(
                rules.finding("method-invalid-url", self.at, f"the URL `{visible}` has unbalanced braces or a bad parameter name; "
                              "write each path parameter as `{name}`")
            )
        # os-api-ref pages may show query parameters in the URL (`/pools?pool_name={pool_name}`);
        # those are declared `in: query`, so the operation's path is the part before `?`.
        path = visible.split("?", 1)[0]
        if path and not path.startswith("/"):
            self.ctx.add(
                rules.finding("method-url-relative", self.at, f"the URL `{path}` does not start with '/'; read as `/{path}`")
            )
            path = "/" + path
        return path

    def _item(self, item: Scoped) -> None:
        data = item.item
        if isinstance(data, Note):
            where = self.ctx.locate(data.source or self.raw.method.source, data.line)
            self.fields["admonitions"].append(Admonition(data.tagname, data.text, where))
            return
        at = self.ctx.locate(data.source, data.line)
        handler = getattr(self, "_" + data.name, None)
        if handler is not None:
            handler(data, at, item.subsection)
        elif data.name in ("versionadded", "versionchanged", "deprecated", "versionremoved"):
            text = " ".join([*data.arguments[1:], *(line.text.strip() for line in data.lines)]).strip()
            note = VersionNote(data.name, data.arguments[0], text, at)  # type: ignore[arg-type]
            self.fields["version_notes"].append(note)

    def _rest_parameters(self, data: DirectiveData, at: Location, subsection: str | None) -> None:
        path = self.ctx.beside(data.source, data.arguments[0])
        table = self.ctx.parameters(path, at)
        target = self.fields[f"{_role(subsection)}_parameters"]
        self.parameters_unknown |= table is None
        if not data.lines:
            # os_api_ref/__init__.py: a rest_parameters without content gets "No parameters defined".
            # A flattened directive is not empty here: its content was recovered (see _flattened).
            self.ctx.add(rules.finding("param-list-empty", at, f"`{data.name}` lists no parameters"))
            return
        for entry, line in _yaml_list(self.ctx, data, at):
            used_at = self.ctx.locate(line.source, line.line)
            if not isinstance(entry, dict) or len(entry) != 1:
                self.ctx.add(
                    rules.finding("param-invalid-entry", used_at, f"`{entry}` is not `name: reference`")
                )
                continue
            ((name, ref),) = entry.items()
            if table is None:
                continue
            definition = table.get(str(ref))
            if definition is None and str(ref) in table.rejected:
                continue  # the parameters file's own finding says what is wrong with the entry
            if definition is None:
                self.ctx.add(
                    rules.finding(
                        "param-unknown-ref",
                        used_at,
                        f"`{ref}` (for `{name}`) is not defined in `{self.ctx.display(path)}`",
                    )
                )
                continue
            target.append(Parameter(str(name), definition, used_at))

    def _rest_status_code(self, data: DirectiveData, at: Location, subsection: str | None) -> None:
        kind, name = data.arguments[0], data.arguments[1]
        if kind not in ("success", "error"):
            self.ctx.add(rules.finding("status-invalid", at, f"`{kind}` is not `success` or `error`"))
            return
        table = self.ctx.statuses(self.ctx.beside(data.source, name), at)
        for entry, line in _yaml_list(self.ctx, data, at):
            here = self.ctx.locate(line.source, line.line)
            code, reason = (
                next(iter(entry.items())) if isinstance(entry, dict) and len(entry) == 1 else (entry, None)
            )
            if not isinstance(code, int) or isinstance(code, bool):
                self.ctx.add(
                    rules.finding("status-invalid", here, f"`{entry}` is not `- CODE` or `- CODE: reason`")
                )
                continue
            text = self._status_text(table, code, reason, here)
            self.fields[f"{kind}_codes"].append(StatusCode(code, kind, text, here))  # type: ignore[arg-type]

    def _status_text(self, table: Any, code: int, reason: Any, here: Location) -> str:
        if table is None:
            return "" if reason is None else str(reason)
        known = table.get(code)
        if known is None:
            self.ctx.add(
                rules.finding("status-unknown-code", here, f"status {code} is not defined in the status file")
            )
            return "" if reason is None else str(reason)
        if reason is None:
            return known.reasons.get("default", "")
        # os-api-ref reads the text as a reason key of status.yaml; otherwise it is the text itself.
        return known.reasons.get(str(reason), str(reason))

    def _literalinclude(self, data: DirectiveData, at: Location, subsection: str | None) -> None:
        path = self.ctx.beside(data.source, data.arguments[0])
        display = self.ctx.display(path)
        role = _role(subsection, fallback=_role(path.name, fallback=""))
        if not role:
            self.ctx.add(
                rules.finding(
                    "sample-role-unknown", at, f"cannot tell whether `{display}` is a request or a response"
                )
            )
            role = "response"
        language = data.options.get("language")
        body, problem = read_sample(path, display, language, at, self.ctx.bound or self.ctx.root)
        if problem is not None:
            self.ctx.add(problem)
            return
        self.fields[f"{role}_samples"].append(Sample(display, role, body, at, language))  # type: ignore[arg-type]

    def _rest_expand_all(self, data: DirectiveData, at: Location, subsection: str | None) -> None:
        """A rendering control with no meaning for the model."""

    def _check_path_parameters(self, operation: Operation) -> None:
        variables = _TEMPLATE_VARIABLE.findall(operation.path)
        declared: dict[str, Parameter] = {}
        for parameter in operation.request_parameters:  # a name listed both in the path and the body is a path variable
            if parameter.name not in declared or parameter.definition.in_ == "path":
                declared[parameter.name] = parameter
        for variable in variables:
            parameter = declared.get(variable)
            if parameter is None:
                message = f"URL variable `{{{variable}}}` has no parameter in the request rest_parameters"
            elif parameter.definition.in_ != "path":
                message = (
                    f"URL variable `{{{variable}}}` is declared with `in: {parameter.definition.in_}` "
                    f"(reference `{parameter.definition.key}`), not as a path parameter"
                )
            else:
                continue
            self.ctx.add(rules.finding("path-param-not-declared", self.at, message))
        for parameter in operation.request_parameters:
            if parameter.definition.in_ == "path" and parameter.name not in variables:
                self.ctx.add(
                    rules.finding(
                        "path-param-unused",
                        parameter.used_at,
                        f"path parameter `{parameter.name}` is not a variable of `{operation.path}`",
                    )
                )


def build_operation(ctx: Context, raw: RawOperation) -> Operation:
    return _Builder(ctx, raw).build()


__all__ = ["build_operation"]
