"""engagic-conductor: document text extraction with every format parser sandboxed in
WebAssembly.

>>> from conductor import extract
>>> doc = extract("agenda.pdf")            # doctest: +SKIP
>>> doc.pages[0].text                      # doctest: +SKIP
"""

from ._detect import detect_format
from ._errors import (
    ConductorError,
    CorruptDocumentError,
    EncryptedDocumentError,
    ExtractTimeoutError,
    MemoryLimitError,
    PluginFailureError,
    ReadError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._extract import Extractor, extract
from ._models import Document, ExtractWarning, Limits, Metadata, OutlineEntry, Page

__all__ = [
    "ConductorError",
    "CorruptDocumentError",
    "Document",
    "EncryptedDocumentError",
    "ExtractTimeoutError",
    "ExtractWarning",
    "Extractor",
    "Limits",
    "MemoryLimitError",
    "Metadata",
    "OutlineEntry",
    "Page",
    "PluginFailureError",
    "ReadError",
    "TooLargeError",
    "UnsupportedFormatError",
    "detect_format",
    "extract",
]
