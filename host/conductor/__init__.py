"""engagic-conductor: document text extraction and token-exact chunking, with every
plugin sandboxed in WebAssembly.

>>> from conductor import chunk, extract
>>> doc = extract("agenda.pdf")            # doctest: +SKIP
>>> doc.pages[0].text                      # doctest: +SKIP
>>> chunk(doc, max_tokens=512)[0].section  # doctest: +SKIP
"""

from ._detect import detect_format
from ._errors import (
    ConductorError,
    CorruptDocumentError,
    DatabaseError,
    EncryptedDocumentError,
    ExtractTimeoutError,
    InvalidConfigError,
    MemoryLimitError,
    PluginFailureError,
    ReadError,
    TooLargeError,
    UnsupportedFormatError,
)
from ._extract import Extractor, chunk, extract
from ._models import (
    Chunk,
    Document,
    ExtractWarning,
    Heading,
    Limits,
    Metadata,
    OutlineEntry,
    Page,
)

__all__ = [
    "Chunk",
    "ConductorError",
    "CorruptDocumentError",
    "DatabaseError",
    "Document",
    "EncryptedDocumentError",
    "ExtractTimeoutError",
    "ExtractWarning",
    "Extractor",
    "Heading",
    "InvalidConfigError",
    "Limits",
    "MemoryLimitError",
    "Metadata",
    "OutlineEntry",
    "Page",
    "PluginFailureError",
    "ReadError",
    "TooLargeError",
    "UnsupportedFormatError",
    "chunk",
    "detect_format",
    "extract",
]
