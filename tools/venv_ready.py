"""Exit 0 if this Python already has what pyproject.toml asks for, so make need not run pip.

Usage: python tools/venv_ready.py [EXTRA ...]     (e.g. `test` for the test tools)

Checks the runtime dependencies (and the named extras) against the installed versions, and that
`common` imports from this folder. Any doubt (an old Python without tomllib, a missing package,
a version out of range) means "not ready", and make installs.
"""

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def missing(extras):
    import tomllib
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    absent = []
    for line in wanted:
        requirement = Requirement(line)
        try:
            if version(requirement.name) not in requirement.specifier:
                absent.append(line)
        except PackageNotFoundError:
            absent.append(line)
    import common

    if Path(common.__file__).resolve().parent != ROOT / "common":
        absent.append(f"common from {ROOT}")
    return absent


if __name__ == "__main__":
    try:
        sys.exit(1 if missing(sys.argv[1:]) else 0)
    except Exception:  # any doubt means: install
        sys.exit(1)
