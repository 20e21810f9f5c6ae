"""The install phase: Debian packages for the bus and the database, and
manila from PyPI in a venv of its own (never the project's venv).

Each step checks first and does nothing when its result is already there,
so ``up`` on a prepared machine skips this phase in well under a second.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from manila_ssm.realmanila.config import HarnessConfig
from manila_ssm.realmanila.procs import HarnessError, run_step

DEBIAN_PACKAGES = ("rabbitmq-server", "mariadb-server")
# Debian's mariadb-server lacks nothing we need; PyMySQL is manila's DB driver.
PIP_EXTRAS = ("PyMySQL",)
DUMMY_DRIVER = "manila/tests/share/drivers/dummy.py"


def missing_packages() -> list[str]:
    missing = []
    for name in DEBIAN_PACKAGES:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_packages(config: HarnessConfig) -> bool:
    """apt-get install what is missing, without starting the distro daemons."""
    missing = missing_packages()
    if not missing:
        return False
    if os.geteuid() != 0:
        raise HarnessError("apt", f"{', '.join(missing)} missing and not running as root; install them first")
    log = config.log_dir / "apt.log"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Another apt run on the machine holds the lock for a while; wait for it.
    lock = ["-o", "DPkg::Lock::Timeout=600"]
    policy = Path("/usr/sbin/policy-rc.d")
    created_policy = not policy.exists()
    if created_policy:  # the package scripts must not start distro-wide daemons
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        run_step("apt", ["apt-get", *lock, "update", "-qq"], log, env)
        run_step(
            "apt",
            ["apt-get", *lock, "install", "-y", "-qq", "--no-install-recommends", *missing],
            log,
            env,
        )
    finally:
        if created_policy:
            policy.unlink(missing_ok=True)
    return True


def installed_version(config: HarnessConfig) -> str | None:
    python = config.venv / "bin" / "python"
    if not python.exists():
        return None
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('manila'))"],
        capture_output=True, text=True, check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def ensure_manila(config: HarnessConfig) -> bool:
    """Create the venv and pip-install the pinned manila; True if anything changed."""
    log = config.log_dir / "pip.log"
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    changed = False
    if not (config.venv / "bin" / "python").exists():
        run_step("venv", [config.python, "-m", "venv", str(config.venv)], log, env)
        changed = True
    pip = [str(config.venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    if installed_version(config) != config.manila_version:
        run_step("pip", [*pip, f"manila=={config.manila_version}", *PIP_EXTRAS], log, env, timeout=900)
        changed = True
    dummy = _site_packages(config) / DUMMY_DRIVER
    if not dummy.is_file():
        raise HarnessError("pip", f"the Dummy driver is missing from the manila wheel: {dummy}")
    if config.api_mode in ("auto", "uwsgi") and not uwsgi_binary(config).exists():
        try:
            run_step("pip", [*pip, "uwsgi"], log, env, timeout=600)
            changed = True
        except HarnessError:
            if config.api_mode == "uwsgi":
                raise
            # "auto" falls back to manila-api under eventlet (see services.py).
    return changed


def uwsgi_binary(config: HarnessConfig) -> Path:
    return config.venv / "bin" / "uwsgi"


def _site_packages(config: HarnessConfig) -> Path:
    found = sorted((config.venv / "lib").glob("python3*/site-packages"))
    if not found:
        raise HarnessError("venv", f"no site-packages under {config.venv / 'lib'}")
    return found[0]


def install(config: HarnessConfig) -> bool:
    """The whole install phase; True if it had to install anything."""
    for directory in (config.log_dir, config.run_dir, config.etc_dir, config.data_dir):
        directory.mkdir(parents=True, exist_ok=True)
    packages = ensure_packages(config)
    manila = ensure_manila(config)
    return packages or manila
