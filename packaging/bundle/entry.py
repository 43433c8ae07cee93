"""The one entry script of the bundle's two programs: ``bootimage`` (the CLI) and
``bootimage-console`` (the GUI) are the same frozen code under two names, told apart by the
executable's own name (``bootimage.exe`` / ``bootimage-console.exe`` on Windows)."""

import sys
from pathlib import Path


def main() -> int:
    program = Path(sys.executable).stem.lower()
    if program == "bootimage":
        from console.cli import main as cli_main

        return cli_main()
    from console.launcher import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())
