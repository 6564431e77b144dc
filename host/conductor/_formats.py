"""What identifies a format: magic-byte signatures, media types and file extensions.

Plugins declare these for the formats they handle (a drop-in plugin in its manifest, a
Python package in its :class:`~conductor.PluginSpec`); the host's detector matches a
document's first bytes against every declared signature. The model follows
shared-mime-info: a signature is bytes at an offset, optionally anywhere within a range
of start offsets, optionally ASCII case-insensitive; ZIP-based formats are recognised by
a member of the archive instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

_T = TypeVar("_T")

MAX_SIGNATURE_END = 64 * 1024
"""Signatures must lie within the first 64 KiB: detection reads no further."""


@dataclass(frozen=True)
class Signature:
    """Bytes that identify a format.

    :param data: the bytes to find (empty when ``zip_member`` is set).
    :param offset: where they start.
    :param range: also try every start from ``offset`` to ``offset + range``.
    :param ignore_case: compare ASCII letters case-insensitively.
    :param zip_member: instead of bytes: a ZIP archive containing this member.
    """

    data: bytes = b""
    offset: int = 0
    range: int = 0
    ignore_case: bool = False
    zip_member: str | None = None

    def __post_init__(self) -> None:
        if self.zip_member is None and not self.data:
            raise ValueError("a signature needs bytes or a zip member")
        if self.zip_member is not None and self.data:
            raise ValueError("a signature has either bytes or a zip member, not both")
        if self.offset < 0 or self.range < 0:
            raise ValueError("signature offset and range must be >= 0")
        if self.end > MAX_SIGNATURE_END:
            raise ValueError(
                f"signature ends at byte {self.end:,}, past the {MAX_SIGNATURE_END:,} bytes "
                "detection reads"
            )

    @property
    def end(self) -> int:
        """The byte after the last one this signature can look at."""
        return self.offset + self.range + len(self.data)

    @property
    def strength(self) -> int:
        """How specific a match is: longer signatures beat shorter ones on a tie."""
        return len(self.zip_member) + 4 if self.zip_member is not None else len(self.data)

    def matches(self, head: bytes, zip_members: frozenset[str] | None) -> bool:
        """Whether ``head`` (the document's first bytes) or its ZIP directory matches.

        :param zip_members: the archive's member names, or ``None`` when it is no ZIP.
        """
        if self.zip_member is not None:
            return zip_members is not None and self.zip_member in zip_members
        window = head[self.offset : self.end]
        if self.ignore_case:
            return self.data.lower() in window.lower()
        return self.data in window


@dataclass(frozen=True)
class FormatSpec:
    """A format a plugin handles, and how to recognise it.

    :param name: the short name documents report (``Document.format``), e.g. ``html``.
    :param media_types: Content-Type values that hint at it, lower-case.
    :param extensions: file extensions that hint at it, lower-case, without the dot.
    :param magic: signatures; any one matching identifies the format. A format without
        signatures is chosen only by its hints.
    :param trust_hints: let a hint choose this format even though none of its signatures
        matched: for formats whose documents do not always start alike (HTML fragments
        that open with ``<style>``), never for ones that always do (a ``.pdf`` without
        ``%PDF-`` is not a PDF).
    """

    name: str
    media_types: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    magic: tuple[Signature, ...] = field(default=())
    trust_hints: bool = False

    def merged(self, other: FormatSpec) -> FormatSpec:
        """This format with ``other``'s hints and signatures added (same name)."""
        return FormatSpec(
            self.name,
            _union(self.media_types, other.media_types),
            _union(self.extensions, other.extensions),
            _union(self.magic, other.magic),
            self.trust_hints or other.trust_hints,
        )


def _union(a: tuple[_T, ...], b: tuple[_T, ...]) -> tuple[_T, ...]:
    return a + tuple(x for x in b if x not in a)


PDF = FormatSpec(
    "pdf",
    media_types=("application/pdf", "application/x-pdf"),
    extensions=("pdf",),
    # Acrobat accepts up to 1024 bytes of junk before the header.
    magic=(Signature(b"%PDF-", range=1024 - len(b"%PDF-")),),
)
DOCX = FormatSpec(
    "docx",
    media_types=("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    extensions=("docx",),
    magic=(Signature(zip_member="word/document.xml"),),
)

__all__ = ["DOCX", "MAX_SIGNATURE_END", "PDF", "FormatSpec", "Signature"]
