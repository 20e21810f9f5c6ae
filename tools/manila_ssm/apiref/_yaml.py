"""Reading ``parameters.yaml`` and ``status.yaml`` the way os-api-ref means them.

PyYAML does the parsing; a ``SafeLoader`` subclass keeps the text of floats
(so microversion ``2.2`` and ``2.20`` stay different strings), records every
duplicate key with both lines, and the composed node graph gives each entry its
line from the PyYAML marks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from manila_ssm.apiref import rules
from manila_ssm.errors import Finding, Location
from manila_ssm.yamlio import FastSafeLoader

Locate = Callable[[int | None], Location]
"""Maps a 1-based line of the file being read to a ``Location`` (relative path)."""




class _Loader(FastSafeLoader):  # type: ignore[misc,valid-type]
    """Per-document loader: keeps float text, collects duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Merge keys (``<<: *anchor``, used by Nova's and Placement's parameters.yaml) first:
        # ``<<`` itself has no constructor. A key written here overrides the merged one
        # (YAML's merge semantics), so only keys written twice in this mapping are duplicates.
        written = [key_node for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge"]
        self.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node in written:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                self.duplicates.append((str(key), seen[key], line))
            else:
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _float_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:float", _float_as_text)


def load_entries(
    text: str, locate: Locate, kind: str
) -> tuple[list[tuple[Any, Any, int]] | None, list[Finding]]:
    """Top-level ``(key, value, line)`` entries of a YAML mapping, in file order.

    Returns ``None`` (and a fatal finding) when the YAML cannot be parsed.
    Duplicate top-level keys keep their first entry, as a reader of the file
    would expect; the duplicate is reported.
    """
    findings: list[Finding] = []
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return [], findings
        if not isinstance(root, yaml.MappingNode):
            line = root.start_mark.line + 1
            findings.append(
                rules.finding("yaml-not-mapping", locate(line), f"the {kind} file is not a mapping")
            )
            return [], findings
        entries: list[tuple[Any, Any, int]] = []
        first: dict[Any, int] = {}
        for key_node, value_node in root.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            value = loader.construct_object(value_node, deep=True)
            if key in first:
                loader.duplicates.append((str(key), first[key], line))
                continue
            first[key] = line
            entries.append((key, value, line))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        where = f" (column {mark.column + 1})" if mark else ""
        problem = " ".join(p for p in (error.context, error.problem) if p)
        findings.append(
            rules.finding("yaml-syntax", locate(line), f"malformed YAML in the {kind} file: {problem}{where}")
        )
        return None, findings
    except yaml.YAMLError as error:
        findings.append(
            rules.finding("yaml-syntax", locate(None), f"malformed YAML in the {kind} file: {error}")
        )
        return None, findings
    finally:
        getattr(loader, "dispose", lambda: None)()
    for key, first_line, line in sorted(set(loader.duplicates), key=lambda d: (d[2], d[0])):
        findings.append(
            rules.finding(
                "yaml-duplicate-key",
                locate(line),
                f"duplicate key `{key}` (first defined at line {first_line}, again at line {line})",
            )
        )
    return entries, findings
