"""Building a package's boot image: its ``BuildSpec``, pre-flight, and ExportDefaultBootImage.

The glue between a boot image package (its current properties, its catalog drivers, the
site's settings) and the build pipeline behind ``console.core.servicing.ImageBuilder``.
Running a build is the job engine's work; this service prepares and checks one.

Ports (adapters are passed in by ``console.app``):

* ``ImageBuilder`` (``console.servicing.builder.WimlibImageBuilder``): pre-flight;
* ``DriverSourceReader`` (``console.drivers.build_sources.InfDriverSourceReader``): what a
  build needs of a catalog driver (the files its INF references, read again from disk);
* ``DefaultImageExporter``: the Windows ADK's ``winpe.wim`` of one architecture → a new WIM.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from typing import Protocol

from console.core.changes import Changes, Result
from console.core.drivers import Driver
from console.core.errors import ConsoleError, ValidationError
from console.core.input_locales import InputLocaleCatalog
from console.core.optional_components import component_groups, component_name
from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext
from console.core.services.drivers import DriverCatalog
from console.core.services.site_settings import SiteSettings
from console.core.servicing import (
    SITE_REQUIRED_COMPONENTS,
    BuildSpec,
    Check,
    DriverSource,
    ImageBuilder,
    LocaleResolver,
    Severity,
)

#: The content library's folder for builds in progress (under the content library root).
WORK_FOLDER = "Work"  # the content library's work area (console.content.library)
#: Architectures the Windows ADK ships ``winpe.wim`` for.
EXPORT_ARCHITECTURES = ("x86", "x64", "arm64")
SETTINGS = "settings"
DATA_SOURCE = "properties:Data Source"
DRIVERS = "wizard:drivers"


class DriverSourceReader(Protocol):
    """Reads what a build needs of a catalog driver from its folder. Raises ``OSError`` when
    the INF is gone and ``ConsoleError`` (``InfError``) when it no longer parses."""

    def driver_source(self, driver: Driver, architecture: str) -> DriverSource: ...


class DefaultImageExporter(Protocol):
    """Image ``index`` of the ADK (at ``adk_folder``)'s ``winpe.wim`` for ``architecture`` →
    a new WIM at ``path``; raises ``ConsoleError`` naming the cause."""

    def __call__(self, adk_folder: str, architecture: str, index: int, path: str) -> None: ...


def locale_resolver(catalog: InputLocaleCatalog | None) -> LocaleResolver:
    """The known-input-locales rule of validation (``InputLocale`` must be a known tag or
    profile) as the builder's ``resolve_locale``: text → ``LLLL:KKKKKKKK`` or None."""

    def resolve(text: str) -> str | None:
        if catalog is None:
            return None
        found = catalog.find(text)
        return found.profile.lower() if found is not None else None

    return resolve


def _check(check_id: str, severity: Severity, message: str, fix: str = "") -> Check:
    return Check(check_id, severity, message, fix if severity != "pass" else "")


