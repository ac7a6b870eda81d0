"""Fail, with one line per problem, when pyproject.toml asks for what the lock files do not pin.

``make test``, ``make demo`` and CI install from ``requirements-dev.lock`` and the Docker image
from ``requirements.lock``; ``pyproject.toml`` only states what the project accepts. A dependency
added to ``pyproject.toml`` without ``make lock`` would be missing from every fresh install (or
pinned at a version the new range excludes), and a clean machine would fail in a way that says
nothing about the cause. This runs first in ``make test`` and names the cause instead.

Usage: ``python .ci/check_locks.py [--root DIR]``; exit 0 when in step, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

RUNTIME_LOCK = "requirements.lock"
DEV_LOCK = "requirements-dev.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)")


def pins(lock: Path) -> dict[str, Version]:
    """``name==version`` lines of a pip requirements file, by canonical name."""
    found: dict[str, Version] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def problems(root: Path) -> list[str]:
    """Every way the lock files under ``root`` fall short of its ``pyproject.toml``."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = list(project.get("dependencies", []))
    dev = list(project.get("optional-dependencies", {}).get("dev", []))
    wanted = {RUNTIME_LOCK: runtime, DEV_LOCK: runtime + dev}
    found: list[str] = []
    for lock_name, requirements in wanted.items():
        lock = root / lock_name
        if not lock.exists():
            found.append(f"{lock_name} is missing; run `make lock`")
            continue
        pinned = pins(lock)
        for text in requirements:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as error:
                found.append(f"pyproject.toml: {text!r} is not a requirement ({error})")
                continue
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            version = pinned.get(canonicalize_name(requirement.name))
            if version is None:
                found.append(
                    f"{lock_name} does not pin {requirement.name!r}, which pyproject.toml asks "
                    "for; run `make lock`"
                )
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(
                    f"{lock_name} pins {requirement.name}=={version}, outside pyproject.toml's "
                    f"{str(requirement.specifier)!r}; run `make lock`"
                )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    found = problems(parser.parse_args(argv).root)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
