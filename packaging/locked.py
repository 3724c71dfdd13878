"""Reads the lock files (requirements*.txt, made by `make lock`) and checks a Python environment against them.

    python packaging/locked.py requirements.txt [...]   exits 1, naming each difference, unless this interpreter
                                                        has every package of those locks at its locked version

packaging/build-binary.sh runs it so that the binary holds the server's locked versions; the tests use
`pins` too."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


@dataclass(frozen=True)
class Pin:
    name: str  # canonical: lower case, dashes
    version: str
    hashes: tuple[str, ...]
    requirement: Requirement

    def applies(self) -> bool:
        """Whether this interpreter installs it (its environment marker, e.g. Windows only, holds here)."""
        return self.requirement.marker is None or self.requirement.marker.evaluate()


def pins(lock: Path) -> dict[str, Pin]:
    """The lock's packages by canonical name. Each entry is `name==version [; marker] \\` followed by its
    `--hash=` lines; option lines (`--only-binary`) and comments are skipped."""
    entries: list[list[str]] = []
    for line in lock.read_text().splitlines():
        text = line.split("#", 1)[0].strip().removesuffix("\\").strip()
        if not text:
            continue
        if text.startswith("--hash="):
            entries[-1].append(text.removeprefix("--hash="))
        elif not text.startswith("-"):
            entries.append([text])
    found = {}
    for requirement_text, *hashes in entries:
        requirement = Requirement(requirement_text)
        (specifier,) = requirement.specifier
        if specifier.operator != "==":
            raise ValueError(f"{lock.name}: {requirement_text} is not pinned to one version")
        name = canonicalize_name(requirement.name)
        found[name] = Pin(name, specifier.version, tuple(hashes), requirement)
    return found


def differences(lock: Path) -> list[str]:
    """Each package of the lock that this interpreter lacks, or has at another version."""
    found = []
    for pin in pins(lock).values():
        if not pin.applies():
            continue
        try:
            installed = version(pin.name)
        except PackageNotFoundError:
            installed = None
        if installed != pin.version:
            found.append(f"{pin.name}: {installed or 'not installed'}, locked {pin.version} ({lock.name})")
    return found


def main(locks: list[str]) -> int:
    found = [difference for lock in locks for difference in differences(Path(lock))]
    for difference in found:
        print(difference, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
