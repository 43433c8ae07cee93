"""A PXE-enabled folder DP: distribution lays out what network boot needs, derived from the DP's
content library, and real dnsmasq (TFTP), nginx (HTTP) and a real TFTP client use it.

The wimboot used here is a generated stand-in (valid MZ/PE and bzImage headers), not the real
wimboot, which cannot be fetched in the tests."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from console.core.content import boot_image_name
from console.core.distribution import DpState
from console.core.image_facts import ImageFacts
from console.core.jobs import JobState
from console.core.pxe import IPXE_FOLDER, WIMBOOT_URL
from tests.distribution_fixtures import Distribution, capture_wim, dist, payload_tree, sha  # noqa: F401
from tests.servers.pxe import (
    dnsmasq_tftp,
    free_port,
    http_get,
    nginx_serving,
    nginx_test,
    require,
    tftp_get,
    wimboot_stand_in,
    world_readable_folder,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.both_databases

X86_FACTS = ImageFacts("x86", "10.0.19041.1", "en-US", "<WIM><IMAGE INDEX=\"1\"/></WIM>", 1_048_576,
                       "Microsoft Windows PE (x86)")


def make_packages(site: Distribution, x64_facts: ImageFacts, tmp: Path) -> dict[str, tuple[str, Path]]:
    """x64 and x86 deployed from PXE, and an x64 image that is not: each with a built version."""
    made = {}
    for key, facts, pxe in (("x64", x64_facts, True), ("x86", X86_FACTS, True), ("plain", x64_facts, False)):
        package = site.console.packages.create(
            name=f"WinPE {key}", version=f"1.0.{len(made)}", image_path=f"/images/{key}.wim", image=facts,
            properties={"DeployFromPxeDistributionPoint": pxe}).value
        pid = package["PackageID"]
        wim = capture_wim(payload_tree(tmp / f"tree-{key}", files=3, kib=64, seed=len(made) + 7), tmp / f"{key}.wim")
        site.store_wim(pid, 1, wim)
        made[key] = (pid, wim)
    return made


@pytest.fixture
def pxe_site(dist: Distribution, x64_facts: ImageFacts, tmp_path: Path, world_readable_folder: Path):  # noqa: F811
    require("dnsmasq", "nginx", "tftp")
    assert Path(IPXE_FOLDER, "undionly.kpxe").is_file(), "install Debian's ipxe package"
    made = make_packages(dist, x64_facts, tmp_path)
    dp_folder = world_readable_folder / "DP01"
    dist.add_dp("DP01", dp_folder, pxe=True)
    return dist, made, dp_folder


def distribute(site: Distribution, pids: list[str]) -> None:
    for pid in pids:
        site.console.content.add_distribution_points(pid, ["DP01"])
    site.run_until_idle()
    for pid in pids:
        jobs = site.jobs(pid)
        assert jobs and all(j.state == JobState.SUCCEEDED for j in jobs), \
            [j.extended_error_info for j in jobs] + [site.logs()]


def test_pxe_dp_layout_served_by_real_dnsmasq_and_nginx(pxe_site, tmp_path: Path) -> None:
    site, made, _ = pxe_site
    (x64, x64_wim), (x86, x86_wim), (plain, _) = made["x64"], made["x86"], made["plain"]
    port = free_port()
    site.console.network_boot.set_wimboot_path(str(wimboot_stand_in(tmp_path / "wimboot")))
    site.console.network_boot.set_http_port(port)
    site.console.network_boot.set_menu_timeout(7)
    site.console.network_boot.set_subnet("127.0.0.0/8")
    distribute(site, [x64, x86, plain])
    root = site.dp_root("DP01")
    layout = root / "PXE"

    # complete, switched by a link to one generation folder, and every file hash-verified
    assert layout.is_symlink() and os.readlink(layout).startswith("PXE.")
    manifest = json.loads((layout / "config" / "layout.json").read_text())
    expected = {"boot.ipxe", "wimboot", "undionly.kpxe", "ipxe.efi", "snponly.efi", "config/dnsmasq.conf",
                "config/nginx.conf", f"images/{x64}/boot.wim", f"images/{x86}/boot.wim"}
    assert set(manifest["files"]) == expected
    for name, facts in manifest["files"].items():
        assert sha(layout / name) == facts["sha256"], name
    assert (layout / f"images/{x64}/boot.wim").read_bytes() == x64_wim.read_bytes()
    assert (layout / f"images/{x86}/boot.wim").read_bytes() == x86_wim.read_bytes()
    assert not (layout / "images" / plain).exists()
    # a hard link to the materialized image (same file system), not a second copy
    assert (layout / f"images/{x64}/boot.wim").stat().st_ino == (root / "Packages" / x64 / boot_image_name(x64)).stat().st_ino
    for name in ("undionly.kpxe", "ipxe.efi", "snponly.efi"):
        assert (layout / name).read_bytes() == Path(IPXE_FOLDER, name).read_bytes()
    assert (layout / "wimboot").read_bytes() == (tmp_path / "wimboot").read_bytes()  # the stand-in
    assert [p.name for p in root.iterdir() if p.name.startswith("PXE.")] == [os.readlink(layout)]

    # the generated configuration passes the servers' own checks
    check = subprocess.run(["dnsmasq", "--test", "-C", str(layout / "config/dnsmasq.conf")], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0 and "syntax check OK" in check.stderr + check.stdout, check.stderr
    nginx_block = (layout / "config/nginx.conf").read_text()
    assert f"listen {port};" in nginx_block and f"root {layout};" in nginx_block
    checked = nginx_test(layout / "config/nginx.conf", tmp_path / "nginx-t")
    assert checked.returncode == 0, checked.stderr

    # real nginx serves the layout (the written block, bound to 127.0.0.1 for the test)
    served = tmp_path / "served-nginx.conf"
    served.write_text(nginx_block.replace(f"listen {port};", f"listen 127.0.0.1:{port};"))
    with nginx_serving(served, tmp_path / "nginx", port):
        status, _, script = http_get(port, "boot.ipxe")
        assert status == 200
        text = script.decode()
        assert text.startswith("#!ipxe")
        assert f"item {x64} WinPE x64 1.0.0 ({x64})" in text and f"item {x86} WinPE x86 1.0.1 ({x86})" in text
        assert plain not in text
        assert "--timeout 7000" in text
        size = x64_wim.stat().st_size
        status, headers, part = http_get(port, f"images/{x64}/boot.wim", {"Range": "bytes=100-4195"})
        assert status == 206, headers
        assert headers["Content-Range"] == f"bytes 100-4195/{size}"
        assert part == x64_wim.read_bytes()[100:4196]
        assert http_get(port, "wimboot")[2] == (tmp_path / "wimboot").read_bytes()
        assert http_get(port, "config/layout.json")[0] == 404  # the configuration is not served

    # real dnsmasq serves the iPXE binaries over TFTP to tftp-hpa's client
    with dnsmasq_tftp(layout, tmp_path):
        assert tftp_get("undionly.kpxe", tmp_path / "got.kpxe") == Path(IPXE_FOLDER, "undionly.kpxe").read_bytes()
        assert tftp_get("ipxe.efi", tmp_path / "got.efi") == Path(IPXE_FOLDER, "ipxe.efi").read_bytes()

    # removing the flag takes the image out of the menu on the next update
    site.console.packages.put(x86, {"DeployFromPxeDistributionPoint": False})
    site.console.content.queue_update(x64)
    site.run_until_idle()
    script = (layout / "boot.ipxe").read_text()
    assert x64 in script and x86 not in script
    assert not (layout / "images" / x86).exists()
    assert len([p for p in root.iterdir() if p.name.startswith("PXE.")]) == 1  # the replaced generation is gone

    # content validation covers the layout: a damaged script and a deleted wimboot are named
    target = layout / "boot.ipxe"
    data = bytearray(target.read_bytes())
    data[-2] ^= 0xFF
    target.write_bytes(bytes(data))
    (layout / "wimboot").unlink()
    site.console.content.validate(x64, ["DP01"])
    site.run_until_idle()
    row = site.row(x64, "DP01")
    assert row.state == DpState.INSTALL_FAILED
    assert "PXE/boot.ipxe: damaged" in row.last_error and "PXE/wimboot: missing" in row.last_error


def test_without_wimboot_preflight_says_what_to_fetch_and_where_to_set_it(pxe_site) -> None:
    site, made, _ = pxe_site
    pid = made["x64"][0]
    site.console.content.add_distribution_points(pid, ["DP01"])
    site.run_until_idle()
    [job] = site.jobs(pid)
    assert job.state == JobState.FAILED
    assert job.completed_steps == ()  # nothing was sent
    row = site.row(pid, "DP01")
    assert WIMBOOT_URL in row.last_error and "bootimage settings --wimboot PATH" in row.last_error


def test_a_dp_no_longer_pxe_enabled_loses_its_layout(pxe_site, tmp_path: Path) -> None:
    site, made, _ = pxe_site
    pid = made["x64"][0]
    site.console.network_boot.set_wimboot_path(str(wimboot_stand_in(tmp_path / "wimboot")))
    distribute(site, [pid])
    root = site.dp_root("DP01")
    assert (root / "PXE" / "boot.ipxe").is_file()
    dp = site.console.distribution_points.get("DP01")
    site.console.distribution_points.edit("DP01", expected_version=dp.version, pxe=False)
    site.console.content.queue_update(pid)
    site.run_until_idle()
    assert not (root / "PXE").exists()
    assert not [p for p in root.iterdir() if p.name.startswith("PXE")]


def test_wimboot_setting_refuses_a_file_that_is_not_wimboot(console, tmp_path: Path) -> None:
    page = tmp_path / "wimboot"
    page.write_bytes(b"<!DOCTYPE html><html>Not Found</html>" + b" " * 20000)  # a saved error page
    from console.core.errors import ValidationError

    with pytest.raises(ValidationError, match="neither an EFI executable nor a Linux bzImage"):
        console.network_boot.set_wimboot_path(str(page))
    assert console.network_boot.settings().wimboot_path == ""
    good = wimboot_stand_in(tmp_path / "wimboot.efi")
    assert console.network_boot.set_wimboot_path(str(good)).value.ok
    assert hashlib.sha256(good.read_bytes()).hexdigest()


def test_removing_a_package_from_the_dp_takes_it_out_of_the_menu(pxe_site, tmp_path: Path) -> None:
    site, made, _ = pxe_site
    (x64, _), (x86, _) = made["x64"], made["x86"]
    site.console.network_boot.set_wimboot_path(str(wimboot_stand_in(tmp_path / "wimboot")))
    distribute(site, [x64, x86])
    layout = site.dp_root("DP01") / "PXE"
    assert x86 in (layout / "boot.ipxe").read_text()
    site.console.content.remove(x86, ["DP01"])
    site.run_until_idle()
    [removal] = [j for j in site.jobs(x86) if j.payload.get("action") == "remove"]
    assert removal.state == JobState.SUCCEEDED and removal.completed_steps == ("remove", "pxe")
    script = (layout / "boot.ipxe").read_text()
    assert x64 in script and x86 not in script
    assert not (layout / "images" / x86).exists()
