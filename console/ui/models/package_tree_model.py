"""Tree of boot image packages: packages as rows, their images, components and drivers below.

The model adapts the service layer. It knows how many packages match (one count
query) and loads rows in blocks of ``BLOCK_SIZE`` in the background when the view
asks for them, so a site with 100,000 packages opens at once and scrolling to the
end loads only the last block. Rows not loaded yet show "Loading…". Children of a
package (lazy properties) are fetched when the row is expanded. Sorting and
filtering re-query the database.

At 1M packages the model stays small: at most ``MAX_BLOCKS`` blocks are kept (the ones
farthest from the block just loaded are dropped, unless a package in them is unfolded) and
read again when scrolled back to; counts and lookups walk only the kept blocks. A block
right below a kept one is read by keyset (after its last row); others by position, from
the end of the list when that is nearer (the last block, Ctrl+End, is a reverse LIMIT).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal

from console.core.classdef import ClassDef
from console.core.instance import Instance
from console.core.ports import PackageQuery
from console.ui.icons import icon
from console.ui.models.package_columns import COLUMNS, LIST_LAZY_PROPERTIES, cell_text
from console.ui.models.package_nodes import Node, NodeKind
from console.ui.models.roles import NodeKindRole, PackageIdRole, PackageRole
from console.ui.tasks import TaskRunner

PACKAGE_MIME = "application/x-bootimage-package-ids"
DISPLAY = Qt.ItemDataRole.DisplayRole
DECORATION = Qt.ItemDataRole.DecorationRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGNMENTS = [column.alignment() for column in COLUMNS]
PACKAGE_KIND = NodeKind.PACKAGE.value
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
PACKAGE_FLAGS = ROW_FLAGS | Qt.ItemFlag.ItemIsDragEnabled
LEAF_FLAGS = ROW_FLAGS | Qt.ItemFlag.ItemNeverHasChildren
BLOCK_SIZE = 200
MAX_BLOCKS = 10  # rows kept loaded: 2,000 (the view shows at most a few hundred)
Index = QModelIndex | QPersistentModelIndex


@dataclass
class ListScope:
    """What the list shows: a folder (``None`` = all packages), filter text, sort."""

    folder_id: int | None = 0
    recursive: bool = False
    text: str = ""
    sort: str = "Name"
    descending: bool = False
    generation: int = field(default=0, compare=False)


class PackageTreeModel(QAbstractItemModel):
    loading_changed = Signal(bool)
    totals_changed = Signal(int, int)  # loaded rows, total matching rows
    load_failed = Signal(object)

    def __init__(
        self,
        packages: Any,
        cls: ClassDef,
        tasks: TaskRunner,
        load_children: Callable[[str], Sequence[Node]],
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._packages = packages
        self._cls = cls
        self._tasks = tasks
        self._load_children = load_children
        self._root = Node(NodeKind.ROOT, "")
        self._rows: list[Node | None] = []
        self._scope = ListScope()
        self._blocks_loading: set[int] = set()
        self._blocks_loaded: set[int] = set()
        self._loading_children: set[str] = set()
        self._count: int | None = None

    # -- scope -----------------------------------------------------------------------------

    @property
    def scope(self) -> ListScope:
        return self._scope

    @property
    def total(self) -> int:
        return len(self._rows)

    @property
    def loaded(self) -> int:
        """Rows loaded now (a walk over the kept blocks only)."""
        return len(self._loaded_nodes())

    @property
    def count_known(self) -> bool:
        """Whether the match count of the current scope has arrived (the status bar shows it)."""
        return self._count is not None

    @property
    def loaded_blocks(self) -> frozenset[int]:
        return frozenset(self._blocks_loaded)

    def set_scope(self, **changes: Any) -> None:
        """Change folder/filter/sort and re-query from the first block."""
        self._scope = replace(self._scope, generation=self._scope.generation + 1, **changes)
        self.reload()

    def reload(self) -> None:
        self._scope = replace(self._scope, generation=self._scope.generation + 1)
        self._blocks_loading.clear()
        self._loading_children.clear()
        self._count = None  # the count runs beside the first block (two workers)
        self._request_block(0, reset=True)
        generation, query = self._scope.generation, self._query(0)
        self._tasks.run(lambda ctx: self._packages.count(query),
                        on_success=lambda total: self._counted(generation, total),
                        on_error=lambda exc: self._block_failed(generation, -1, exc), description="")

    def _query(self, block: int, *, keyset: bool = True) -> PackageQuery:
        s = self._scope
        after = None
        if keyset and block - 1 in self._blocks_loaded:
            previous = self._rows[block * BLOCK_SIZE - 1] if block * BLOCK_SIZE - 1 < len(self._rows) else None
            if previous is not None and previous.package is not None and s.sort in previous.package:
                after = (previous.package[s.sort], previous.package["PackageID"])
        return PackageQuery(
            text=s.text, folder_id=s.folder_id, recursive=s.recursive, sort=s.sort, descending=s.descending,
            offset=0 if after else block * BLOCK_SIZE, limit=BLOCK_SIZE, include=LIST_LAZY_PROPERTIES,
            total=None if after else self._count, after=after,
        )

    def _request_block(self, block: int, *, reset: bool = False) -> None:
        if block in self._blocks_loading:
            return
        self._blocks_loading.add(block)
        generation = self._scope.generation
        query = self._query(block)
        self.loading_changed.emit(True)
        self._tasks.run(
            lambda ctx: self._packages.query(query, count=False),
            on_success=lambda page: self._block_loaded(generation, block, page, reset),
            on_error=lambda exc: self._block_failed(generation, block, exc),
            description="Loading boot images" if reset else "",
        )

    def _block_loaded(self, generation: int, block: int, page: Any, reset: bool) -> None:
        if generation != self._scope.generation:
            return  # an older query; the scope changed meanwhile
        self._blocks_loading.discard(block)
        if reset:
            # Show the first rows at once; the parallel count extends the list when it arrives
            # (a short first block is the whole result).
            rows = len(page.items) if len(page.items) < BLOCK_SIZE else max(len(page.items), self._count or 0)
            self.beginResetModel()
            self._root = Node(NodeKind.ROOT, "")
            self._rows = [None] * rows
            self._blocks_loaded.clear()
            self.endResetModel()
        first = block * BLOCK_SIZE
        for offset, package in enumerate(page.items):
            row = first + offset
            if row >= len(self._rows):
                break
            node = self._rows[row]
            if node is None:
                self._rows[row] = self._package_node(row, package)
            else:
                node.package, node.label, node.texts = package, package["Name"], None
        if page.items:
            self._blocks_loaded.add(block)
            self._drop_far_blocks(block)
        if page.items and not reset:
            last = min(first + len(page.items), len(self._rows)) - 1
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.loading_changed.emit(bool(self._blocks_loading))
        self.totals_changed.emit(self.loaded, self.total)

    def _drop_far_blocks(self, near: int) -> None:
        """Keep at most MAX_BLOCKS blocks: forget the rows of those farthest from ``near``
        (they show "Loading…" and are read again when painted). Blocks with an unfolded
        package are kept."""
        candidates = sorted((b for b in self._blocks_loaded if b != near), key=lambda b: abs(b - near), reverse=True)
        for block in candidates:
            if len(self._blocks_loaded) <= MAX_BLOCKS:
                break
            rows = range(block * BLOCK_SIZE, min((block + 1) * BLOCK_SIZE, len(self._rows)))
            if any((node := self._rows[row]) is not None and node.children_loaded for row in rows):
                continue
            for row in rows:
                self._rows[row] = None
            self._blocks_loaded.discard(block)

    def _counted(self, generation: int, total: int) -> None:
        if generation != self._scope.generation:
            return
        self._count = total
        if 0 in self._blocks_loading:
            return  # the first block is still on its way; it will use the count
        current = len(self._rows)
        if total > current:
            self.beginInsertRows(QModelIndex(), current, total - 1)
            self._rows.extend([None] * (total - current))
            self.endInsertRows()
        elif total < current and current >= BLOCK_SIZE:
            self.reload()  # packages were removed meanwhile
            return
        self.totals_changed.emit(self.loaded, self.total)

    def _package_node(self, row: int, package: Instance | None) -> Node:
        node = Node(NodeKind.PACKAGE, package["Name"] if package else "Loading…", package=package)
        node.parent, node.row = self._root, row
        return node

    def _block_failed(self, generation: int, block: int, exc: BaseException) -> None:
        if generation == self._scope.generation:
            self._blocks_loading.discard(block)
            self.loading_changed.emit(bool(self._blocks_loading))
            self.load_failed.emit(exc)

    def _row_node(self, row: int) -> Node:
        """The node of a top-level row; a placeholder until its block is loaded."""
        node = self._rows[row]
        if node is None:
            node = self._rows[row] = self._package_node(row, None)
        return node

    def _index_of(self, node: Node, column: int = 0) -> QModelIndex:
        """Indexes carry their *parent* node as internal pointer, so a top-level index needs no
        node of its own (the view lays out 100,000 rows without creating 100,000 objects)."""
        return self.createIndex(node.row, column, node.parent or self._root)

    def _loaded_nodes(self) -> list[Node]:
        nodes = []
        for block in sorted(self._blocks_loaded):
            for node in self._rows[block * BLOCK_SIZE:(block + 1) * BLOCK_SIZE]:
                if node is not None and node.package is not None:
                    nodes.append(node)
        return nodes

    def names(self) -> dict[str, str]:
        """PackageID → Name of the loaded rows."""
        return {n.package_id: n.label for n in self._loaded_nodes() if n.package_id}

    # -- updates from services -----------------------------------------------------------------

    def refresh_packages(self, package_ids: Sequence[str]) -> None:
        """Re-read changed packages that are on screen (in the background). The loaded blocks
        are queried again in the list's sort order, so an edited row moves to its sorted place
        (a layout change: selection and unfolded rows follow their packages)."""
        if not any(node.package_id in package_ids for node in self._loaded_nodes()):
            return
        generation = self._scope.generation
        blocks = sorted({node.row // BLOCK_SIZE for node in self._loaded_nodes()})
        queries = [(block, self._query(block, keyset=False)) for block in blocks]
        self._tasks.run(
            lambda ctx: [(block, self._packages.query(query, count=False)) for block, query in queries],
            on_success=lambda pages: self._window_reloaded(generation, pages, set(package_ids)),
            on_error=lambda exc: None,
            description="",
        )

    def _window_reloaded(self, generation: int, pages: Sequence[tuple[int, Any]], changed: set[str]) -> None:
        if generation != self._scope.generation:
            return  # the list was queried again meanwhile
        fresh: dict[int, Instance] = {}
        for block, page in pages:
            if len(page.items) < min(BLOCK_SIZE, len(self._rows) - block * BLOCK_SIZE):
                self.reload()  # packages were removed meanwhile: start over
                return
            for offset, package in enumerate(page.items):
                if block * BLOCK_SIZE + offset < len(self._rows):
                    fresh[block * BLOCK_SIZE + offset] = package
        by_id = {node.package_id: node for node in self._loaded_nodes()}
        moved = any((self._rows[row] is None or self._rows[row].package_id != package["PackageID"])  # type: ignore[union-attr]
                    for row, package in fresh.items())
        if not moved:
            for row, package in fresh.items():
                node = self._rows[row]
                assert node is not None
                if package["PackageID"] in changed:
                    self._update_node(node, package)
            return
        self.layoutAboutToBeChanged.emit()
        old_rows = list(self._rows)
        for row, package in fresh.items():
            node = by_id.pop(package["PackageID"], None) or self._package_node(row, package)
            node.row = row
            node.package, node.label, node.texts = package, package["Name"], None
            self._rows[row] = node
        for node in by_id.values():  # moved out of the loaded rows: read again when shown
            node.row = -1
        before, after = [], []
        for index in self.persistentIndexList():
            if index.internalPointer() is not self._root:
                continue  # children keep their row under their (moved) package
            old = old_rows[index.row()] if index.row() < len(old_rows) else None
            if old is not None:
                before.append(index)
                after.append(self.createIndex(old.row, index.column(), self._root) if old.row >= 0 else QModelIndex())
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        for node in self._loaded_nodes():
            if node.package_id in changed and node.children_loaded:
                self.refresh_children(self._index_of(node))

    def _update_node(self, node: Node, package: Instance) -> None:
        node.package, node.label, node.texts = package, package["Name"], None
        index = self._index_of(node)
        self.dataChanged.emit(index, index.siblingAtColumn(len(COLUMNS) - 1))
        if node.children_loaded:
            self.refresh_children(index)

    def remove_packages(self, package_ids: Sequence[str]) -> None:
        if any(node.package_id in package_ids for node in self._loaded_nodes()):
            self.reload()

    # -- children (lazy) -------------------------------------------------------------------

    def refresh_children(self, index: QModelIndex) -> None:
        node = self.node(index)
        if node.kind == NodeKind.PACKAGE and not node.children_loaded:
            return
        if node.kind == NodeKind.PACKAGE:
            self._drop_children(node)
            self.fetchMore(index)

    def _drop_children(self, node: Node) -> None:
        if node.children:
            parent = self._index_of(node)
            self.beginRemoveRows(parent, 0, len(node.children) - 1)
            node.children.clear()
            self.endRemoveRows()
        node.children_loaded = False

    def _children_loaded(self, package_id: str, children: Sequence[Node]) -> None:
        self._loading_children.discard(package_id)
        node = next((n for n in self._loaded_nodes() if n.package_id == package_id), None)
        if node is None or node.children_loaded:
            return
        node.children_loaded = True
        if children:
            parent = self._index_of(node)
            self.beginInsertRows(parent, 0, len(children) - 1)
            for child in children:
                node.append(child)
            self.endInsertRows()

    # -- Qt API ----------------------------------------------------------------------------

    def node(self, index: Index) -> Node:
        if not index.isValid():
            return self._root
        parent = index.internalPointer()
        assert isinstance(parent, Node)
        if parent is self._root:
            return self._row_node(index.row())
        return parent.children[index.row()]

    def _is_unloaded_top(self, index: Index) -> bool:
        if not index.isValid() or index.internalPointer() is not self._root:
            return False
        node = self._rows[index.row()] if index.row() < len(self._rows) else None
        return node is None or node.package is None

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, self._root) if row < len(self._rows) else QModelIndex()
        parent_node = self.node(parent)
        if parent.column() != 0 or row >= len(parent_node.children):
            return QModelIndex()
        return self.createIndex(row, column, parent_node)

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent = index.internalPointer()
        if parent is None or parent is self._root:
            return QModelIndex()
        assert isinstance(parent, Node)
        return self._index_of(parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._rows)
        if parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return bool(self._rows)
        if parent.column() != 0:
            return False
        if self._is_unloaded_top(parent):
            return True  # every package has Images, Optional components and Drivers
        node = self.node(parent)
        if node.kind == NodeKind.PACKAGE:
            return not node.children_loaded or bool(node.children)
        return bool(node.children)

    def canFetchMore(self, parent: Index) -> bool:
        if self._is_unloaded_top(parent):
            return False
        node = self.node(parent)
        if node.kind == NodeKind.PACKAGE and node.package is not None:
            return not node.children_loaded and node.package_id not in self._loading_children
        return False

    def fetchMore(self, parent: Index) -> None:
        node = self.node(parent)
        if node.kind == NodeKind.PACKAGE and node.package_id and self.canFetchMore(parent):
            pid = node.package_id
            self._loading_children.add(pid)
            self._tasks.run(
                lambda ctx: self._load_children(pid),
                on_success=lambda nodes: self._children_loaded(pid, nodes),
                on_error=lambda exc: self._loading_children.discard(pid),
                description=f"Loading {pid}",
            )

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        parent = index.internalPointer()
        col = index.column()
        if parent is self._root:
            return self.row_data(index.row(), col, role)
        node = self.node(index)
        column = COLUMNS[col]
        if role == DISPLAY:
            return node.label if col == 0 else node.columns.get(column.key, "")
        if role == ALIGNMENT:
            return ALIGNMENTS[col]
        if role == DECORATION and col == 0 and node.icon:
            return icon(node.icon)
        if role == TOOLTIP:
            return node.tooltip or None
        if role == NodeKindRole:
            return node.kind.value
        if role == PackageIdRole:
            return node.ancestor_package_id()
        return None

    def row_data(self, row: int, col: int, role: int) -> Any:
        """Data of a package (top-level) row without building an index: the hot path while
        painting a 100,000-row list (``FlatTreeProxy`` calls it directly)."""
        node = self._rows[row] if row < len(self._rows) else None
        if node is None or node.package is None:
            if role != DISPLAY:
                return None
            self._request_block(row // BLOCK_SIZE)  # only rows the view paints ask for data
            return "Loading…" if col == 0 else ""
        if role == DISPLAY:
            if node.texts is None:
                node.texts = [cell_text(self._cls, column, node.package) for column in COLUMNS]
            return node.texts[col]
        return self._package_data(node.package, col, role)

    def _package_data(self, package: Instance, col: int, role: int) -> Any:
        if role == ALIGNMENT:
            return ALIGNMENTS[col]
        if role == DECORATION and col == 0:
            arch = package.get("Architecture") or ""
            return icon(f"boot-image-{arch}" if arch in ("x86", "x64") else "boot-image")
        if role == TOOLTIP and col == 0:
            return f"{package['PackageID']}: {package['Name']}\n{package.get('ImagePath') or ''}"
        if role == PackageIdRole:
            return package["PackageID"]
        if role == PackageRole:
            return package
        if role == NodeKindRole:
            return PACKAGE_KIND
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].header
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return COLUMNS[section].alignment()
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if index.internalPointer() is self._root:
            return self.row_flags(index.row())
        return ROW_FLAGS if self.node(index).children else LEAF_FLAGS

    def row_flags(self, row: int) -> Qt.ItemFlag:
        node = self._rows[row] if row < len(self._rows) else None
        return ROW_FLAGS if node is None or node.package is None else PACKAGE_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS):
            self.set_scope(sort=COLUMNS[column].property, descending=order == Qt.SortOrder.DescendingOrder)

    def mimeTypes(self) -> list[str]:
        return [PACKAGE_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = []
        for index in indexes:
            node = self.node(index)
            if node.kind == NodeKind.PACKAGE and node.package_id and node.package_id not in ids:
                ids.append(node.package_id)
        data = QMimeData()
        data.setData(PACKAGE_MIME, "\n".join(ids).encode("utf-8"))
        data.setText("\n".join(ids))
        return data

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction
