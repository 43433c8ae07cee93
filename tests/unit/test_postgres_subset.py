"""The named PostgreSQL subset of `make test` (tests/conftest.py) names tests that exist."""

from __future__ import annotations

import re

from tests.conftest import POSTGRES_DEFAULT_SUBSET, REPO


def test_every_test_named_in_the_postgresql_subset_exists_in_a_module_that_runs_on_both():
    for module, names in POSTGRES_DEFAULT_SUBSET.items():
        source = (REPO / "tests" / "integration" / module).read_text()
        defined = set(re.findall(r"^def (test_\w+)\(", source, re.MULTILINE))
        assert names <= defined, f"{module}: no such tests {sorted(names - defined)}"
        assert any(word in source for word in ("both_databases", "site_db", "job_site", "database_kind")), module
