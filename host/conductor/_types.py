"""Type aliases shared across layers: plain names, no behaviour, no imports of the package.

They live at the bottom so that the result dataclasses (:mod:`conductor._models`) and the
batch configuration (:mod:`conductor._results`) can name them without importing the
modules that do the work.
"""

from __future__ import annotations

import os
from typing import Literal, get_args

Encoding = Literal["cl100k_base", "o200k_base"]
"""Tokenizers the chunker has built in."""

ENCODINGS: tuple[str, ...] = get_args(Encoding)

Source = str | os.PathLike[str] | bytes
"""A document to extract: a path, or the document's bytes."""

__all__ = ["ENCODINGS", "Encoding", "Source"]
