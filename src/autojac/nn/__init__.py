"""``autojac.nn``: only ``functional`` (no modules or parameters)."""

from . import functional

__all__ = ["functional"]
