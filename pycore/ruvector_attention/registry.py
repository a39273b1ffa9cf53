"""Name -> mechanism class. The one way the SDK, the CLI and the JS bridge find mechanisms."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

from .base import Attention
from .errors import InvalidConfigError, UnknownMechanismError
from .io import read

__all__ = ["register", "mechanisms", "resolve", "create", "from_dict", "load"]

A = TypeVar("A", bound=type[Attention])

_REGISTRY: dict[str, type[Attention]] = {}


def normalize_name(name: str) -> str:
    """Case-insensitive, with `-` and `_` ignored: how names are looked up."""
    return name.lower().replace("-", "").replace("_", "")


def register(name: str) -> Callable[[A], A]:
    """Class decorator: make a mechanism reachable as ``ra.create(name, ...)``."""

    def decorate(cls: A) -> A:
        key = normalize_name(name)
        if key in _REGISTRY:
            raise RuntimeError(f"mechanism {name!r} registered twice")
        cls.name = name
        _REGISTRY[key] = cls
        return cls

    return decorate


def mechanisms() -> list[str]:
    """Every registered mechanism name, sorted.

    >>> "scaled_dot" in mechanisms()
    True
    """
    return sorted(cls.name for cls in _REGISTRY.values())


def resolve(name: str) -> type[Attention]:
    """The class registered as ``name`` (case-insensitive, ``-``/``_`` ignored)."""
    if isinstance(name, str):
        cls = _REGISTRY.get(normalize_name(name))
        if cls is not None:
            return cls
    raise UnknownMechanismError(str(name), mechanisms())


def create(name: str, **config: Any) -> Attention:
    """Build a mechanism by name.

    >>> create("Scaled-Dot", dim=4).config.dim
    4
    """
    return resolve(name)(**config)


def from_dict(data: dict[str, Any]) -> Attention:
    """Inverse of ``attn.config.to_dict() | {"name": attn.name}``."""
    if "name" not in data:
        raise InvalidConfigError("from_dict needs a 'name' entry naming the mechanism")
    config = dict(data)
    return create(config.pop("name"), **config)


def load(path: str | os.PathLike[str]) -> Attention:
    """Restore a mechanism written by :meth:`Attention.save`, identical to the original."""
    saved = read(path)
    attn = from_dict({"name": saved.name, **saved.config})
    if saved.params or attn.parameters():
        attn.load_parameters(saved.params)
    return attn
