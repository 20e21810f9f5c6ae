"""What earlier builds made of each operation, reused where it is made of the same things.

The page cache (``apiref.PageCache``) names every operation it returns by
the cached parse it was built from (its *origin*). A group of
``build_openapi`` (one method and URL) is a function of its operations, the
URL forms, the options and where locations are made relative to: keyed by
those, its items, schemas and findings are kept (``openapi.Group``), valid
while the schema names it took are still free. The findings of a group's
examples are kept under the same key when its schemas refer to nothing
outside it; an example of a group built again is looked up by content (the
Example Object and every schema its check can reach), so editing prose
checks no example again. Content is a digest of a value's ``marshal`` form
(equal digests, equal values): the keyword stage of the OpenAPI check keeps
its verdict on each path item by it (``_Checks``), and generated text is
written from the last build's text where a path item, a component schema or
a schema file has the same content.
"""

from __future__ import annotations

import hashlib
import marshal
import pickle
from collections.abc import Callable, Mapping
from typing import Any

from manila_ssm import jsonio
from manila_ssm.builder.openapi import Group
from manila_ssm.builder.options import BuildOptions
from manila_ssm.builder.pointers import MISSING, resolve
from manila_ssm.errors import Finding
from manila_ssm.model import Operation

_SCHEMA = "#/components/schemas/"
_PATH_ITEM = "\n    "  # where jsonio writes a path item: root -> "paths" -> item
_COMPONENT = "\n      "  # root -> "components" -> "schemas" -> schema


