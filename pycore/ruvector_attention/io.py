"""The saved-mechanism file format: one ``.npz`` with the config as JSON and the parameters as
arrays, no pickle. ``attn.save(path)`` writes it; ``ra.load(path)`` (in the registry, which
rebuilds the mechanism by name) reads it back through :func:`read`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .errors import InvalidInputError

__all__ = ["Saved", "read", "save"]

_CONFIG_KEY = "__config__"
_FORMAT = 1


class _Saveable(Protocol):
    """What saving needs of a mechanism (its registry name, config and parameters)."""

    name: str
    config: Any

    def parameters(self) -> dict[str, np.ndarray]: ...


@dataclass(frozen=True)
class Saved:
    """The contents of a saved mechanism: registry name, config fields, parameters."""

    name: str
    config: dict[str, Any]
    params: dict[str, np.ndarray]


def save(attn: _Saveable, path: str | os.PathLike[str]) -> None:
    """Write ``attn`` to ``path`` (one ``.npz``)."""
    header = {"format": _FORMAT, "name": attn.name, "config": attn.config.to_dict()}
    arrays = attn.parameters()
    if _CONFIG_KEY in arrays:
        raise RuntimeError(f"parameter name {_CONFIG_KEY!r} is reserved")
    np.savez(path, **{_CONFIG_KEY: np.array(json.dumps(header))}, **arrays)


def read(path: str | os.PathLike[str]) -> Saved:
    """The contents of a file written by :func:`save`."""
    with np.load(path, allow_pickle=False) as archive:
        if _CONFIG_KEY not in archive.files:
            raise InvalidInputError(f"{os.fspath(path)!r} is not a saved attention mechanism")
        header: dict[str, Any] = json.loads(str(archive[_CONFIG_KEY]))
        params = {name: archive[name] for name in archive.files if name != _CONFIG_KEY}
    return Saved(header["name"], header["config"], params)