class ImageBuilds:
    """``spec_for``, ``preflight`` and ``export_default_boot_image`` of the site's packages."""

    def __init__(self, ctx: ServiceContext, packages: BootImagePackages, drivers: DriverCatalog, settings: SiteSettings,
                 builder: ImageBuilder, driver_sources: DriverSourceReader, export_default: DefaultImageExporter) -> None:
        self._ctx = ctx
        self._packages = packages
        self._drivers = drivers
        self._settings = settings
        self._builder = builder
        self._driver_sources = driver_sources
        self._export_default = export_default

    # -- the spec ------------------------------------------------------------------------------

    def work_root(self) -> str:
        """The content library's work area, ``<content library root>/work``."""
        return os.path.join(self._settings.content_library_root(), WORK_FOLDER)

    def spec_for(self, package_id: str) -> BuildSpec:
        """Everything a build of the package needs, from its current properties."""
        return self._gather(package_id)[0]

    def _gather(self, package_id: str) -> tuple[BuildSpec, list[Check]]:
        """The spec and the problems only the catalog knows (a driver gone from the catalog,
        an INF that no longer parses)."""
        package = self._packages.get(package_id, lazy=True)
        pid = str(package["PackageID"])
        arch = str(package.get("Architecture") or "")
        catalog = self._ctx.catalog
        groups = component_groups(catalog, list(package.get("OptionalComponents") or ()), arch)
        site = tuple(component_name(catalog, i) for i in groups.site_required) or SITE_REQUIRED_COMPONENTS
        drivers, problems = self._driver_sources_of(pid, arch)
        spec = BuildSpec(
            package_id=pid,
            image_path=str(package.get("ImagePath") or ""),
            image_index=int(package.get("ImageIndex") or 1),
            architecture=arch,
            work_root=self.work_root(),
            scratch_space=int(package.get("ScratchSpace") or 0),
            pre_exec_command_line=str(package.get("PreExecCommandLine") or ""),
            pre_exec_source_directory=str(package.get("PreExecSourceDirectory") or ""),
            enable_lab_shell=bool(package.get("EnableLabShell")),
            background_bitmap_path=str(package.get("BackgroundBitmapPath") or ""),
            input_locale=str(package.get("InputLocale") or ""),
            chosen_components=tuple(component_name(catalog, i) for i in groups.chosen),
            prerequisite_components=tuple(component_name(catalog, i) for i in groups.prerequisites),
            site_required_components=site,
            drivers=tuple(drivers),
            deployment_command=self._settings.deployment_command(),
            # the source file when its image facts were read (unknown for older packages)
            fingerprint=self._packages.source_fingerprint(pid),
        )
        return spec, problems

    def _driver_sources_of(self, package_id: str, architecture: str) -> tuple[list[DriverSource], list[Check]]:
        sources: list[DriverSource] = []
        problems: list[Check] = []
        for ref in self._drivers.drivers_of(package_id).drivers:
            driver = ref.driver
            if driver is None:
                problems.append(_check("drivers.catalog-entry", "failure", f"Driver {ref.ci_id} ({ref.source_path}) is no "
                                       "longer in the driver catalog; remove it from the boot image or import it again",
                                       DRIVERS))
                continue
            try:
                sources.append(self._driver_sources.driver_source(driver, architecture))
            except OSError:  # the INF is gone: the builder's pre-flight names the missing INF
                sources.append(_bare_source(driver))
            except ConsoleError as exc:
                sources.append(_bare_source(driver))
                problems.append(_check("drivers.inf", "failure", f"Driver {driver.ci_id} ({driver.name}): its INF no "
                                       f"longer reads: {exc.message}; restore the driver folder or remove the driver",
                                       DRIVERS))
        return sources, problems

    # -- pre-flight ------------------------------------------------------------------------------

    def preflight(self, package_id: str) -> list[Check]:
        """Every pre-flight check of a build of the package (issue 9's table), plus that the
        content library root can be reached and written. Creates the library's work folder
        when it is missing (the site's own area; nothing else is written)."""
        return self.plan(package_id)[1]

    def plan(self, package_id: str, work_root: str | None = None) -> tuple[BuildSpec, list[Check]]:
        """The package's build spec (building in ``work_root``, a build job's own folder, when
        given) and every pre-flight check of it."""
        spec, problems = self._gather(package_id)
        if work_root is not None:
            spec = dataclasses.replace(spec, work_root=work_root)
        checks = [*self._library_checks(spec), *problems]
        if not spec.image_path:
            checks.append(_check("source.file", "failure", f"{spec.package_id} has no ImagePath; choose its source WIM",
                                 DATA_SOURCE))
        checks += [_honest_fingerprint(c, spec) for c in self._builder.preflight(spec)]
        return spec, checks

    def _library_checks(self, spec: BuildSpec) -> list[Check]:
        root = self._settings.content_library_root()
        if not root:
            return [_check("library.root", "failure", "No content library root is configured; set one in Settings",
                           SETTINGS)]
        try:
            os.makedirs(spec.work_root, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".bootimage-write-test-", dir=root)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            return [_check("library.root", "failure", f"The content library root {root} cannot be reached or written "
                           f"({exc.strerror or exc}); mount it or give the build write access, or choose another "
                           "folder in Settings", SETTINGS)]
        return [_check("library.root", "pass", f"the content library root {root} is writable")]

    # -- Reload from the Windows ADK ------------------------------------------------------------

    def reload_from_adk(self, package_id: str, context_id: str) -> str:
        """The wizard's "reload this boot image with the current Windows PE version from the
        Windows ADK": ExportDefaultBootImage of the package's architecture into a new source
        file under the content library (``Sources/<PackageID>/winpe.<ContextID>.wim``), then the
        package points at it (image index 1; a status message says so). Idempotent per job:
        a finished export is not repeated, a half-written one is thrown away first."""
        package = self._packages.get(package_id)
        pid = str(package["PackageID"])
        arch = str(package.get("Architecture") or "")
        if not arch:
            raise ValidationError.single("Architecture", f"{pid} has no architecture yet (its image was never read); "
                                         "reload its image properties before reloading it from the Windows ADK")
        folder = os.path.join(self._settings.content_library_root(), "Sources", pid)
        final = os.path.join(folder, f"winpe.{context_id}.wim")
        if package.get("ImagePath") == final:
            return final
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(final):
            partial = final + ".partial"
            if os.path.lexists(partial):
                os.remove(partial)
            self.export_default_boot_image(arch, 1, partial)
            os.replace(partial, final)
        self._packages.put(pid, {"ImagePath": final, "ImageIndex": 1})
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            uow.status.add(time=self._ctx.clock(), severity="information", kind="image", package_id=pid,
                           text=f"{pid} now uses the Windows ADK's current {arch} Windows PE: {final}",
                           user=self._ctx.user, site_code=site.code)
            uow.commit()
        return final

    # -- ExportDefaultBootImage ------------------------------------------------------------------

    def export_default_boot_image(self, architecture: str, image_index: int, export_image_path: str) -> Result[str]:
        """ExportDefaultBootImage: the configured Windows ADK's ``winpe.wim`` of
        ``architecture``, image ``image_index``, into a new WIM at ``export_image_path``
        (refused if the file exists). The value is the full path written."""
        arch = architecture.strip().lower()
        if arch not in EXPORT_ARCHITECTURES:
            raise ValidationError.single("Architecture", f"architecture {architecture!r} is not one the Windows ADK "
                                         f"ships Windows PE for; use {', '.join(EXPORT_ARCHITECTURES)}")
        if image_index < 1:
            raise ValidationError.single("ImageIndex", f"image index {image_index} is not valid; images are numbered from 1")
        text = export_image_path.strip()
        if not text:
            raise ValidationError.single("ExportImagePath", "no export path given; name the new .wim file")
        path = os.path.abspath(text)
        if os.path.lexists(path):
            raise ValidationError.single("ExportImagePath", f"{path} already exists; choose a new file name "
                                         "(an export never overwrites a file)")
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            raise ValidationError.single("ExportImagePath", f"the folder {parent} does not exist; create it first")
        adk = self._settings.windows_adk_path()
        if not adk:
            raise ConsoleError("no Windows ADK is configured; set its folder in File › Settings or with "
                               "`bootimage settings --windows-adk FOLDER`")
        self._export_default(adk, arch, image_index, path)
        text_message = f"Exported image {image_index} of the Windows ADK's {arch} winpe.wim ({adk}) to {path}"
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            uow.status.add(time=self._ctx.clock(), severity="information", kind="image", package_id=None,
                           text=text_message, user=self._ctx.user, site_code=site.code)
            uow.commit()
        return Result(path, Changes(status_messages=True, notes=(text_message,)))


def _honest_fingerprint(check: Check, spec: BuildSpec) -> Check:
    """Without a fingerprint from the import, "unchanged" cannot be known: say so."""
    fp = spec.fingerprint
    if check.id == "source.changed" and check.severity == "pass" and fp.size is None and fp.mtime is None and not fp.guid:
        return Check(check.id, "pass", "whether the source WIM changed since the import is not known (the import did "
                     "not record its size, time or WIM GUID); the build uses the file as it is now")
    return check


def _bare_source(driver: Driver) -> DriverSource:
    """A driver whose INF cannot be read now: what the catalog knows (no referenced files)."""
    return DriverSource(ci_id=driver.ci_id, name=driver.name, inf_path=driver.inf_path, content_folder=driver.folder,
                        architectures=driver.architectures, catalog_file=driver.catalog_file, version=driver.version,
                        hardware_ids=driver.hardware_ids)

