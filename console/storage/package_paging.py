"""Reading one page of the package list at any position, fast at 1M packages.

Every sortable column has an index in the list's order (migration 0010: strings as
``lower(column)``, then ``package_id``, then ``folder_id``). A page is read in two steps: the
keys of the page (``package_id`` only: the walk stays inside the index, even under OFFSET),
then the page's columns for those 200 keys. Three ways keep the walk short:

- **keyset** (``PackageQuery.after``): the page starts right after a known row
  (``(expr, package_id) > (lower(value), id)``), so scrolling down reads from where the
  block above ended;
- **from the end** (``PackageQuery.total``): a page in the back half is read in reverse order
  with a small offset (the last page, Ctrl+End, is a reverse LIMIT), then turned around;
- **OFFSET** over the key-only index walk for what is left (a jump to the middle walks at
  most half the list, inside the index).

NULLs (SourceDate) sort first ascending on SQLite and last on PostgreSQL, as each database's
``ORDER BY`` does; the keyset condition follows the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, Text, and_, func, literal, or_, tuple_

from console.core.ports import PackageQuery
from console.storage.schema import SORTED_COLUMNS, PackageRow

INDEXED = {key for key, _lower in SORTED_COLUMNS}


@dataclass(frozen=True)
class PagePlan:
    order: list[Any]  # ORDER BY of the key walk
    offset: int
    limit: int | None
    reverse: bool  # the walk runs backwards: turn the rows around
    condition: ColumnElement[bool] | None  # the keyset condition
    index: str | None  # the sort index the key walk should use (None: the planner chooses)


def sort_expression(attr_name: str) -> Any:
    attr = getattr(PackageRow, attr_name)
    if isinstance(attr.type, (String, Text)):
        return func.lower(attr)  # administrators expect "alpha" before "Bravo"
    return attr


def plan_page(query: PackageQuery, attr_name: str, dialect: str) -> PagePlan:
    expr = sort_expression(attr_name)
    offset, limit = query.offset, query.limit
    reverse = (query.after is None and query.total is not None and limit is not None
               and offset > 0 and 2 * offset + limit > query.total)
    if reverse and query.total is not None and limit is not None:
        end = min(offset + limit, query.total)
        offset, limit = max(query.total - end, 0), max(end - offset, 0)
    descending = query.descending != reverse
    order = [expr.desc() if descending else expr.asc(),
             PackageRow.package_id.desc() if descending else PackageRow.package_id.asc()]
    condition = None if query.after is None else after_condition(expr, attr_name, query.after, descending, dialect)
    index = f"ix_boot_image_package_sort_{attr_name}" if attr_name in INDEXED else None
    return PagePlan(order, offset, limit, reverse, condition, index)


def after_condition(expr: Any, attr_name: str, after: tuple[Any, str], descending: bool, dialect: str) -> ColumnElement[bool]:
    """Rows that come after the row (``after`` = sort value, package id) in the list's order."""
    value, package_id = after
    pid = PackageRow.package_id
    nulls_first = (dialect == "sqlite") != descending  # SQLite: NULL is smallest; PostgreSQL: largest
    if value is None:
        same = and_(expr.is_(None), pid < package_id if descending else pid > package_id)
        return or_(same, expr.is_not(None)) if nulls_first else same
    attr = getattr(PackageRow, attr_name)
    bound: Any = literal(value, attr.type)
    if isinstance(attr.type, (String, Text)):
        bound = func.lower(bound)
    pair = tuple_(expr, pid)
    beyond = pair < tuple_(bound, literal(package_id)) if descending else pair > tuple_(bound, literal(package_id))
    return beyond if nulls_first else or_(beyond, expr.is_(None))
