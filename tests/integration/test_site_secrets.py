"""The site secrets file: DP passwords outside the database, readable by its owner only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from console.distribution.secrets import (
    KeyringSecrets,
    SecretsError,
    SiteSecretsFile,
    default_secrets_path,
    site_secrets,
)

REPO = Path(__file__).resolve().parents[2]


def test_the_file_is_created_mode_0600_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        store = SiteSecretsFile(tmp_path / "site" / "secrets.json")
        store.set_password("smb:DP01", "Pa55word")
    finally:
        os.umask(old)
    assert (tmp_path / "site" / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "site").stat().st_mode & 0o077 == 0  # a new folder for it is private too
    assert SiteSecretsFile(tmp_path / "site" / "secrets.json").password("smb:DP01") == "Pa55word"
    store.forget("smb:DP01")
    assert store.password("smb:DP01") is None
    assert store.password("never-stored") is None


def test_a_file_others_can_read_is_refused_with_the_command_that_fixes_it(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"passwords": {"smb:DP01": "Pa55word"}}))
    path.chmod(0o644)
    store = SiteSecretsFile(path)
    with pytest.raises(SecretsError) as caught:
        store.password("smb:DP01")
    assert str(caught.value) == (f"the site secrets file {path} can be read by other users (mode 0644); "
                                 f"run chmod 600 {path}")
    with pytest.raises(SecretsError, match="chmod 600"):
        store.set_password("smb:DP02", "other")
    assert json.loads(path.read_text()) == {"passwords": {"smb:DP01": "Pa55word"}}  # left as it was
    path.chmod(0o600)
    assert store.password("smb:DP01") == "Pa55word"


def test_a_damaged_file_is_named_and_left_alone(tmp_path):
    path = tmp_path / "secrets.json"
    path.write_text('{"passwords": {"smb:DP01": ')
    path.chmod(0o600)
    with pytest.raises(SecretsError, match=f"the site secrets file {path} is not valid JSON .*; fix it or remove it"):
        SiteSecretsFile(path).set_password("smb:DP02", "x")
    assert path.read_text() == '{"passwords": {"smb:DP01": '


def test_a_rewrite_replaces_the_file_at_once_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "secrets.json"
    store = SiteSecretsFile(path)
    store.set_password("smb:DP01", "one")
    first = path.stat().st_ino
    store.set_password("smb:DP02", "two")
    assert path.stat().st_ino != first  # a new file renamed over the old one, never rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == [".secrets.json.lock", "secrets.json"]
    assert store.references() == ["smb:DP01", "smb:DP02"]


def test_two_writers_at_once_keep_every_password_and_readers_never_see_half_a_file(tmp_path):
    path = tmp_path / "secrets.json"
    SiteSecretsFile(path).set_password("seed", "0")
    script = ("import sys; from pathlib import Path; from console.distribution.secrets import SiteSecretsFile as S\n"
              "s = S(Path(sys.argv[1]))\n"
              "for i in range(40):\n"
              "    s.set_password(f'{sys.argv[2]}{i}', 'x' * 2000) if sys.argv[2] != 'read' else s.password('seed')\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), who], cwd=REPO, stderr=subprocess.PIPE)
             for who in ("a", "b", "read")]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    assert len(SiteSecretsFile(path).references()) == 81


def test_another_user_cannot_read_the_file(tmp_path):
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to try the file as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="bootimage-secrets-"))
    try:
        folder.chmod(0o755)  # the folder is open: only the file's own mode protects it
        path = folder / "secrets.json"
        SiteSecretsFile(path).set_password("smb:DP01", "Pa55word")
        as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "cat", str(path)]
        result = subprocess.run(as_nobody, capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode != 0
        assert "Permission denied" in result.stderr
        assert "Pa55word" not in result.stdout
    finally:
        shutil.rmtree(folder)


def test_where_the_file_is_by_default(tmp_path):
    data, config = tmp_path / "data", tmp_path / "config"
    assert default_secrets_path(tmp_path / "sites" / "ps1.db", data, config) == tmp_path / "sites" / "ps1-secrets.json"
    assert default_secrets_path(data / "site.db", data, config) == data / "secrets.json"
    assert default_secrets_path(None, data, config) == config / "secrets.json"  # PostgreSQL


# -- the desktop keyring: used only when a backend is really there ----------------------------------

KEYRING_PROBE = """
import json, sys
from pathlib import Path
from console.distribution.secrets import site_secrets, KeyringSecrets
store = site_secrets(Path(sys.argv[1]), use_keyring=True)
store.set_password("smb:DP01", "Pa55word")
print(json.dumps({"keyring": isinstance(store, KeyringSecrets), "password": store.password("smb:DP01")}))
"""

MEMORY_BACKEND = """
from keyring.backend import KeyringBackend

