"""Names in the OpenStack style: path-like operationIds, PascalCase schema names."""

from __future__ import annotations

import re

_VARIABLE = re.compile(r"^\{([^}]+)\}$")
_VERSION = re.compile(r"^v\d+(\.\d+)?$")


def _segments(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    if parts and _VERSION.match(parts[0]):
        parts = parts[1:]
    return parts


def is_version(segment: str) -> bool:
    """``v2``, ``v2.1``: the version prefix of OpenStack URLs."""
    return bool(_VERSION.match(segment))


def operation_id(path: str, method: str, keep_variable: str | None = None, detail: int = 0) -> str:
    """``/v2/{project_id}/share-servers/{share_server_id}/action`` POST -> ``project_id/share-servers/id/action:post``.

    Every path variable reads ``id`` except ``keep_variable`` (the optional
    project segment), which keeps its name so both URL forms stay distinct.
    ``detail`` 1 keeps every variable's name, 2 also the version prefix: the
    builder uses them only for URLs whose shorter ids would collide. A URL of
    only a version (``/v2/``) is named by it (``v2:get``); the root ``/`` lists
    the versions (``versions:get``).
    """
    parts = [p for p in path.split("/") if p]
    if detail < 2:
        parts = _segments(path) or parts
    words = []
    for index, part in enumerate(parts):
        match = _VARIABLE.match(part)
        if match:
            # A leading variable (Nova's `/{api_version}/`) is no resource's id: it keeps its name.
            words.append(match.group(1) if match.group(1) == keep_variable or detail or index == 0 else "id")
        else:
            words.append(part)
    return ("/".join(words) or "versions") + ":" + method.lower()


def pascal(text: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[^A-Za-z0-9]+", text) if word)


def schema_base(path: str, variables: bool = False, skip: str | None = None) -> str:
    """PascalCase of the literal path segments: ``/v2/{p}/share-servers/{id}/action`` -> ``ShareServersAction``.

    With ``variables``, each variable but ``skip`` (the optional project) reads ``Id``
    (``/v2/shares/{share_id}`` -> ``SharesId``), so items and collections differ.
    """
    words = []
    for part in _segments(path):
        if not _VARIABLE.match(part):
            words.append(pascal(part))
        elif variables and part != f"{{{skip}}}":
            words.append("Id")
    return "".join(words) or "Root"


def action_schema_name(path: str, action: str, role: str) -> str:
    """``ShareServersActionMigrationCheckRequest``: path, action and role, as OpenStack names them."""
    return f"{schema_base(path)}{pascal(action)}{pascal(role)}"


def operation_schema_name(path: str, method: str, role: str, skip: str | None = None) -> str:
    """``SharesDetailGetResponse`` for an ordinary operation's body."""
    return f"{schema_base(path, True, skip)}{pascal(method.lower())}{pascal(role)}"


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... if it is taken; records the result."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def path_variables(path: str) -> list[str]:
    """The ``{name}`` variables of a URL template, in order."""
    return re.findall(r"\{([^}]+)\}", path)
