"""The project's set-up: the two dependency lists agree, a learner's install is the runtime only,
and common imports without side effects."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
tomllib = pytest.importorskip("tomllib")  # Python 3.11+
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_names_the_same_packages_as_pyproject():
    lines = PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]
    declared = {r.name.lower(): r.specifier for r in map(Requirement, lines)}
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


def test_learners_install_the_runtime_only():
    runtime = {Requirement(line).name for line in PROJECT["dependencies"]}
    assert not runtime & {"pytest", "nbval", "playwright", "hypothesis"}, runtime
    makefile = (ROOT / "Makefile").read_text()
    runtime_rule = makefile.split("$(RUNTIME): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "install --progress-bar on -e . " in runtime_rule and "[test]" not in runtime_rule
    assert "--quiet" not in makefile  # first set-up shows its progress
    for target in ("lab", "grade", "solution", "workspace"):
        assert re.search(rf"^{target}: \$\(RUNTIME\)$", makefile, re.MULTILINE), target
    assert re.search(r"^lint: \$\(TESTS\)$", makefile, re.MULTILINE)


def test_tools_venv_ready_sees_this_environment():
    # This test environment has the runtime and the test tools: make would not run pip again.
    ready = subprocess.run([sys.executable, "tools/venv_ready.py", "test"], cwd=ROOT)
    assert ready.returncode == 0
