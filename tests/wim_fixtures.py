"""Real WIM files for tests, built with wimlib-imagex (and 7-Zip), plus wimlib's own view
of a file for cross-checks. Loaded by tests/conftest.py through ``pytest_plugins``."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.wim.capture import ImageSpec, capture, write_tree

REPO = Path(__file__).resolve().parent.parent
SHARED_WIMS = REPO.parent / "shared" / "testdata" / "wim"
SHARED_WIMXML = REPO.parent / "shared" / "testdata" / "wimxml"

WINPE_X86 = ImageSpec("Microsoft Windows PE (x86)", "Microsoft Windows PE (x86)", "x86", (10, 0, 19041, 1),
                      languages=("en-US", "de-DE"), display_name="Windows PE 10 (x86)", payload_kib=48)
WINPE_X64 = ImageSpec("Microsoft Windows PE (x64)", "Microsoft Windows PE (x64)", "x64", (10, 0, 26100, 1),
                      display_name="Windows PE 11 (x64)", payload_kib=48)
WINDOWS_PRO = ImageSpec("Windows 11 Pro", "Windows 11 Pro", "x64", (10, 0, 26100, 2314), edition_id="Professional",
                        installation_type="Client", flags="Professional", payload_kib=16)


def require_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"{name} is not installed (wimlib-imagex: Debian package wimtools; 7zz: 7-Zip)")
    return tool


class WimBuilder:
    """Builds each named WIM once per session (callers copy a file before changing it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def build(self, name: str, images: Sequence[ImageSpec], **options: Any) -> Path:
        require_tool("wimlib-imagex")
        path = self.folder / name
        if not path.exists():
            capture(path, images, **options)
        return path

    def sevenzip(self, name: str, spec: ImageSpec = WINPE_X64) -> Path:
        """A WIM written by 7-Zip (`7zz a -twim`): a second, independent producer."""
        tool = require_tool("7zz")
        path = self.folder / name
        if not path.exists():
            tree = write_tree(self.folder / f"{name}.tree", spec)
            subprocess.run([tool, "a", "-twim", str(path), "Windows", "sources"], cwd=tree,
                           check=True, capture_output=True, timeout=120)
        return path


@pytest.fixture(scope="session")
def wim_builder(tmp_path_factory: pytest.TempPathFactory) -> WimBuilder:
    return WimBuilder(tmp_path_factory.mktemp("wims"))


@pytest.fixture(scope="session")
def winpe_x64_wim(wim_builder: WimBuilder) -> Path:
    """A one-image WinPE 11 x64 boot.wim (LZX, boot index 1)."""
    return wim_builder.build("winpe-x64.wim", [WINPE_X64])


@pytest.fixture(scope="session")
def winpe_x86_wim(wim_builder: WimBuilder) -> Path:
    return wim_builder.build("winpe-x86.wim", [WINPE_X86])


@pytest.fixture(scope="session")
def multi_image_wim(wim_builder: WimBuilder) -> Path:
    """Image 1: WinPE 10 x86, image 2: WinPE 11 x64 (boot index 2)."""
    return wim_builder.build("multi.wim", [WINPE_X86, WINPE_X64], boot_index=2)


@pytest.fixture(scope="session")
def install_wim(wim_builder: WimBuilder) -> Path:
    """A client install image (Windows 11 Pro), not Windows PE."""
    return wim_builder.build("install.wim", [WINDOWS_PRO], boot_index=None)


@pytest.fixture
def wim_copy(tmp_path: Path) -> Callable[[Path, str], Path]:
    """Copy a session WIM into this test's folder (to replace or damage it)."""

    def copy(source: Path, name: str = "boot.wim") -> Path:
        target = tmp_path / name
        shutil.copyfile(source, target)
        return target

    return copy


def shared_wims() -> list[Path]:
    return sorted(SHARED_WIMS.glob("*.wim")) if SHARED_WIMS.is_dir() else []


# -- wimlib's view of a file, for cross-checks ------------------------------------------------

_WIMLIB_ARCH = {"x86": "x86", "x86_64": "x64", "ia64": "ia64", "ARM64": "arm64"}


def wimlib_xml(path: Path) -> str:
    out = subprocess.run([require_tool("wimlib-imagex"), "info", "--xml", str(path)],
                         check=True, capture_output=True, timeout=60).stdout
    return out.decode("utf-16")  # strips the BOM


def wimlib_info(path: Path) -> dict[str, Any]:
    """`wimlib-imagex info` parsed: header fields plus one dict per image."""
    text = subprocess.run([require_tool("wimlib-imagex"), "info", str(path)],
                          check=True, capture_output=True, text=True, timeout=60).stdout
    header_text, _, images_text = text.partition("Available Images:")
    header = dict(re.findall(r"^([A-Za-z ]+):\s*(.*?)\s*$", header_text, re.M))
    images = []
    for block in re.split(r"\n(?=Index:)", images_text.split("-----------------", 1)[-1].strip()):
        fields = dict(re.findall(r"^([A-Za-z ]+):[ \t]*(.*?)[ \t]*$", block, re.M))
        if fields:
            images.append(fields)
    return {"header": header, "images": images}


def wimlib_time(text: str) -> datetime:
    return datetime.strptime(text, "%a %b %d %H:%M:%S %Y UTC").replace(tzinfo=UTC)


def assert_matches_wimlib(info: Any, path: Path) -> None:
    """The reader's WimInfo says what wimlib-imagex says about the same file."""
    theirs = wimlib_info(path)
    header = theirs["header"]
    assert info.guid == header["GUID"].removeprefix("0x")
    assert info.version == int(header["Version"])
    assert info.image_count == int(header["Image Count"])
    assert info.compression.lower() == header["Compression"].lower()
    assert f"{info.chunk_size} bytes" == header["Chunk Size"]
    assert f"{info.part_number}/{info.total_parts}" == header["Part Number"]
    assert info.boot_index == int(header["Boot Index"])
    assert info.pipable == ("Pipable" in header.get("Attributes", ""))
    assert len(info.images) == len(theirs["images"])
    for mine, image in zip(info.images, theirs["images"], strict=True):
        assert mine.index == int(image["Index"])
        assert mine.name == image.get("Name", "")
        assert mine.description == image.get("Description", "")
        assert mine.display_name == image.get("Display Name", "")
        assert mine.dir_count == int(image["Directory Count"])
        assert mine.file_count == int(image["File Count"])
        assert mine.total_bytes == int(image["Total Bytes"])
        assert (mine.hard_link_bytes or 0) == int(image["Hard Link Bytes"])  # wimlib shows a missing value as 0
        assert mine.creation_time is not None and mine.creation_time.replace(microsecond=0) == wimlib_time(image["Creation Time"])
        assert mine.modification_time is not None
        assert mine.modification_time.replace(microsecond=0) == wimlib_time(image["Last Modification Time"])
        assert mine.architecture == _WIMLIB_ARCH.get(image.get("Architecture", ""), "")
        assert mine.edition_id == image.get("Edition ID", "")
        assert mine.installation_type == image.get("Installation Type", "")
        assert list(mine.languages) == image.get("Languages", "").split()
        assert mine.default_language == image.get("Default Language", "")
        assert mine.product_name == image.get("Product Name", "")
        assert mine.flags == image.get("Flags", "")
        if "Major Version" in image:
            parts = [image[k] for k in ("Major Version", "Minor Version", "Build", "Service Pack Build")]
            assert mine.os_version == ".".join(parts)
            assert (mine.sp_level or 0) == int(image["Service Pack Level"])
        else:
            assert mine.os_version == ""
    assert info.xml == wimlib_xml(path)