class BuildMemo:
    """Groups, example findings and texts of earlier builds, in the store the page cache uses."""

    def __init__(self, store: Any, origin: Callable[[Operation], str | None], options: BuildOptions, base: str) -> None:
        self.store, self.origin = store, origin
        self.salt = hashlib.sha256(pickle.dumps((options, base), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
        self.groups: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
        """(URL, method) -> the key of the group that wrote it, and the schemas it owns."""
        self.checks = _Checks(store)
        """The keyword stage's memo (``openapi_check.CheckMemo``)."""
        self.built = 0
        """How many groups were built (the rest came from the store)."""
        self._methods: dict[str, str] = {}
        self._refs: dict[int, tuple[Any, list[str] | None]] = {}

    # openapi.GroupMemo
    def key(self, method: str, path: str, ops: list[Operation], urls: list[str]) -> str | None:
        origins = [self.origin(op) for op in ops]
        if any(origin is None for origin in origins):
            return None
        key = _digest(("group", self.salt, method, path, tuple(origins), tuple(urls)))
        self._methods[key] = method.lower()
        return key

    def get(self, key: str, names: set[str]) -> Group | None:
        group = self.store.get(key)
        if not isinstance(group, Group) or any((name in names) != taken for name, taken in group.asked):
            return None
        self._note(key, group)
        return group

    def put(self, key: str, group: Group, urls: list[str], method: str) -> None:
        self.built += 1
        self.store.put(key, group)
        self._note(key, group)

    def _note(self, key: str, group: Group) -> None:
        own = frozenset(name for name, _ in group.schemas)
        for url, _ in group.items:
            self.groups[(url, self._methods[key])] = (key, own)

    def content(self, value: Any) -> str | None:
        """A digest of a JSON value's content (``_Checks.content``)."""
        return self.checks.content(value)

    # validate.ExampleMemo
    def examples(self, path: str, method: str, file: str) -> tuple[str, list[Finding]] | None:
        owner = self.groups.get((path, method))
        found = self.store.get(_digest(("examples", owner[0], path, method, file))) if owner else None
        return (found[0], list(found[1])) if isinstance(found, tuple) and len(found) == 2 else None

    def keep_examples(self, path: str, method: str, file: str, origin: str, findings: list[Finding], document: dict[str, Any]) -> None:
        owner = self.groups.get((path, method))
        if owner is None or not _refers_only_to(document["paths"][path][method], owner[1], document):
            return
        self.store.put(_digest(("examples", owner[0], path, method, file)), (origin, tuple(findings)))

    def example_key(self, document: dict[str, Any], at: str, name: str, example: Any, schema: str | None, file: str) -> str | None:
        """What an example's findings depend on, by content: the Example Object, where it is, and every schema
        its check can reach from ``schema`` (a local pointer); ``None`` when that cannot be told."""
        content = self.content(example)
        reached = self._reach(document, schema) if schema is not None else None
        if content is None or reached is None:
            return None
        return _digest(("example", at, name, file, content, schema, reached))

    def example(self, key: str) -> list[Finding] | None:
        found = self.store.get(key)
        return list(found) if isinstance(found, tuple) else None

    def keep_example(self, key: str, findings: list[Finding]) -> None:
        self.store.put(key, tuple(findings))

    def _reach(self, document: dict[str, Any], pointer: str) -> tuple[tuple[str, str | None], ...] | None:
        """Each local pointer a check can follow from ``pointer``, with its target's content digest."""
        found: dict[str, str | None] = {}
        todo = [pointer]
        while todo:
            here = todo.pop()
            if here in found:
                continue
            target = resolve(document, here)
            if target is MISSING:
                found[here] = None
                continue
            found[here] = self.content(target)
            refs = self._refs.get(id(target))
            if refs is None or refs[0] is not target:
                refs = self._refs[id(target)] = (target, _local_refs(target))
            if refs[1] is None:
                return None
            todo += refs[1]
        return tuple(sorted(found.items()))

    def texts(self, files: dict[str, Any], previous: tuple[str, Mapping[str, str]] | None) -> dict[str, str]:
        """``jsonio.dumps`` of every file, with the pieces whose content the last build wrote taken from its text.

        ``previous`` is the last build's token and texts (``cache.PageStore.previous``);
        where each piece went is kept for the next build, under this build's token.
        """
        kept = self.store.get("spans")
        spans: dict[str, tuple[str, int, int]] = {}
        if previous is not None and isinstance(kept, tuple) and len(kept) == 2 and kept[0] == previous[0]:
            spans = kept[1]
        texts: dict[str, str] = {}
        new: dict[str, tuple[str, int, int]] = {}
        for name, value in files.items():
            candidates = [(value, "\n")]
            if name.startswith("openapi/") and isinstance(value, dict):
                candidates = [(item, _PATH_ITEM) for item in (value.get("paths") or {}).values()]
                candidates += [(schema, _COMPONENT) for schema in ((value.get("components") or {}).get("schemas") or {}).values()]
            pieces: dict[int, tuple[str, str]] = {}
            digests: dict[int, str] = {}
            for part, newline in candidates:
                content = self.content(part)
                if content is None:
                    continue
                digest = f"{content}{newline!r}"
                span = spans.get(digest)
                text = previous[1].get(span[0], "")[span[1]:span[2]] if span is not None and previous is not None else None
                if not text:
                    text = jsonio.fragment(part, newline)
                if text is not None:
                    pieces[id(part)], digests[id(part)] = (newline, text), digest
            placed: dict[int, tuple[int, int]] = {}
            texts[name] = jsonio.dumps(value, pieces, placed)
            for ident, (begin, end) in placed.items():
                new[digests[ident]] = (name, begin, end)
        self.store.put("spans", (self.store.token, new))
        return texts


class _Checks:
    """``openapi_check.CheckMemo`` over the memo's store: path item verdicts, kept by content."""

    def __init__(self, store: Any) -> None:
        self.get, self.put = store.get, store.put
        self._contents: dict[int, tuple[Any, str | None]] = {}

    def content(self, value: Any) -> str | None:
        """A digest of a JSON value's content (``marshal``: equal digests, equal values); ``None`` for other values.

        Taken once per value of this build (the value is held, so its ``id`` stays its own).
        """
        kept = self._contents.get(id(value))
        if kept is not None and kept[0] is value:
            return kept[1]
        try:
            digest: str | None = hashlib.sha256(marshal.dumps(value, 2)).hexdigest()
        except ValueError:  # not plain data
            digest = None
        self._contents[id(value)] = (value, digest)
        return digest


_BASE_CHANGING = frozenset({"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor"})


def _local_refs(schema: Any) -> list[str] | None:
    """The ``$ref``s in ``schema``, all local pointers, or ``None`` when one is not or a keyword moves the base URI."""
    refs: list[str] = []
    todo = [schema]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            if _BASE_CHANGING & value.keys():
                return None
            ref = value.get("$ref")
            if ref is not None:
                if not isinstance(ref, str) or not ref.startswith("#/"):
                    return None
                refs.append(ref)
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return refs


_NAMED_SCHEMAS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
"""Keywords whose members are schemas under names of the author's (a property may be called ``examples``)."""


def _refers_only_to(operation: dict[str, Any], own: frozenset[str], document: dict[str, Any]) -> bool:
    """Whether the schemas ``operation`` reaches are its group's own (and the options' fault and headers).

    Example values are data (a sample may hold a ``$ref`` key): they are not looked into.
    """
    components = (document.get("components") or {}).get("schemas") or {}
    todo: list[tuple[Any, bool]] = [(operation, False)]
    seen: set[str] = set()
    while todo:
        value, named = todo.pop()
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                if ref.startswith(_SCHEMA):
                    name = ref[len(_SCHEMA):]
                    if name not in own and name != "Fault":
                        return False
                    if name not in seen and name in components:
                        seen.add(name)
                        todo.append((components[name], False))
                elif not ref.startswith("#/components/headers/"):
                    return False
            todo.extend((item, key in _NAMED_SCHEMAS) for key, item in value.items() if named or key not in ("examples", "example"))
        elif isinstance(value, list):
            todo.extend((item, False) for item in value)
    return True


def _digest(parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


__all__ = ["BuildMemo"]
