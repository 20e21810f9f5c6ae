"""The suite's settings: one table, three sources (flag > environment > ini file).

Every setting has a command line flag ``--ssm-x``, an ini key ``ssm_x`` and an
environment variable ``SSM_X`` sharing one help text. A bad value is reported
with the source it came from, so the user knows which one to fix.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from manila_ssm.suite.client import REDACTED, Endpoint

CONTRACTS = ("effective", "documented")


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # attribute of SuiteConfig, e.g. "base_url"
    help: str
    default: str = ""
    secret: bool = False

    @property
    def flag(self) -> str:
        return "--ssm-" + self.name.replace("_", "-")

    @property
    def ini(self) -> str:
        return "ssm_" + self.name

    @property
    def env(self) -> str:
        return "SSM_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("base_url", "target URL: http://host:port, .../v2 or .../v2/<project_id>; empty starts the embedded reference target"),
    Option("project_id", "project id for URLs when the base URL has none (project-less URLs are used otherwise)"),
    Option("admin_token", "X-Auth-Token of an admin (keystone token, or user:project with noauth)", secret=True),
    Option("member_token", "X-Auth-Token of a non-admin; policy requirements are skipped without it", secret=True),
    Option("cloud", "clouds.yaml cloud giving the admin token and the endpoint (needs openstacksdk)"),
    Option("member_cloud", "clouds.yaml cloud giving the non-admin token (needs openstacksdk)"),
    Option("microversions", "comma-separated microversions to test; 'max' is the target's maximum", "2.57,max"),
    Option("dest_hosts", "comma-separated destination hosts (host@backend); default: discovered from the pools API"),
    Option("server_ids", "comma-separated share server ids the suite may migrate (and nothing else)"),
    Option("servers_file", "JSON file naming the share servers the suite may migrate (a list of ids or objects with share_server_id)"),
    Option("contract", "which contract to hold the target to: effective (documented + errata) or documented", "effective"),
    Option("openapi", "OpenAPI document to use instead of the generated spec/openapi/<contract>.json"),
    Option("request_timeout", "seconds to wait for one HTTP answer", "10"),
    Option("wait_timeout", "seconds to wait for one asynchronous state change (e.g. phase 1 done)", "120"),
    Option("max_examples", "generated examples per action and mode in the schemathesis tests", "25"),
    Option("seed", "seed for generated data; printed so a run can be repeated"),
    Option("requirements", "comma-separated requirement ids: run only the tests that check them"),
    Option("reports_dir", "where the JSON and Markdown reports go", "reports"),
    Option("lanes", "auto: on a real target the scenarios that wait on its workers run side by side, each on "
                    "servers of its own (when enough are named); off: one after another", "auto"),
)


class ConfigError(ValueError):
    """A setting that cannot be used; the message names its source and the fix."""


@dataclass(frozen=True, slots=True)
class SuiteConfig:
    """The resolved settings; ``sources`` says where each non-default came from."""

    base_url: str = ""
    project_id: str = ""
    # repr=False: pytest -l and tracebacks print this object; the tokens must never show there
    admin_token: str = field(default="", repr=False)
    member_token: str = field(default="", repr=False)
    cloud: str = ""
    member_cloud: str = ""
    microversions: tuple[str, ...] = ("2.57", "max")
    dest_hosts: tuple[str, ...] = ()
    server_ids: tuple[str, ...] = ()
    servers_file: str = ""
    contract: str = "effective"
    openapi: str = ""
    request_timeout: float = 10.0
    wait_timeout: float = 120.0
    max_examples: int = 25
    seed: int | None = None
    requirements: tuple[str, ...] = ()
    reports_dir: str = "reports"
    lanes: str = "auto"
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """No target given: the suite starts the reference target itself."""
        return not self.base_url

    def endpoint(self) -> Endpoint:
        return Endpoint.parse(self.base_url, self.project_id or None)

    def secrets(self) -> tuple[str, ...]:
        return tuple(getattr(self, o.name) for o in OPTIONS if o.secret and getattr(self, o.name))

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as reports show it: secrets replaced, sources kept."""
        data = asdict(self)
        for option in OPTIONS:
            if option.secret and data.get(option.name):
                data[option.name] = REDACTED
        data["sources"] = dict(self.sources)
        return data


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _lanes(text: str) -> str:
    if text not in ("auto", "off"):
        raise ValueError("must be auto or off")
    return text


def _contract(text: str) -> str:
    if text not in CONTRACTS:
        raise ValueError(f"must be one of: {', '.join(CONTRACTS)}")
    return text


MIN_VERSION = "2.57"


def version_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor)


def _microversions(text: str) -> tuple[str, ...]:
    versions = _csv(text)
    for version in versions:
        major, _, minor = version.partition(".")
        if version != "max" and not (major.isdigit() and minor.isdigit()):
            raise ValueError(f"{version!r} is not MAJOR.MINOR or 'max'")
        if version != "max" and version_key(version) < version_key(MIN_VERSION):
            # the actions exist from 2.57 on; below it a target's 404 is right, not a failure
            raise ValueError(f"{version} is below {MIN_VERSION}, where the migration actions start; "
                             f"give versions from {MIN_VERSION} up, or 'max'")
    if not versions:
        raise ValueError("give at least one microversion")
    return versions


