"""InputLocale: known Windows input locales only; BackgroundBitmapPath: UNC or absolute BMP/JPEG."""

from __future__ import annotations

import pytest

from console.core.errors import ValidationError
from console.core.validation import background_file_problem, background_path_problem
from console.metadata.input_locales import load_input_locales


def test_the_input_locale_list_is_loaded_and_checked():
    locales = load_input_locales()
    assert len(locales) >= 50
    assert locales.find("EN-us").profile == "0409:00000409"
    assert locales.find("0407:00000407").tag == "de-DE"
    locales.check("")
    locales.check("ru-RU")
    with pytest.raises(ValidationError, match=r"did you mean .*fr-FR"):
        locales.check("fr-FX")


@pytest.mark.parametrize(("path", "ok"), [
    (r"\\server\share\bg.jpg", True), ("C:\\bg.jpeg", True), ("/srv/pxe/bg.BMP", True),
    ("bg.jpg", False), (r"\\server\bg.jpg", False), (r"\\server\share\bg.png", False),
])
def test_background_path_forms(path, ok):
    assert (background_path_problem(path) is None) == ok


def test_background_file_header_is_checked_when_reachable(tmp_path):
    jpeg = tmp_path / "a.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + bytes(20))
    png = tmp_path / "b.jpg"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert background_file_problem(str(jpeg)) is None
    assert "not a BMP or JPEG" in (background_file_problem(str(png)) or "")
    assert background_file_problem(str(tmp_path / "missing.jpg")) is None, "unreachable files are not judged"