class MemoryKeyring(KeyringBackend):
    priority = 1
    store = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = "from-keyring:" + password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)
"""


def _probe(tmp_path: Path, backend: str) -> dict[str, object]:
    (tmp_path / "memory_keyring.py").write_text(MEMORY_BACKEND)
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": backend, "PYTHONPATH": f"{tmp_path}:{REPO}"}
    result = subprocess.run([sys.executable, "-c", KEYRING_PROBE, str(tmp_path / "secrets.json")], env=env,
                            capture_output=True, text=True, timeout=60, check=True, cwd=REPO)
    return dict(json.loads(result.stdout))


def test_without_a_keyring_backend_the_file_alone_is_used(tmp_path):
    assert _probe(tmp_path, "keyring.backends.fail.Keyring") == {"keyring": False, "password": "Pa55word"}
    assert SiteSecretsFile(tmp_path / "secrets.json").password("smb:DP01") == "Pa55word"


def test_with_a_keyring_the_password_goes_to_both_and_the_file_stays_the_workers_copy(tmp_path):
    assert _probe(tmp_path, "memory_keyring.MemoryKeyring") == {"keyring": True, "password": "from-keyring:Pa55word"}
    assert SiteSecretsFile(tmp_path / "secrets.json").password("smb:DP01") == "Pa55word"


def test_site_secrets_without_asking_for_the_keyring_is_the_file(tmp_path):
    store = site_secrets(tmp_path / "secrets.json")
    assert isinstance(store, SiteSecretsFile)
    assert not isinstance(store, KeyringSecrets)


# -- the site setting SecretsFile ---------------------------------------------------------------------


def test_the_secrets_file_is_a_site_setting_beside_the_database_by_default(site, cli_db_path, tmp_path):
    shown = json.loads(site("settings", "--json").stdout)
    assert shown["SecretsFile"] == str(cli_db_path.parent / "cli-secrets.json")
    elsewhere = tmp_path / "etc" / "dp-secrets.json"
    assert json.loads(site("settings", "--secrets-file", str(elsewhere), "--json").stdout)["SecretsFile"] == str(elsewhere)
    bad = site("settings", "--secrets-file", "secrets.json", check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "must be an absolute file path" in bad.stderr
    assert json.loads(site("settings", "--json").stdout)["SecretsFile"] == str(elsewhere)  # unchanged
    assert json.loads(site("settings", "--secrets-file", "", "--json").stdout)["SecretsFile"] == shown["SecretsFile"]


def test_the_console_opens_the_file_the_setting_names(tmp_path):
    from console.app import open_console

    console = open_console(f"sqlite:///{tmp_path / 'ps1.db'}", user="admin@host")
    try:
        console.sites.init("PS1", "Primary site")
        store = console.open_secrets()
        assert isinstance(store, SiteSecretsFile) and store.path == tmp_path / "ps1-secrets.json"
        console.settings.set_secrets_file(str(tmp_path / "shared" / "secrets.json"))
        console.open_secrets().set_password("smb:DP01", "Pa55word")
        assert SiteSecretsFile(tmp_path / "shared" / "secrets.json").password("smb:DP01") == "Pa55word"
        assert b"Pa55word" not in (tmp_path / "ps1.db").read_bytes()
    finally:
        console.engine.dispose()


def test_a_worker_that_may_not_read_the_file_is_told_so(tmp_path):
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="bootimage-secrets-"))
    try:
        folder.chmod(0o755)
        path = folder / "secrets.json"
        SiteSecretsFile(path).set_password("smb:DP01", "Pa55word")  # owned by root, not by the worker
        script = ("import sys; from pathlib import Path; from console.distribution.secrets import SiteSecretsFile\n"
                  "try:\n    SiteSecretsFile(Path(sys.argv[1])).password('smb:DP01')\n"
                  "except Exception as e:\n    print(e)\n")
        as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", script, str(path)]
        result = subprocess.run(as_nobody, capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
        if "No module named" in result.stderr:
            pytest.skip("user nobody cannot reach this checkout or its .venv")
        assert result.stdout.strip() == f"cannot read the site secrets file {path}: Permission denied"
    finally:
        shutil.rmtree(folder)