def _dest_hosts(text: str) -> tuple[str, ...]:
    hosts = _csv(text)
    for host in hosts:
        name, at, backend = host.partition("@")
        if not (name and at and backend) or "#" in host:
            raise ValueError(f"{host!r} is not host@backend; write e.g. hostB@backendB (no #pool)")
    return hosts


_PARSERS: dict[str, Callable[[str], Any]] = {
    "microversions": _microversions,
    "dest_hosts": _dest_hosts,
    "server_ids": _csv,
    "requirements": _csv,
    "contract": _contract,
    "lanes": _lanes,
    "request_timeout": _positive_float,
    "wait_timeout": _positive_float,
    "max_examples": _positive_int,
    "seed": int,
}


def resolve(
    flags: Mapping[str, str | None],
    ini: Mapping[str, str | None],
    environ: Mapping[str, str] | None = None,
) -> SuiteConfig:
    """Merge the three sources by precedence and parse every value."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        for source, raw in (
            (option.flag, flags.get(option.name)),
            (option.env, environ.get(option.env)),
            (f"ini key {option.ini}", ini.get(option.name)),
        ):
            if raw not in (None, ""):
                break
        else:
            continue
        parser = _PARSERS.get(option.name, str.strip)
        try:
            values[option.name] = parser(str(raw))
        except ValueError as error:
            raise ConfigError(f"{option.flag}: bad value {raw!r} from {source}: {error}") from None
        sources[option.name] = source
    _from_clouds(values, sources)
    config = SuiteConfig(**values, sources=sources)
    if config.servers_file:
        ids = load_servers_file(Path(config.servers_file))
        config = dataclasses.replace(config, server_ids=tuple(dict.fromkeys(config.server_ids + ids)))
    if config.base_url:
        try:
            config.endpoint()
        except ValueError as error:
            raise ConfigError(f"--ssm-base-url from {sources['base_url']}: {error}") from None
        if not config.admin_token:
            raise ConfigError(
                "a target needs admin credentials: give --ssm-admin-token (or SSM_ADMIN_TOKEN, "
                "or ini key ssm_admin_token); with noauth use user:project"
            )
    elif config.server_ids:
        raise ConfigError("share server ids were given without a target; add --ssm-base-url")
    return config


def check_writable(directory: Path) -> None:
    """Refuse a reports folder that cannot be written now, not after the whole run."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise ConfigError(f"--ssm-reports-dir: {existing} is a file, so {directory} cannot be created; "
                          "name a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--ssm-reports-dir: {existing} is not writable, so the reports cannot go to "
                          f"{directory}; name a folder you can write to")


def _from_clouds(values: dict[str, Any], sources: dict[str, str]) -> None:
    """Fill tokens and the base URL from clouds.yaml where they were not given directly."""
    from manila_ssm.suite.clouds import from_cloud

    for cloud_key, token_key in (("cloud", "admin_token"), ("member_cloud", "member_token")):
        if not values.get(cloud_key) or values.get(token_key):
            continue
        credentials = from_cloud(values[cloud_key])
        values[token_key] = credentials.token
        sources[token_key] = f"clouds.yaml cloud {values[cloud_key]}"
        if cloud_key == "cloud" and credentials.endpoint and not values.get("base_url"):
            values["base_url"] = credentials.endpoint
            sources["base_url"] = f"clouds.yaml cloud {values[cloud_key]}"


def load_servers_file(path: Path) -> tuple[str, ...]:
    """Share server ids from a JSON file: a list of ids, or any nesting with ``share_server_id`` keys."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"--ssm-servers-file: cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError(f"--ssm-servers-file: {path} is not JSON: {error}") from None
    found: list[str] = []
    if isinstance(document, dict):
        listed = next((document[k] for k in ("share_server_ids", "share_servers", "servers") if k in document), None)
        document = document if listed is None else listed
    if isinstance(document, list):
        for item in document:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict) and isinstance(item.get("share_server_id", item.get("id")), str):
                found.append(item.get("share_server_id", item.get("id")))
    else:
        _walk_objects(document, found)
    if not found:
        raise ConfigError(
            f"--ssm-servers-file: {path} names no share servers; write a JSON list of ids "
            'or objects with a "share_server_id" key'
        )
    return tuple(dict.fromkeys(found))


# Role names a harness may give its servers; the suite consumes them in this order and keeps the
# idle one for last, because it uses the last named server for its idle checks.
_ROLE_ORDER = ("migrate", "complete", "cancel", "spare")


def _walk_objects(node: Any, found: list[str]) -> None:
    pairs: list[tuple[str, str]] = []

    def walk(value: Any, role: str) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("share_server_id"), str):
                pairs.append((role, value["share_server_id"]))
            for key, child in value.items():
                walk(child, str(key))
        elif isinstance(value, list):
            for child in value:
                walk(child, role)

    walk(node, "")

    def rank(pair: tuple[str, str]) -> int:
        role = pair[0].lower()
        if role == "idle":
            return len(_ROLE_ORDER) + 1
        return _ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER)

    found.extend(server for _, server in sorted(pairs, key=rank))

