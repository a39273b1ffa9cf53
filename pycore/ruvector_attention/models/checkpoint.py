"""The files of a checkpoint: a folder, or a ``.zip`` holding them (at its top or in one
folder), read with the standard library alone."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from .safetensors import read_safetensors

__all__ = ["Checkpoint"]


@dataclass(frozen=True)
class Checkpoint:
    """Named files of a checkpoint, read on demand."""

    location: str
    _read: Any  # (relative name) -> bytes, or None when absent

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Checkpoint:
        location = os.fspath(path)
        if os.path.isdir(location):
            def read_file(name: str) -> bytes | None:
                full = os.path.join(location, *name.split("/"))
                if not os.path.isfile(full):
                    return None
                with open(full, "rb") as handle:
                    return handle.read()
            return cls(location, read_file)
        if not os.path.isfile(location):
            raise InvalidInputError(f"{location}: no such checkpoint folder or .zip")
        try:
            archive = zipfile.ZipFile(location)
        except (zipfile.BadZipFile, OSError) as err:
            raise InvalidInputError(f"{location}: not a folder or a readable .zip ({err})") from None
        names = set(archive.namelist())
        # the files may sit in one top-level folder of the archive
        root = "" if "config.json" in names else next(
            (n[: -len("config.json")] for n in sorted(names) if n.endswith("/config.json") and n.count("/") == 1), ""
        )

        def read_member(name: str) -> bytes | None:
            member = root + name
            if member not in names:
                return None
            try:
                return archive.read(member)
            except (zipfile.BadZipFile, OSError, EOFError) as err:
                raise InvalidInputError(f"{location}: cannot read {member} ({err})") from None
        return cls(location, read_member)

    def bytes(self, name: str, *, required: bool = True) -> bytes | None:
        data = self._read(name)
        if data is None and required:
            raise InvalidInputError(f"{self.location}: missing {name}")
        return data

    def json(self, name: str, *, required: bool = True) -> Any:
        data = self.bytes(name, required=required)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise InvalidInputError(f"{self.location}: {name} is not valid JSON ({err})") from None

    def tensors(self, name: str = "model.safetensors") -> dict[str, np.ndarray]:
        return read_safetensors(self.bytes(name), f"{self.location}: {name}")
