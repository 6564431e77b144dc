"""Chunking: an extracted :class:`Document` -> token-bounded :class:`Chunk` objects.

The work is done by the chunker component (``_components/chunker.wasm``, WIT world
``chunker``) in the sandbox, like extraction, with one difference: its instance is kept
per thread across documents (see :mod:`conductor._sandbox._live`), because building the
tokenizer costs about 100 ms per instantiation. The instance is replaced after any trap
and after the plugin reports an internal failure.

What the host adds: it checks the configuration's types and ranges (so a bad value is an
:class:`InvalidConfigError` before anything runs), hands over the document's headings and
its PDF outline entries as the known headings, and re-checks the chunks' shape on the way
back.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ._convert import (
    MalformedOutputError,
    chunk_config_to_wit,
    chunk_error_from_wit,
    chunk_from_wit,
    chunk_input_to_wit,
    info_from_wit,
    split_result,
)
from ._errors import InvalidConfigError, PluginFailureError
from ._hookspecs import PluginInfo
from ._models import Chunk, Document, Heading, Limits
from ._registry import check_api_version
from ._sandbox import CallLimits, LiveInstance, Sandbox
from ._types import ENCODINGS

PLUGIN = "chunker"
_U32 = 1 << 32


def chunk_headings(document: Document) -> list[Heading]:
    """The headings the chunker is told about: the document's own headings and its outline
    entries that resolve to a page (as headings without an offset), sorted by page, then
    offset (0 when unknown); the sort is stable, so ties keep this order."""
    known = list(document.headings)
    known += [
        Heading(entry.title, entry.level, entry.page, None)
        for entry in document.outline
        if entry.page is not None
    ]
    return sorted(known, key=lambda h: (h.page, h.offset or 0))


def check_config(
    *,
    max_tokens: object,
    overlap_tokens: object,
    encoding: object,
    respect_paragraphs: object,
    document: str | None = None,
) -> None:
    """The host's check of a chunking configuration (the plugin checks it again).

    :param document: the document's name, for the error.
    :raises InvalidConfigError: for a value of the wrong type or out of range.
    """

    def bad(message: str) -> InvalidConfigError:
        return InvalidConfigError(message, document=document)

    def u32(name: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"{name} must be an int, got {value!r}")
        if not 0 <= value < _U32:
            raise bad(f"{name} must be in 0..{_U32 - 1}, got {value}")
        return value

    max_tokens = u32("max_tokens", max_tokens)
    overlap_tokens = u32("overlap_tokens", overlap_tokens)
    if max_tokens < 1:
        raise bad(f"max_tokens must be at least 1, got {max_tokens}")
    if overlap_tokens >= max_tokens:
        raise bad(f"overlap_tokens ({overlap_tokens}) must be below max_tokens ({max_tokens})")
    if encoding not in ENCODINGS:
        raise bad(f"encoding must be one of {', '.join(ENCODINGS)}, got {encoding!r}")
    if not isinstance(respect_paragraphs, bool):
        raise bad(f"respect_paragraphs must be a bool, got {respect_paragraphs!r}")


def _check_output(chunks: list[Chunk], *, text_chars: int, max_tokens: int) -> None:
    end = 0
    for i, c in enumerate(chunks):
        if c.index != i:
            raise MalformedOutputError(f"chunk {i} has index {c.index}")
        if not 0 <= c.char_start <= c.char_end <= text_chars:
            raise MalformedOutputError(
                f"chunk {i} spans [{c.char_start}, {c.char_end}) of a {text_chars} character text"
            )
        if len(c.text) != c.char_end - c.char_start:
            raise MalformedOutputError(f"chunk {i}'s text does not match its offsets")
        if c.tokens > max_tokens:
            raise MalformedOutputError(f"chunk {i} has {c.tokens} tokens, over {max_tokens}")
        if c.char_end < end:
            raise MalformedOutputError(f"chunk {i} ends before chunk {i - 1}")
        end = c.char_end


class Chunker:
    """Runs the chunker component; thread-safe, with one live instance per thread.

    :param sandbox: the engine and compiled components to run it with.
    :param component: the chunker component (default: the built-in one).
    """

    def __init__(self, sandbox: Sandbox, component: Path) -> None:
        self._sandbox = sandbox
        self.component = component
        self._local = threading.local()
        self._lock = threading.Lock()
        self._verified = False
        self._info: PluginInfo | None = None

    def info(self, limits: Limits) -> PluginInfo:
        """The component's ``info()`` (loading and checking it first if needed): its
        version is stored with the chunks it makes (``conductor._db``)."""
        call_limits = CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack)
        self._live(document=f"<plugin {PLUGIN}>", limits=call_limits)
        with self._lock:
            assert self._info is not None
            return self._info

    def instance(self) -> LiveInstance | None:
        """The calling thread's live instance, if it has made one."""
        found: LiveInstance | None = getattr(self._local, "instance", None)
        return found

    def chunk(
        self,
        document: Document,
        *,
        max_tokens: int,
        overlap_tokens: int,
        encoding: str,
        respect_paragraphs: bool,
        limits: Limits,
    ) -> list[Chunk]:
        """See :func:`conductor.chunk`."""
        name = document.source
        check_config(
            max_tokens=max_tokens,
            overlap_tokens=overlap_tokens,
            encoding=encoding,
            respect_paragraphs=respect_paragraphs,
            document=name,
        )
        call_limits = CallLimits(limits.memory_mb, limits.timeout_s, limits.max_wasm_stack)
        live = self._live(document=name, limits=call_limits)
        out = live.call(
            "chunk",
            chunk_input_to_wit(document.pages, chunk_headings(document)),
            chunk_config_to_wit(
                max_tokens=max_tokens,
                overlap_tokens=overlap_tokens,
                encoding=encoding,
                respect_paragraphs=respect_paragraphs,
            ),
            limits=call_limits,
            document=name,
        )
        try:
            value, error = split_result(out, ok=list)
            if error is not None:
                if error[0] not in ("invalid-config", "too-large"):
                    live.discard()  # a caught panic: do not trust the instance's state
                raise chunk_error_from_wit(*error, document=name)
            chunks = [chunk_from_wit(c) for c in value]
            _check_output(chunks, text_chars=len(document.text), max_tokens=max_tokens)
        except MalformedOutputError as e:
            live.discard()
            raise PluginFailureError(
                f"plugin {PLUGIN!r} returned output that breaks the contract: {e}",
                document=name,
                stage="chunk",
            ) from e
        return chunks

    def _live(self, *, document: str, limits: CallLimits) -> LiveInstance:
        live = self.instance()
        if live is None:
            live = self._sandbox.live(self.component, plugin=PLUGIN, stage="chunk")
            self._local.instance = live
        with self._lock:
            verified = self._verified
        if not verified:
            self._verify(live, document=document, limits=limits)
        return live

    def _verify(self, live: LiveInstance, *, document: str, limits: CallLimits) -> None:
        value = live.call("info", limits=limits, document=document)
        try:
            info = info_from_wit(value)
        except MalformedOutputError as e:
            raise PluginFailureError(
                f"plugin {PLUGIN!r}: info() returned {e}", document=document, stage="load"
            ) from e
        try:
            check_api_version(info.api_version)
        except PluginFailureError as e:
            e.message = f"{PLUGIN} ({self.component.name}): {e.message}"
            e.document = document
            raise
        if info.name != PLUGIN:
            raise PluginFailureError(
                f"component {self.component.name} says it is {info.name!r}, not the chunker",
                document=document,
                stage="load",
                hint="point Extractor(chunker=...) at a build of plugins/chunker",
            )
        with self._lock:
            self._verified = True
            self._info = info


__all__ = ["PLUGIN", "Chunker", "check_config", "chunk_headings"]
