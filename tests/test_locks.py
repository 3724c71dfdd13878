"""The lock files: every install is exact and hash-checked, each lock agrees with the ranges it was made from and
with the locks before it, and this venv (the one the tests and the binary build run in) holds what they lock."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "packaging"))
import locked  # noqa: E402

# Each lock, made by `make lock` from its .in file, and the locks whose versions it keeps.
LOCKS = {"requirements.txt": [], "requirements-build.txt": ["requirements.txt"],
         "requirements-test.txt": ["requirements.txt", "requirements-build.txt"]}


def ranges(in_file: Path) -> list[Requirement]:
    """The requirements an .in file names, through its `-r` includes (its `-c` constraints are locks)."""
    found = []
    for line in in_file.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if text.startswith("-r "):
            found += ranges(in_file.parent / text.removeprefix("-r ").strip())
        elif text and not text.startswith("-"):
            found.append(Requirement(text))
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_package_is_pinned_to_one_version_with_its_hashes(lock):
    pins = locked.pins(ROOT / lock)
    assert pins and [name for name, pin in pins.items() if not pin.hashes] == []
    assert all(digest.startswith("sha256:") for pin in pins.values() for digest in pin.hashes)


@pytest.mark.parametrize("lock", LOCKS)
def test_the_lock_is_renewed_from_its_ranges(lock):
    """Every range of the .in file has its package in the lock, at a version the range allows: a range changed
    without `make lock` fails here."""
    pins = locked.pins(ROOT / lock)
    outside = [f"{requirement} (locked: {pins[name].version if name in pins else 'missing'})"
               for requirement in ranges(ROOT / lock.replace(".txt", ".in"))
               if (name := canonicalize_name(requirement.name)) not in pins
               or not requirement.specifier.contains(pins[name].version, prereleases=True)]
    assert outside == []


@pytest.mark.parametrize("lock", [lock for lock, before in LOCKS.items() if before])
def test_a_lock_keeps_the_versions_of_the_locks_before_it(lock):
    pins = locked.pins(ROOT / lock)
    for earlier in LOCKS[lock]:
        moved = [f"{name} {pin.version} -> {pins[name].version}" for name, pin in locked.pins(ROOT / earlier).items()
                 if name in pins and pins[name].version != pin.version]
        assert moved == [], earlier


def test_the_test_lock_holds_every_package_of_the_others():
    """The test venv is where the binary is built and the server tested: it has all of what the others lock."""
    tested = locked.pins(ROOT / "requirements-test.txt")
    assert [name for lock in LOCKS for name in locked.pins(ROOT / lock) if name not in tested] == []


def test_the_server_installs_wheels_only():
    """Nothing is built when the server installs: no compiler, no build backend fetched at whatever version."""
    assert "--only-binary :all:" in (ROOT / "requirements.txt").read_text().splitlines()


def test_this_venv_holds_every_locked_version():
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "locked.py"), *LOCKS], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "")


def test_a_venv_with_another_version_is_refused(tmp_path):
    flask = locked.pins(ROOT / "requirements.txt")["flask"]
    lock = tmp_path / "requirements.txt"
    lock.write_text(f"flask==0.1 \\\n    --hash={flask.hashes[0]}\nno-such-package==1.0 \\\n    --hash=sha256:00\n")
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "locked.py"), str(lock)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"flask: {flask.version}, locked 0.1 (requirements.txt)",
                                          "no-such-package: not installed, locked 1.0 (requirements.txt)"]


def test_a_package_for_another_platform_is_not_expected_here(tmp_path):
    lock = tmp_path / "requirements.txt"
    lock.write_text("no-such-package==1.0 ; sys_platform == 'no-such-platform' \\\n    --hash=sha256:00\n")
    assert locked.differences(lock) == []
