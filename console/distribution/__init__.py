"""Transports to distribution points (``console.core.distribution.DpConnection``): a folder,
an SMB share, an SSH server."""
