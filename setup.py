"""Build hook: the wheel ships the top-level ``resources/`` folder as ``console/resources``.

``resources/`` stays at the top of the source tree (class files, property-sheet layouts,
optional components, icons); ``console.paths.resources_dir`` finds it there in a checkout
and inside the package once installed. Everything else is in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"


class BuildPyWithResources(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ of the checkout
        shutil.copytree(RESOURCES, Path(self.build_lib) / "console" / "resources", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithResources})
