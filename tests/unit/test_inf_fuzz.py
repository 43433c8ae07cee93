"""Whatever bytes an INF holds, the parser answers with an InfFile or an InfError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.core.drivers import InfError
from console.drivers.inf import InfFile, parse_inf
from tests.driver_fixtures import LOCAL_INF

REAL = sorted(p for p in LOCAL_INF.glob("*.inf") if p.stat().st_size < 20_000)
INF_ALPHABET = st.sampled_from([
    *'[]=,;"%\\\r\n\t $.', "Version", "Signature", "$Windows NT$", "Class", "Net", "Manufacturer", "Strings",
    "NTamd64", "NT$ARCH$", "DriverVer", "01/02/2024", "CatalogFile", "%Mfg%", "Models", "é", "\x00", "\x1a",
])
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(data: bytes) -> InfFile | InfError:
    """Parse, then apply the device-driver check; only InfError may escape, naming the file."""
    try:
        inf = parse_inf(data, "fuzz.inf")
        inf.require_device_driver()
    except InfError as exc:
        error = exc
    else:
        return inf
    assert error.message.startswith("fuzz.inf")
    return error


@FUZZ
@given(st.lists(INF_ALPHABET, max_size=120))
def test_inf_like_text_never_crashes(tokens):
    text = "".join(tokens)
    for encoding in ("utf-8", "utf-16"):
        outcome(text.encode(encoding, errors="surrogatepass"))


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data):
    outcome(data)


@FUZZ
@given(
    st.sampled_from(REAL),
    st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(["delete", "insert", "replace"]), st.binary(min_size=1, max_size=4)),
             min_size=1, max_size=8),
)
def test_mutated_real_inf_never_crashes(path: Path, edits):
    data = bytearray(path.read_bytes())
    for position, kind, chunk in edits:
        at = position % (len(data) + 1)
        if kind == "delete":
            del data[at:at + len(chunk)]
        elif kind == "insert":
            data[at:at] = chunk
        else:
            data[at:at + len(chunk)] = chunk
    outcome(bytes(data))


@FUZZ
@given(st.sampled_from(REAL), st.data())
def test_real_inf_with_mangled_lines_never_crashes(path: Path, data):
    inf = parse_inf(path.read_bytes(), "fuzz.inf")
    text = path.read_bytes().decode(inf.encoding)
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        index = data.draw(st.integers(min_value=0, max_value=max(len(lines) - 1, 0)))
        junk = data.draw(st.sampled_from(['"', "%", "\\", "]", "[", ";", "=", ",", "%%", '"%', "%x"]))
        cut = data.draw(st.integers(min_value=0, max_value=len(lines[index]) if lines else 0))
        if lines:
            lines[index] = lines[index][:cut] + junk + lines[index][cut:]
    outcome("\r\n".join(lines).encode("utf-8"))
