"""The project's set-up: the two dependency lists agree, and common imports without side effects."""

import re
import subprocess
import sys
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def test_environment_yml_names_the_same_packages_as_pyproject():
    # The installed project's metadata holds pyproject.toml's dependencies and its test extra.
    declared = {r.name.lower(): r.specifier for r in map(Requirement, requires("dl-day1"))}
    text = (ROOT / "environment.yml").read_text()
    conda = {}
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        match = re.fullmatch(r"  - ([A-Za-z0-9_.-]+.*)", line)
        if match and not line.endswith(":"):
            requirement = Requirement(match.group(1))
            if requirement.name not in ("python", "pip"):
                conda[requirement.name.lower()] = requirement.specifier
    assert conda.keys() == declared.keys()
    for name, specifier in declared.items():
        assert conda[name] == specifier, f"{name}: version bounds differ"


def test_import_common_does_not_import_matplotlib_or_ipython():
    code = "import sys, common; print('matplotlib' in sys.modules, 'IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd="/").stdout
    assert out.split() == ["False", "False"]
