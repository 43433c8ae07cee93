"""Screenshots of the driver work: Import Driver, the Drivers wizard, the Drivers node.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_drivers docs/screenshots

Builds a throw-away site with two boot images and a driver share made from the real test INF
files (one malformed), then saves:

* ``import-driver-<page>.png``: locate, scanning (paused half-way), new / duplicates / failed
  tabs, importing, completion;
* ``wizard-drivers-<page>.png``: drivers, summary, progress, progress-error (a stale version
  refused by the service), completion;
* ``driver-properties-<tab>.png``: the driver Properties dialog;
* ``main-window-drivers.png`` (the Drivers node) and ``main-window-boot-image-drivers.png``
  (the boot image's Drivers tab in the details pane after the wizard).

Long steps are paused with a gate around the service call so that the progress pages can be
photographed; the service calls themselves are the real ones.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt

from console.app import Console, ensure_default_site, open_console
from console.drivers.inf import read_inf
from tests.driver_fixtures import MALFORMED_INF, inf_source_folder
from tests.screenshot_support import save, wait

NETWORK_STEMS = ("netkvm2k", "netrtl", "cxwmbclass", "netkvm")


class Gate:
    """Holds a worker thread at one point until the screenshot is taken."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.released = threading.Event()

    def hold(self) -> None:
        self.reached.set()
        self.released.wait(20)

    def open(self) -> None:
        self.released.set()


class GatedDrivers:
    """The real driver service; ``scan`` pauses after ``pause_at`` INF files, ``import_drivers``
    before it starts."""

    def __init__(self, real: Any, scan_gate: Gate, import_gate: Gate, pause_at: int) -> None:
        self._real, self._scan_gate, self._import_gate, self._pause_at = real, scan_gate, import_gate, pause_at

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def scan(self, folder: Any, *, progress: Any = None, cancelled: Any = None) -> Any:
        def report(done: int, total: int, path: str) -> None:
            progress(done, total, path)
            if done == self._pause_at:
                self._scan_gate.hold()

        return self._real.scan(folder, progress=report, cancelled=cancelled)

    def import_drivers(self, *args: Any, **kwargs: Any) -> Any:
        self._import_gate.hold()
        return self._real.import_drivers(*args, **kwargs)


def driver_share(root: Path) -> Path:
    """Vendor folders with one folder per driver (INF, .sys, and the .cat its INF names)."""
    for inf in sorted(inf_source_folder().glob("*.inf")):
        vendor = inf.name.split("__")[0]
        stem = inf.name.split("__")[-1].removesuffix(".inf")
        folder = root / vendor / stem
        while folder.exists():
            folder = folder.with_name(folder.name + "-2")
        folder.mkdir(parents=True)
        shutil.copyfile(inf, folder / f"{stem}.inf")
        (folder / f"{stem}.sys").write_bytes(b"MZ" + inf.read_bytes()[:4096])
        catalog = read_inf(inf).catalog_file
        if catalog:
            (folder / catalog).write_bytes(b"0\x82 catalog of " + inf.name.encode())
    broken = root / "contoso" / "broken-nic"
    broken.mkdir(parents=True)
    (broken / "broken-nic.inf").write_bytes(MALFORMED_INF)
    return root


def boot_images(console: Console, folder: Path) -> str:
    from console.wim.capture import ImageSpec, capture

    ids = []
    for arch, label in (("x64", "amd64"), ("x86", "x86")):
        wim = capture(folder / f"boot.{arch}.wim", [ImageSpec(f"Microsoft Windows PE ({label})", f"Microsoft Windows PE ({label})",
                                                              arch, (10, 0, 26100, 1), payload_kib=128, seed=arch)])
        package = console.packages.create_from_wim(str(wim), 1, f"WinPE 11 {arch} - Production", version="2024.11",
                                                   description="Windows 11 24H2 deployments").value
        ids.append(package["PackageID"])
    return ids[0]


def import_driver_shots(console: Console, tasks: Any, share: Path, out: Path) -> None:
    from console.ui.dialogs.import_driver_dialog import ImportDriverDialog, PageId

    scan_gate, import_gate = Gate(), Gate()
    gated = SimpleNamespace(drivers=GatedDrivers(console.drivers, scan_gate, import_gate, pause_at=21))
    dialog = ImportDriverDialog(gated, tasks, folder=str(share))
    dialog.show()
    save(dialog, out, "import-driver-locate.png")
    dialog.next()
    wait(scan_gate.reached.is_set)
    wait(lambda: dialog.scan.bar.value() == 21)
    save(dialog, out, "import-driver-scanning.png")
    scan_gate.open()
    wait(lambda: dialog.currentId() == PageId.DETAILS)
    dialog.details.categories.setText("WinPE, Network")
    for tab, name in enumerate(("found", "duplicates", "failed")):
        dialog.details.tabs.setCurrentIndex(tab)
        save(dialog, out, f"import-driver-{name}.png")
    dialog.details.tabs.setCurrentIndex(0)
    dialog.next()
    wait(import_gate.reached.is_set)
    save(dialog, out, "import-driver-importing.png")
    import_gate.open()
    wait(lambda: dialog.currentId() == PageId.DONE)
    save(dialog, out, "import-driver-completion.png")
    dialog.accept()


def tick(chooser: Any, ci_ids: list[int]) -> None:
    chooser.set_checked([*chooser.selection, *ci_ids])


