"""A drop-in plugin's manifest (``plugin.toml``) -> :class:`PluginSpec`.

The format is documented in docs/plugins.md. Every problem is reported with the file and
the key, because the person reading it is a plugin author fixing their manifest.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

from ._formats import FormatSpec, Signature
from ._hookspecs import PluginSpec

MANIFEST = "plugin.toml"
"""The manifest's file name inside a plugin's folder."""

LIMIT_CEILINGS: dict[str, float] = {
    "memory_mb": 4096,
    "timeout_s": 600,
    "max_pages": 100_000,
    "max_chars_per_page": 10_000_000,
}
"""The most a manifest may name. A manifest only lowers the caller's limits for its plugin
(see :func:`conductor._extract.with_overrides`); it never raises them."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_KEYS = {"name", "version", "api-version", "component", "priority", "description"}
_KEYS |= {"page-parallel"}
_KEYS |= {"formats", "limits"}
_FORMAT_KEYS = {"name", "media-types", "extensions", "magic", "trust-hints"}
_MAGIC_KEYS = {"bytes", "hex", "offset", "range", "ignore-case", "zip-member"}


class ManifestError(ValueError):
    """The manifest cannot be used; the message names the file and what is wrong."""


def load_manifest(path: Path) -> PluginSpec:
    """Reads and checks ``path`` (a ``plugin.toml``).

    :raises ManifestError: unreadable, not TOML, a missing or mistyped key, an unknown
        key, a component file that is not there, a limit over :data:`LIMIT_CEILINGS`.
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ManifestError(f"{path}: cannot read it ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ManifestError(f"{path}: not valid TOML ({e})") from None
    return _Reader(path).plugin(raw)


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> ManifestError:
        return ManifestError(f"{self.path}: {message}")

    def get(self, table: dict[str, Any], key: str, kind: type, where: str = "") -> Any:
        value = table.get(key)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            missing = "is missing" if value is None else f"is {value!r}"
            raise self.fail(f"{where}{key} {missing}; expected {kind.__name__}")
        return value

    def unknown(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(
                f"unknown key {where}{extra[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )

    def plugin(self, raw: dict[str, Any]) -> PluginSpec:
        self.unknown(raw, _KEYS, "")
        name = self.get(raw, "name", str)
        if not _NAME.match(name):
            raise self.fail(f"name {name!r} must be 1-64 of a-z 0-9 _ . - (starting a-z/0-9)")
        version = self.get(raw, "version", str)
        api_version = self.get(raw, "api-version", str)
        component = raw.get("component", f"{name}.wasm")
        if not isinstance(component, str) or "/" in component or component.startswith("."):
            raise self.fail(f"component {component!r} must be a file name beside the manifest")
        component_path = self.path.parent / component
        if not component_path.is_file():
            raise self.fail(f"component {component} is not there ({component_path})")
        priority = raw.get("priority", 0)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise self.fail(f"priority {priority!r} must be an integer")
        formats = raw.get("formats")
        if not isinstance(formats, list) or not formats:
            raise self.fail("formats is missing; expected at least one [[formats]] table")
        specs = tuple(self.format(f, i) for i, f in enumerate(formats))
        page_parallel = raw.get("page-parallel", False)
        if not isinstance(page_parallel, bool):
            raise self.fail("page-parallel must be true or false")
        return PluginSpec(
            name=name,
            formats=tuple(s.name for s in specs),
            component_path=component_path,
            version=version,
            api_version=api_version,
            priority=priority,
            format_specs=specs,
            limits=self.limits(raw.get("limits", {})),
            page_parallel=page_parallel,
        )

    def format(self, raw: object, index: int) -> FormatSpec:
        where = f"formats[{index}]."
        if not isinstance(raw, dict):
            raise self.fail(f"formats[{index}] must be a table")
        self.unknown(raw, _FORMAT_KEYS, where)
        name = self.get(raw, "name", str, where)
        if not _NAME.match(name):
            raise self.fail(f"{where}name {name!r} must be 1-64 of a-z 0-9 _ . -")
        lists = {}
        for key in ("media-types", "extensions"):
            items = raw.get(key, [])
            if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
                raise self.fail(f"{where}{key} must be a list of non-empty strings")
            lists[key] = tuple(x.lower().lstrip(".") for x in items)
        magic = raw.get("magic", [])
        if not isinstance(magic, list):
            raise self.fail(f"{where}magic must be a list of inline tables")
        signatures = tuple(self.signature(m, f"{where}magic[{i}].") for i, m in enumerate(magic))
        trust = raw.get("trust-hints", False)
        if not isinstance(trust, bool):
            raise self.fail(f"{where}trust-hints must be true or false")
        return FormatSpec(name, lists["media-types"], lists["extensions"], signatures, trust)

    def signature(self, raw: object, where: str) -> Signature:
        if not isinstance(raw, dict):
            raise self.fail(f"{where[:-1]} must be a table")
        self.unknown(raw, _MAGIC_KEYS, where)
        given = [k for k in ("bytes", "hex", "zip-member") if k in raw]
        if len(given) != 1:
            raise self.fail(f"{where[:-1]} needs exactly one of bytes, hex, zip-member")
        offset = raw.get("offset", 0)
        span = raw.get("range", 0)
        ignore_case = raw.get("ignore-case", False)
        for key, value in (("offset", offset), ("range", span)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise self.fail(f"{where}{key} {value!r} must be an integer >= 0")
        if not isinstance(ignore_case, bool):
            raise self.fail(f"{where}ignore-case must be true or false")
        try:
            if given[0] == "zip-member":
                return Signature(zip_member=self.get(raw, "zip-member", str, where))
            if given[0] == "hex":
                data = bytes.fromhex(self.get(raw, "hex", str, where))
            else:
                data = self.get(raw, "bytes", str, where).encode("utf-8")
            return Signature(data, offset, span, ignore_case)
        except ValueError as e:
            raise self.fail(f"{where[:-1]}: {e}") from None

    def limits(self, raw: object) -> dict[str, float]:
        if not isinstance(raw, dict):
            raise self.fail("limits must be a table")
        out: dict[str, float] = {}
        for key, value in raw.items():
            field = key.replace("-", "_")
            ceiling = LIMIT_CEILINGS.get(field)
            if ceiling is None:
                allowed = ", ".join(k.replace("_", "-") for k in LIMIT_CEILINGS)
                raise self.fail(f"unknown key limits.{key!r} (allowed: {allowed})")
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise self.fail(f"limits.{key} {value!r} must be a positive number")
            if field != "timeout_s" and not isinstance(value, int):
                raise self.fail(f"limits.{key} {value!r} must be an integer")
            if value > ceiling:
                raise self.fail(f"limits.{key} {value:g} is over the host's ceiling {ceiling:g}")
            out[field] = value
        return out


__all__ = ["LIMIT_CEILINGS", "MANIFEST", "ManifestError", "load_manifest"]
