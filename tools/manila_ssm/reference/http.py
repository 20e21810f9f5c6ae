"""Manila's HTTP conventions: microversions, fault bodies, response headers.

Everything here mirrors ``manila/api/openstack/wsgi.py`` and
``api_version_request.py`` (see ``shared/manila-behaviour.md`` §1.3-§1.7, §3).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

MIN_VERSION = (2, 0)
MAX_VERSION = (2, 99)
VERSION_HEADER = "X-OpenStack-Manila-API-Version"
EXPERIMENTAL_HEADER = "X-OpenStack-Manila-API-Experimental"
# manila/api/openstack/api_version_request.py: the version grammar
_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")
# oslo_utils/strutils.py: the spellings bool_from_string knows
TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")

# manila/api/openstack/wsgi.py Fault._fault_names; anything else is computeFault
_FAULT_NAMES = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                405: "badMethod", 409: "conflictingRequest", 413: "overLimit", 415: "badMediaType",
                501: "notImplemented", 503: "serviceUnavailable"}

# WebOb's default explanations, which Manila shows when a fault carries no text of its own
GENERIC_400 = ("The server could not comply with the request since it is either malformed "
               "or otherwise incorrect.")
GENERIC_403 = "Access was denied to this resource."
GENERIC_404 = "The resource could not be found."
GENERIC_500 = "The server has either erred or is incapable of performing the requested operation."


class ApiFault(Exception):
    """A Manila fault: ``{"<name>": {"code": status, "message": message}}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str = GENERIC_400) -> ApiFault:
    return ApiFault(400, message)


def not_found(message: str = GENERIC_404) -> ApiFault:
    return ApiFault(404, message)


def conflict(message: str) -> ApiFault:
    return ApiFault(409, message)


def bool_from_string(value: Any, *, strict: bool) -> bool:
    """oslo's ``bool_from_string``: real booleans pass, anything else goes through ``str()``."""
    if isinstance(value, bool):
        return value
    text = python_str(value).strip().lower()
    if text in TRUE_STRINGS:
        return True
    if text in FALSE_STRINGS or not strict:
        return False
    raise ValueError(text)


def python_str(value: Any) -> str:
    """How Python's ``str()`` renders a decoded JSON value (Manila puts that into messages)."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return repr(value)
    return str(value)


@dataclass(slots=True)
class Call:
    """One request as Manila's pipeline sees it after authentication and version parsing."""

    request: Request
    user: str
    project: str
    roles: tuple[str, ...]
    version: tuple[int, int] | None = None
    experimental: bool = False
    compute_request_id: str = field(default_factory=lambda: f"req-{uuid.uuid4()}")

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def at_least(self, major: int, minor: int) -> bool:
        return self.version is not None and self.version >= (major, minor)


def parse_version(call: Call) -> None:
    """Set ``call.version``/``experimental`` from the headers, or raise the 400/406 fault."""
    headers = call.request.headers
    if VERSION_HEADER in headers:
        text = headers[VERSION_HEADER]
        match = _VERSION_RE.match(text)
        if match is None:
            raise bad_request(f"API Version String {text} is of invalid format. "
                              "Must be of format MajorNum.MinorNum.")
        call.version = (int(match.group(1)), int(match.group(2)))
        if not MIN_VERSION <= call.version <= MAX_VERSION:
            raise ApiFault(406, f"Version {text} is not supported by the API. "
                                "Minimum is 2.0 and maximum is 2.99.")
    else:
        call.version = MIN_VERSION
    if EXPERIMENTAL_HEADER in headers:
        call.experimental = bool_from_string(headers[EXPERIMENTAL_HEADER], strict=False)


def decode_json(data: bytes) -> Any:
    """``json.loads`` where what Python decodes but cannot use is malformed input too.

    Nesting too deep to decode (DEV-DEEP-JSON), and strings with an unpaired
    surrogate escape such as ``"\\ud933"``, which no UTF-8 store can hold
    (DEV-UNPAIRED-SURROGATE).
    """
    try:
        decoded = json.loads(data)
        json.dumps(decoded, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except UnicodeEncodeError:
        raise ValueError("JSON string with an unpaired surrogate") from None
    return decoded


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _finish(call: Call | None, response: Response) -> Response:
    response.headers["x-openstack-request-id"] = f"req-{uuid.uuid4()}"
    if call is not None:
        response.headers["x-compute-request-id"] = call.compute_request_id
        if call.version is not None:
            response.headers[VERSION_HEADER] = version_text(call.version)
            if call.experimental:
                response.headers[EXPERIMENTAL_HEADER] = "True"
            response.headers["Vary"] = VERSION_HEADER
    return response


def json_response(call: Call | None, status: int, body: Any = None) -> Response:
    """A Manila response; ``body`` None means an empty body that still says JSON (202s)."""
    data = b"" if body is None else json.dumps(body).encode()
    return _finish(call, Response(data, status=status, content_type="application/json"))


def empty_html_response(call: Call, status: int) -> Response:
    """The bare ``webob.Response`` the reset actions return: empty, ``text/html``."""
    return _finish(call, Response(b"", status=status, content_type="text/html; charset=UTF-8"))


def fault_response(call: Call | None, fault: ApiFault) -> Response:
    name = _FAULT_NAMES.get(fault.status, "computeFault")
    return json_response(call, fault.status, {name: {"code": fault.status, "message": fault.message}})


def plain_error(request: Request, status: int, title: str, message: str,
                extra_headers: dict[str, str] | None = None) -> Response:
    """A WebOb-style error from middleware or the router (not Manila's fault shape)."""
    if "application/json" in request.headers.get("Accept", ""):
        body = json.dumps({"message": f"{message}<br /><br />\n\n\n", "code": f"{status} {title}",
                           "title": title})
        response = Response(body, status=status, content_type="application/json")
    else:
        response = Response(f"{status} {title}\n\n{message}\n\n   ", status=status,
                            content_type="text/plain; charset=UTF-8")
    for key, value in (extra_headers or {}).items():
        response.headers[key] = value
    return _finish(None, response)


def unauthorized(request: Request) -> Response:
    """keystonemiddleware's 401 (``{"error": {...}}``), as a keystone-backed Manila answers."""
    body = {"error": {"code": 401, "title": "Unauthorized",
                      "message": "The request you have made requires authentication."}}
    response = Response(json.dumps(body), status=401, content_type="application/json")
    response.headers["WWW-Authenticate"] = "Keystone uri='http://127.0.0.1/identity'"
    return _finish(None, response)