def wizard_shots(console: Console, tasks: Any, package_id: str, db_url: str, out: Path) -> None:
    from console.ui.wizards.drivers_wizard import DriversWizard, PageId

    def open_wizard() -> DriversWizard:
        wizard = DriversWizard(console, console.packages.get(package_id, lazy=True), tasks)
        wizard.show()
        wait(lambda: not wizard.drivers.chooser.loading)
        return wizard

    wizard = open_wizard()
    chooser = wizard.drivers.chooser
    rows = chooser.model.rows()
    wanted = [d.ci_id for d in rows if d.inf_file.removesuffix(".inf") in ("diskdev", "wnbd")]  # shown with the default filters (x64)
    tick(chooser, wanted)
    chooser.view.setCurrentIndex(chooser.model.index(chooser.model.row_of(wanted[0]), 0))
    save(wizard, out, "wizard-drivers-drivers.png")
    wizard.next()
    wait(wizard.summary.isComplete)
    save(wizard, out, "wizard-drivers-summary.png")
    gate = Gate()
    real_work = wizard.progress._work
    wizard.progress._work = lambda ctx: (gate.hold(), real_work(ctx))[1]
    wizard.next()
    wait(gate.reached.is_set)
    save(wizard, out, "wizard-drivers-progress.png")
    gate.open()
    wait(lambda: wizard.currentId() == PageId.DONE)
    save(wizard, out, "wizard-drivers-completion.png")
    wizard.accept()

    stale = open_wizard()  # untick WNBD (added above), then another console changes the boot image
    wnbd = {d.ci_id for d in stale.drivers.chooser.model.rows() if d.inf_file.removesuffix(".inf") == "wnbd"}
    stale.drivers.chooser.set_checked([i for i in stale.drivers.chooser.selection if i not in wnbd])
    stale.next()
    wait(stale.summary.isComplete)
    other = open_console(db_url, user=r"CONTOSO\jdoe@CM02")
    other.packages.put(package_id, {"Description": "Windows 11 24H2 deployments (pilot)"})
    other.close()
    stale.next()
    wait(lambda: stale.progress.error is not None)
    save(stale, out, "wizard-drivers-progress-error.png")
    stale.reject()


def properties_shots(console: Console, tasks: Any, out: Path) -> None:
    from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog

    driver = next(d for d in console.drivers.query().items if d.inf_file == "netkvm.inf")
    dialog = DriverPropertiesDialog(console, tasks, driver.ci_id)
    dialog.show()
    wait(lambda: dialog.driver is not None)
    for tab, name in enumerate(("general", "files", "hardware-ids")):
        dialog.tabs.setCurrentIndex(tab)
        save(dialog, out, f"driver-properties-{name}.png")
    dialog.close()


def main_window_shots(console: Console, folder: Path, out: Path) -> None:
    from console.ui.main_window import MainWindow
    from console.ui.settings import UiSettings

    window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(folder / "ui.ini"), QSettings.Format.IniFormat)))
    window.resize(1400, 860)
    window.show()
    wait(lambda: not window.tasks.running)
    model = window.navigation_model

    def open_node(label: str) -> Any:
        index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
        window.navigation.setCurrentIndex(index)
        wait(lambda: not window.tasks.running)
        return window.pages.currentWidget()

    page = open_node("Drivers")
    row = next(r for r in range(page.model.rowCount()) if page.model.record(r).inf_file == "netkvm.inf")
    page.view.selectionModel().setCurrentIndex(
        page.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    page.view.scrollTo(page.model.index(row, 0))
    page.view.setFocus()
    save(window, out, "main-window-drivers.png")

    open_node("Boot Images")
    view = window.packages_page.view
    first = next(r for r in range(window.package_model.rowCount()) if "x64" in (window.package_model.index(r, 0).data() or ""))
    view.selectionModel().setCurrentIndex(
        window.package_model.index(first, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    wait(lambda: window.packages_page.details._drivers.rowCount() > 0)
    window.packages_page.details.tabs.setCurrentIndex(3)
    save(window, out, "main-window-boot-image-drivers.png")
    window.close()


def main(argv: list[str]) -> int:
    from console.ui.application import create_application
    from console.ui.tasks import TaskRunner

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db_url = f"sqlite:///{folder / 'site.db'}"
        console = open_console(db_url, user=r"CONTOSO\cmadmin@CM01")
        ensure_default_site(console)
        package_id = boot_images(console, folder)
        share = driver_share(folder / "CM01" / "Sources$" / "Drivers")
        console.drivers.import_drivers(share / "virtio-win", categories=["Virtual machines"])  # shows as duplicates
        tasks = TaskRunner()
        import_driver_shots(console, tasks, share, out)
        existing = [d.ci_id for d in console.drivers.query().items if d.inf_file == "netkvm2k.inf"]
        console.drivers.add_drivers_to_boot_image(package_id, existing)
        disabled = [d.ci_id for d in console.drivers.query().items if d.inf_file in ("ComponentizedApoSample.inf", "arduino_gemma.inf")]
        if disabled:
            console.drivers.set_enabled(disabled, False)
        wizard_shots(console, tasks, package_id, db_url, out)
        properties_shots(console, tasks, out)
        main_window_shots(console, folder, out)
        tasks.wait(10000)
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
