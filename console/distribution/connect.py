"""Open a connection to a distribution point with its transport."""

from __future__ import annotations

from console.core.distribution import DistributionPoint, DpConnection, SecretStore, TransportKind
from console.distribution.folder import connect_folder


class SiteTransports:
    """``console.core.distribution.Transports`` for this site: credentials come from ``secrets``."""

    def __init__(self, secrets: SecretStore | None = None) -> None:
        self.secrets = secrets

    def connect(self, dp: DistributionPoint) -> DpConnection:
        if dp.transport is TransportKind.FOLDER:
            return connect_folder(dp)
        if dp.transport is TransportKind.SMB:
            from console.distribution.smb import connect_smb  # smbprotocol loads only when an SMB DP is used

            return connect_smb(dp, self.secrets)
        raise NotImplementedError(f"transport {dp.transport}")  # ssh: console.distribution.ssh
