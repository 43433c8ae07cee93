"""One data folder: the default site database lives where the samples and screenshots go."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.paths import data_dir
from console.storage.engine import default_database_url


def test_default_site_database_is_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BOOTIMAGE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_dir() == tmp_path / "bootimage-console"
    assert default_database_url() == f"sqlite:///{tmp_path / 'bootimage-console' / 'site.db'}"
