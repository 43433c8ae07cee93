"""Console folders (SMS_ObjectContainerNode) that organize boot images."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from console.core.changes import Changes, Result
from console.core.errors import DuplicateNameError, NotFoundError, ValidationError
from console.core.ports import Folder, PackageQuery, UnitOfWork
from console.core.services.context import ServiceContext

BOOT_IMAGE_OBJECT_TYPE = 19
MAX_NAME = 255


class Folders:
    def __init__(self, ctx: ServiceContext, object_type: int = BOOT_IMAGE_OBJECT_TYPE) -> None:
        self._ctx = ctx
        self._type = object_type

    def all(self) -> list[Folder]:
        with self._ctx.uow() as uow:
            return uow.folders.all(self._type)

    def get(self, folder_id: int) -> Folder:
        with self._ctx.uow() as uow:
            return self._get(uow, folder_id)

    def create(self, name: str, parent_id: int = 0) -> Result[Folder]:
        name = self._check_name(name)
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            if parent_id:
                self._get(uow, parent_id)
            self._check_unique(uow, name, parent_id, None)
            with self._taken_meanwhile(uow, name, parent_id, None):
                folder_id = uow.folders.add(
                    name, parent_id, self._type, str(uuid.uuid4()).upper(), site.code, self._ctx.clock()
                )
            uow.commit()
            folder = uow.folders.get(folder_id)
        assert folder is not None
        return Result(folder, Changes(folders=True))

    def rename(self, folder_id: int, name: str) -> Result[Folder]:
        name = self._check_name(name)
        with self._ctx.uow(write=True) as uow:
            folder = self._get(uow, folder_id)
            self._check_unique(uow, name, folder.parent_id, folder_id)
            with self._taken_meanwhile(uow, name, folder.parent_id, folder_id):
                uow.folders.rename(folder_id, name)
            uow.commit()
        return Result(self.get(folder_id), Changes(folders=True))

    def move(self, folder_id: int, parent_id: int) -> Result[Folder]:
        with self._ctx.uow(write=True) as uow:
            folder = self._get(uow, folder_id)
            if parent_id:
                self._get(uow, parent_id)
                if parent_id in self._subtree(uow, folder_id):
                    raise ValidationError.single("ParentContainerNodeID", f"Folder {folder.name!r} cannot be moved into itself or one of its sub-folders.")
            self._check_unique(uow, folder.name, parent_id, folder_id)
            with self._taken_meanwhile(uow, folder.name, parent_id, folder_id):
                uow.folders.reparent(folder_id, parent_id)
            uow.commit()
        return Result(self.get(folder_id), Changes(folders=True))

    def contents(self, folder_id: int) -> tuple[int, int]:
        """(boot images, sub-folders) directly in a folder."""
        with self._ctx.uow() as uow:
            self._get(uow, folder_id)
            return uow.packages.count_in_folders([folder_id]), len(uow.folders.children(folder_id, self._type))

    def delete(self, folder_id: int, *, move_contents_up: bool = False) -> Result[int]:
        """Delete a folder. A folder with boot images or sub-folders is refused unless
        ``move_contents_up``: then they move to the folder's parent first (same transaction)."""
        with self._ctx.uow(write=True) as uow:
            folder = self._get(uow, folder_id)
            subfolders = uow.folders.children(folder_id, self._type)
            packages = uow.packages.count_in_folders([folder_id])
            updated: frozenset[str] = frozenset()
            if (subfolders or packages) and not move_contents_up:
                raise ValidationError.single(
                    "ContainerNodeID",
                    f"Folder {folder.name!r} is not empty ({packages} boot image(s), {len(subfolders)} sub-folder(s)): "
                    "move or delete its contents first, or delete it moving its contents up.",
                )
            if subfolders or packages:
                for sub in subfolders:
                    self._check_unique(uow, sub.name, folder.parent_id, sub.id)
                    with self._taken_meanwhile(uow, sub.name, folder.parent_id, sub.id):
                        uow.folders.reparent(sub.id, folder.parent_id)
                records, _ = uow.packages.query(PackageQuery(folder_id=folder_id), count=False)
                ids = [str(r.values["PackageID"]) for r in records]
                uow.packages.move(ids, folder.parent_id or None)
                updated = frozenset(ids)
            uow.folders.delete(folder_id)
            uow.commit()
        return Result(folder_id, Changes(updated=updated, folders=True))

    def _subtree(self, uow: UnitOfWork, folder_id: int) -> list[int]:
        result = [folder_id]
        for child in uow.folders.children(folder_id, self._type):
            result.extend(self._subtree(uow, child.id))
        return result

    def _get(self, uow: UnitOfWork, folder_id: int) -> Folder:
        folder = uow.folders.get(folder_id)
        if folder is None or folder.object_type != self._type:
            raise NotFoundError(f"no console folder with id {folder_id}")
        return folder

    def _check_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise ValidationError.single("Name", "a folder needs a name")
        if len(name) > MAX_NAME:
            raise ValidationError.single("Name", f"folder names are limited to {MAX_NAME} characters")
        if any(c in name for c in "\\/"):
            raise ValidationError.single("Name", "folder names cannot contain \\ or /")
        return name

    def _check_unique(self, uow: UnitOfWork, name: str, parent_id: int, folder_id: int | None) -> None:
        for sibling in uow.folders.children(parent_id, self._type):
            if sibling.name.lower() == name.lower() and sibling.id != folder_id:
                where = f"folder {self._name(uow, parent_id)!r}" if parent_id else "the Boot Images node"
                raise DuplicateNameError.single(
                    "Name", f"A folder named {sibling.name!r} already exists in {where}: choose another name."
                )

    @contextmanager
    def _taken_meanwhile(self, uow: UnitOfWork, name: str, parent_id: int, folder_id: int | None) -> Iterator[None]:
        """The write after ``_check_unique``: when the database's unique index refuses it (another
        console took the name there in between), the check runs again and names that folder."""
        try:
            yield
        except DuplicateNameError:
            self._check_unique(uow, name, parent_id, folder_id)
            raise

    def _name(self, uow: UnitOfWork, folder_id: int) -> str:
        folder = uow.folders.get(folder_id)
        return folder.name if folder is not None else str(folder_id)
