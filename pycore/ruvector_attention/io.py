"""Saving and loading mechanisms as ``.npz``: config as JSON, parameters as arrays, no pickle."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from .base import Attention
from .errors import InvalidInputError
from .registry import from_dict

__all__ = ["save", "load"]

_CONFIG_KEY = "__config__"
_FORMAT = 1


def save(attn: Attention, path: str | os.PathLike[str]) -> None:
    """Write ``attn`` to ``path`` (one ``.npz``)."""
    header = {"format": _FORMAT, "name": attn.name, "config": attn.config.to_dict()}
    arrays = attn.parameters()
    if _CONFIG_KEY in arrays:
        raise RuntimeError(f"parameter name {_CONFIG_KEY!r} is reserved")
    np.savez(path, **{_CONFIG_KEY: np.array(json.dumps(header))}, **arrays)


def load(path: str | os.PathLike[str]) -> Attention:
    """Restore a mechanism written by :meth:`Attention.save`, identical to the original."""
    with np.load(path, allow_pickle=False) as archive:
        if _CONFIG_KEY not in archive.files:
            raise InvalidInputError(f"{os.fspath(path)!r} is not a saved attention mechanism")
        header: dict[str, Any] = json.loads(str(archive[_CONFIG_KEY]))
        params = {name: archive[name] for name in archive.files if name != _CONFIG_KEY}
    attn = from_dict({"name": header["name"], **header["config"]})
    if params or attn.parameters():
        attn.load_parameters(params)
    return attn
