"""Open a connection to a distribution point with its transport."""

from __future__ import annotations

from console.core.distribution import DistributionPoint, DpConnection, SecretStore, TransportKind
from console.distribution.folder import connect_folder


class SiteTransports:
    """``console.core.distribution.Transports`` for this site: credentials come from ``secrets``;
    SSH servers are trusted through ``ssh_known_hosts`` (a known_hosts file; None: the
    ``BOOTIMAGE_SSH_KNOWN_HOSTS`` file, else ``~/.ssh/known_hosts`` and ``/etc/ssh/ssh_known_hosts``)."""

    def __init__(self, secrets: SecretStore | None = None, *, ssh_known_hosts: str | None = None) -> None:
        self.secrets = secrets
        self.ssh_known_hosts = ssh_known_hosts

    def connect(self, dp: DistributionPoint) -> DpConnection:
        if dp.transport is TransportKind.FOLDER:
            return connect_folder(dp)
        if dp.transport is TransportKind.SMB:
            from console.distribution.smb import connect_smb  # smbprotocol loads only when an SMB DP is used

            return connect_smb(dp, self.secrets)
        if dp.transport is TransportKind.SSH:
            from console.distribution.ssh import connect_ssh  # asyncssh loads only when an SSH DP is used

            return connect_ssh(dp, self.secrets, known_hosts=self.ssh_known_hosts)
        raise NotImplementedError(f"transport {dp.transport}")
