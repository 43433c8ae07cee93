"""Is an SSH private key file usable? Checked when a distribution point is added or its key file
changed, and again by the SSH transport before it connects, so that a missing or wrong file is
named as such (not as "authentication refused")."""

from __future__ import annotations

import os

#: A private key in OpenSSH, PEM (PKCS#1/#8) or PuTTY form says so near its start.
_PRIVATE_MARKERS = (b"PRIVATE KEY-----", b"PuTTY-User-Key-File-")
#: How ``.pub`` files (and RFC 4716 public keys) start.
_PUBLIC_STARTS = (b"ssh-", b"ecdsa-", b"sk-ssh-", b"sk-ecdsa-", b"---- BEGIN SSH2 PUBLIC KEY")
_HEAD_BYTES = 4096


def key_file_problem(path: str) -> str | None:
    """What is wrong with the SSH private key file ``path`` (a sentence), or None."""
    if not os.path.lexists(path) or (os.path.islink(path) and not os.path.exists(path)):
        return f"the SSH key file {path} does not exist; give the path of the private key (such as ~/.ssh/id_ed25519)"
    if not os.path.isfile(path):  # a folder, a FIFO (never opened: it would block), a device
        return f"the SSH key file {path} is not a file; give the path of the private key"
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        return f"the SSH key file {path} cannot be read by this account ({exc.strerror or exc})"
    if head.lstrip().startswith(_PUBLIC_STARTS):
        return f"the SSH key file {path} holds a public key; give the private key (the file without .pub)"
    if not any(marker in head for marker in _PRIVATE_MARKERS):
        return (f"the SSH key file {path} is not a private key (it has no \"-----BEGIN … PRIVATE KEY-----\" "
                "line); give the private key file ssh-keygen wrote")
    return None
