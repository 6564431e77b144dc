"""Reading the input: path or bytes -> a file the plugin can take as stdin, its sha256,
its size (checked against ``Limits.max_bytes`` before any plugin runs) and its format."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from ._detect import Detector
from ._errors import ConductorError, ReadError, TooLargeError

_CHUNK = 1 << 20
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
"""A URL's scheme: such a "path" that is not a file is a URL given to the wrong command."""


@dataclass(frozen=True)
class Source:
    """A readable document: ``path`` is what the plugin gets as stdin."""

    name: str
    path: str
    size: int
    sha256: str
    format: str | None


def _too_large(name: str, size: int, max_bytes: int) -> TooLargeError:
    return TooLargeError(
        f"the document is {size:,} bytes, over the {max_bytes:,} byte limit",
        document=name,
        stage="read",
        hint="raise Limits.max_bytes if the document is legitimate",
    )


@contextlib.contextmanager
def open_source(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None,
    max_bytes: int,
    detector: Detector | None,
    media_type: str | None = None,
) -> Iterator[Source]:
    """Yields a :class:`Source`; bytes go to a private temp file, removed afterwards.

    :param detector: recognises the format (``None``: the caller knows it); the path, or
        else ``name``, is the extension hint, ``media_type`` the Content-Type hint.
    :raises ReadError: the path is missing, not a regular file, or unreadable.
    :raises TooLargeError: over ``max_bytes``.
    :raises UnsupportedFormatError: the format is not one plugins handle.
    """
    hints = _Hints(detector, media_type)
    if isinstance(source, bytes | bytearray | memoryview):
        yield from _from_bytes(
            bytes(source), name=name or "<bytes>", max_bytes=max_bytes, hints=hints
        )
    elif isinstance(source, str | os.PathLike):
        yield from _from_path(
            source, name=name or os.fspath(source), max_bytes=max_bytes, hints=hints
        )
    else:
        raise TypeError(f"source must be a path or bytes, not {type(source).__name__}")


def _named(error: ConductorError, name: str) -> ConductorError:
    error.document = name
    return error


@dataclass(frozen=True)
class _Hints:
    detector: Detector | None
    media_type: str | None


def _from_bytes(data: bytes, *, name: str, max_bytes: int, hints: _Hints) -> Iterator[Source]:
    if len(data) > max_bytes:
        raise _too_large(name, len(data), max_bytes)
    try:
        fmt = None
        if hints.detector is not None:
            fmt = hints.detector.detect(data, media_type=hints.media_type, filename=name)
    except ConductorError as e:
        raise _named(e, name) from None
    digest = hashlib.sha256(data).hexdigest()
    fd, tmp = tempfile.mkstemp(prefix="conductor-", suffix=".doc")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        yield Source(name, tmp, len(data), digest, fmt)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _from_path(
    source: str | os.PathLike[str], *, name: str, max_bytes: int, hints: _Hints
) -> Iterator[Source]:
    path = os.fspath(source)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file", document=name)
        if st.st_size > max_bytes:
            raise _too_large(name, st.st_size, max_bytes)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        fmt = None
        if hints.detector is not None:
            fmt = hints.detector.detect_path(path, media_type=hints.media_type, filename=name)
    except ConductorError as e:
        raise _named(e, name) from None
    except FileNotFoundError:
        if _URL.match(path):
            raise ReadError(
                "this is a URL, not a file: extract reads a path (or bytes), it does not download",
                document=name,
                hint="download and extract URLs with `conductor process URL` "
                "(Conductor.process_documents([{'url': ...}]) in Python)",
            ) from None
        raise ReadError("no such file", document=name) from None
    except OSError as e:
        raise ReadError(f"cannot read the file ({e.strerror or e})", document=name) from None
    yield Source(name, path, st.st_size, digest.hexdigest(), fmt)
