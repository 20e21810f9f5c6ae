"""Credentials from clouds.yaml, through openstacksdk and keystoneauth1 (optional).

``--ssm-cloud NAME`` takes the admin token and the shared file system
endpoint from the named cloud; ``--ssm-member-cloud NAME`` takes the
non-admin token. openstacksdk is imported only when a cloud is named, so the
suite runs without it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from manila_ssm.suite.config import ConfigError

SERVICE_TYPES = ("sharev2", "shared-file-system", "share")


@dataclass(frozen=True, slots=True)
class CloudCredentials:
    token: str
    endpoint: str | None


def from_cloud(name: str) -> CloudCredentials:
    """A token (and the share API endpoint, when the catalogue or config names one) for cloud ``name``."""
    try:
        import openstack.config
    except ImportError:
        raise ConfigError(
            f"--ssm-cloud {name}: clouds.yaml support needs openstacksdk (pip install openstacksdk)"
        ) from None
    try:
        region = openstack.config.get_cloud_region(cloud=name)
        session = region.get_session()
        token = session.get_token()
    except Exception as error:  # noqa: BLE001 - openstacksdk and keystoneauth raise many types
        raise ConfigError(f"--ssm-cloud {name}: cannot get a token: {type(error).__name__}: {error}") from None
    endpoint = None
    for service_type in SERVICE_TYPES:
        endpoint = region.get_endpoint(service_type)
        if not endpoint:
            try:
                endpoint = session.get_endpoint(service_type=service_type, interface=region.get_interface())
            except Exception:  # noqa: BLE001 - no catalogue entry for this service type
                endpoint = None
        if endpoint:
            break
    if not token:
        raise ConfigError(f"--ssm-cloud {name}: the cloud gave no token")
    return CloudCredentials(str(token), endpoint)
