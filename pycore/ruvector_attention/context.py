"""The per-call context: what one call of a mechanism knows besides its queries, keys and values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .kernels.masking import Visibility

__all__ = ["CallContext"]


@dataclass(frozen=True)
class CallContext:
    """Built once per call by :class:`~ruvector_attention.Attention` from the validated inputs
    and passed explicitly to the mechanism's kernels (no per-call state on the instance).

    - ``vis``: which keys each query row sees (the caller's mask, causal order, and the rows'
      global positions: ``offset..offset+m`` of a batch of ``total`` for a slice);
    - ``single``: one query (``compute``, ``weights``) rather than a batch;
    - ``extras``: the mechanism's validated per-call inputs (``distances``, ``edge_features``,
      ...). An array-valued entry has one leading entry per query row and is sliced with the rows.
    """

    vis: Visibility
    single: bool = False
    extras: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Query rows ``m`` of this call (or of this block of it)."""
        return self.vis.rows

    @property
    def cols(self) -> int:
        """Keys ``n``."""
        return self.vis.cols

    def with_extras(self, **extras: Any) -> CallContext:
        """This context with more (or replaced) per-call inputs."""
        return replace(self, extras={**self.extras, **extras}) if extras else self

    def slice(self, start: int, stop: int) -> CallContext:
        """Rows ``start..stop``: positions stay global, per-row extras are sliced."""
        if start == 0 and stop == self.rows:
            return self
        extras = {name: value[start:stop] if isinstance(value, np.ndarray) else value for name, value in self.extras.items()}
        return CallContext(self.vis.slice(start, stop), self.single, extras)
