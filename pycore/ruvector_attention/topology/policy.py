"""The STABLE / CAUTIOUS / FREEZE policy with hysteresis."""

from __future__ import annotations

import enum

__all__ = ["AttentionMode", "GatingPolicy"]


class AttentionMode(enum.Enum):
    """What topology-gated attention does with the current window."""

    STABLE = "stable"
    """Full softmax attention."""
    CAUTIOUS = "cautious"
    """Top-k sparse attention at a higher temperature."""
    FREEZE = "freeze"
    """No new attention: the previous output is returned."""


_LEVEL = {AttentionMode.FREEZE: 0, AttentionMode.CAUTIOUS: 1, AttentionMode.STABLE: 2}


class GatingPolicy:
    """Picks the mode from coherence ``c``: ``c >= stable`` STABLE, ``c >= freeze`` CAUTIOUS,
    else FREEZE; after the first decision the mode changes only when ``c`` passes the
    threshold between the modes by more than ``hysteresis`` (so a ``c`` hovering at a
    threshold does not flap)."""

    def __init__(self, stable: float, freeze: float, hysteresis: float) -> None:
        self.stable, self.freeze, self.hysteresis = stable, freeze, hysteresis
        self.mode: AttentionMode | None = None

    def _raw(self, c: float) -> AttentionMode:
        if c >= self.stable:
            return AttentionMode.STABLE
        return AttentionMode.CAUTIOUS if c >= self.freeze else AttentionMode.FREEZE

    def update(self, c: float) -> AttentionMode:
        """The mode for coherence ``c``, remembered for the next call."""
        raw = self._raw(c)
        if self.mode is None or raw is self.mode:
            self.mode = raw
            return raw
        if _LEVEL[raw] > _LEVEL[self.mode]:  # must clear the threshold above by the margin
            candidate = self._raw(c - self.hysteresis)
            if _LEVEL[candidate] > _LEVEL[self.mode]:
                self.mode = candidate
        else:  # must fall below the threshold under the current mode by the margin
            candidate = self._raw(c + self.hysteresis)
            if _LEVEL[candidate] < _LEVEL[self.mode]:
                self.mode = candidate
        return self.mode

    def reset(self) -> None:
        self.mode = None
