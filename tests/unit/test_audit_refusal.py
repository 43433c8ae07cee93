"""What a refused statement tried, for the refusal's audit record (no database needed)."""

from __future__ import annotations

import pytest

from console.storage.audit_repository import refused_statement


@pytest.mark.parametrize(("statement", "parameters", "expected"), [
    (("UPDATE boot_image_package SET description=%(description)s WHERE boot_image_package.package_id = "
     "%(package_id_1)s AND boot_image_package.sedo_object_version = %(sedo_object_version_1)s"),
     {"description": "x", "package_id_1": "PS100001", "sedo_object_version_1": "V"}, ("UPDATE boot_image_package", "PS100001")),
    ("INSERT INTO driver (ci_id, name) VALUES (%(ci_id)s, %(name)s)", [{"ci_id": 16777217, "name": "e1000"}],
     ("INSERT driver", "16777217")),
    ('DELETE FROM "site_setting" WHERE site_setting.key = %(key_1)s', {"key_1": "AdkFolder"}, ("DELETE site_setting", "AdkFolder")),
    ("TRUNCATE audit_record", None, ("TRUNCATE audit_record", "")),
    ("not sql at all", {}, ("", "")),
])
def test_the_verb_table_and_object_of_a_refused_statement(statement, parameters, expected):
    assert refused_statement(statement, parameters) == expected
