"""scripts/_venv.sh, the first thing a newcomer runs: it picks a supported Python, rebuilds a
.venv made with an unsupported one, and never leaves a half-installed .venv marked as done.

Run against stand-in interpreters (small shell scripts answering the three questions the
script asks: the version, `-m venv DIR`, `-m pip install`), in a copy of the script under a
scratch root, so nothing is downloaded and the real .venv is not touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import repo_root

FAKE_PYTHON = """#!/bin/sh
case "$1" in
  -c) echo {version} ;;
  -m) case "$2" in
        venv) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
        pip) echo "pip $*" >>"$(dirname "$0")/../pip.log"; exit "${{FAKE_PIP_EXIT:-0}}" ;;
      esac ;;
esac
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(repo_root() / "scripts" / "_venv.sh", tmp_path / "scripts" / "_venv.sh")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    return tmp_path


def fake_python(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PYTHON.format(version=version))
    path.chmod(0o755)
    return path


def run_venv(root: Path, python: Path, pip_exit: int = 0) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.defpath,
        "HOME": str(root),
        "PYTHON": str(python),
        "FAKE_PIP_EXIT": str(pip_exit),
    }
    return subprocess.run(
        ["bash", "-c", 'source "$1" dev', "-", str(root / "scripts" / "_venv.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def stamps(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ".venv").glob(".installed-*"))


def test_a_fresh_venv_is_made_installed_and_stamped(root: Path) -> None:
    result = run_venv(root, fake_python(root / "py" / "python3.11", "3.11"))
    assert result.returncode == 0, result.stderr
    assert (root / ".venv" / "bin" / "python").is_file()
    assert "install --quiet -e" in (root / ".venv" / "pip.log").read_text()
    assert len(stamps(root)) == 1 and stamps(root)[0].endswith("-dev")


def test_a_venv_of_an_unsupported_python_is_rebuilt_with_a_supported_one(root: Path) -> None:
    fake_python(root / ".venv" / "bin" / "python", "3.13")
    (root / ".venv" / ".installed-old").touch()
    result = run_venv(root, fake_python(root / "py" / "python3.12", "3.12"))
    assert result.returncode == 0, result.stderr
    assert "rebuilding .venv" in result.stderr and "Python 3.13" in result.stderr
    assert "3.12" in (root / ".venv" / "bin" / "python").read_text()
    assert len(stamps(root)) == 1 and stamps(root) != [".installed-old"]


def test_an_unsupported_venv_and_no_supported_python_is_one_line(root: Path) -> None:
    fake_python(root / ".venv" / "bin" / "python", "3.13")
    result = run_venv(root, fake_python(root / "py" / "python3.13", "3.13"))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "Python 3.13" in line and "3.11 or 3.12" in line and "PYTHON=" in line
    assert "3.13" in (root / ".venv" / "bin" / "python").read_text()  # left as it was


def test_no_supported_python_at_all_is_one_line(root: Path) -> None:
    result = run_venv(root, root / "py" / "no-such-python")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "needs Python 3.11 or 3.12" in line and "PYTHON=" in line
    assert not (root / ".venv").exists()


def test_a_failed_install_is_not_stamped_and_is_retried(root: Path) -> None:
    python = fake_python(root / "py" / "python3.11", "3.11")
    failed = run_venv(root, python, pip_exit=1)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith("installing Deal Coach into .venv")
    assert stamps(root) == []
    retried = run_venv(root, python)
    assert retried.returncode == 0, retried.stderr
    assert len(stamps(root)) == 1
