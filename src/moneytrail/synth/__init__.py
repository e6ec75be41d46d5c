"""Synthetic coalition generator: each member's native files, ordinary life and labelled typologies.

A generator only: it imports model/, config and errors, and nothing downstream imports it
except the CLI (detection never reads its parameters).
"""

from __future__ import annotations

from moneytrail.synth.generate import Summary, generate

__all__ = ["Summary", "generate"]
