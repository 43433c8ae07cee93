"""The network boot layout on DPs behind a real sshd and smbd (tests/servers/): over SSH the
layout is switched by a symbolic link and the images are hard links (OpenSSH's extensions);
over SMB, which has neither, the images are copied on the server and verified by SHA-256 and
the layout folder is switched by renames. Checked on the server's side. The wimboot here is a
generated stand-in, not the real one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from console.core.jobs import JobState
from tests.distribution_fixtures import Distribution, dist, sha  # noqa: F401 (dist is a fixture)
from tests.integration.test_distribution_transports import on_server  # noqa: F401 (a fixture)
from tests.integration.test_network_boot import make_packages
from tests.servers.pxe import wimboot_stand_in


def test_layout_on_ssh_and_smb_dps(dist: Distribution, on_server: str, x64_facts, tmp_path: Path) -> None:  # noqa: F811
    made = make_packages(dist, x64_facts, tmp_path)
    (x64, x64_wim), (x86, _) = made["x64"], made["x86"]
    dist.console.network_boot.set_wimboot_path(str(wimboot_stand_in(tmp_path / "wimboot")))
    dist.add_dp("DP01", pxe=True)
    for pid in (x64, x86):
        dist.console.content.add_distribution_points(pid, ["DP01"])
    dist.run_until_idle()
    for pid in (x64, x86):
        assert all(j.state == JobState.SUCCEEDED for j in dist.jobs(pid)), [j.extended_error_info for j in dist.jobs(pid)]
    root = dist.dp_root("DP01")
    layout = root / "PXE"
    manifest = json.loads((layout / "config/layout.json").read_text())
    assert {f"images/{x64}/boot.wim", f"images/{x86}/boot.wim", "wimboot", "boot.ipxe"} <= set(manifest["files"])
    for name, facts in manifest["files"].items():
        assert sha(layout / name) == facts["sha256"], name
    assert (layout / f"images/{x64}/boot.wim").read_bytes() == x64_wim.read_bytes()
    packaged = root / "Packages" / x64 / f"boot.{x64}.wim"
    if on_server == "ssh":
        assert layout.is_symlink() and os.readlink(layout).startswith("PXE.")
        assert (layout / f"images/{x64}/boot.wim").stat().st_ino == packaged.stat().st_ino
    else:  # SMB: copies on the server, a real folder switched by renames
        assert not layout.is_symlink() and layout.is_dir()
        assert (layout / f"images/{x64}/boot.wim").stat().st_ino != packaged.stat().st_ino

    dist.console.packages.put(x86, {"DeployFromPxeDistributionPoint": False})
    dist.console.content.queue_update(x64)
    dist.run_until_idle()
    script = (layout / "boot.ipxe").read_text()
    assert x64 in script and x86 not in script
    leftovers = sorted(p.name for p in root.iterdir() if p.name.startswith("PXE"))
    assert leftovers == (["PXE", os.readlink(layout)] if on_server == "ssh" else ["PXE"])
