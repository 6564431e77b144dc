"""``conductor plugins``: every plugin found, where from, what it handles, and every one
rejected with the reason, as one JSON-ready dict."""

from __future__ import annotations

from typing import Any

from ._errors import ConductorError
from ._extract import Extractor
from ._formats import FormatSpec, Signature
from ._registry import HOST_API_VERSION, Plugin


def _signature(sig: Signature) -> dict[str, Any]:
    if sig.zip_member is not None:
        return {"zip_member": sig.zip_member}
    return {
        "bytes": sig.data.decode("latin-1"),
        "offset": sig.offset,
        "range": sig.range,
        "ignore_case": sig.ignore_case,
    }


def _format(spec: FormatSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "media_types": list(spec.media_types),
        "extensions": list(spec.extensions),
        "magic": [_signature(s) for s in spec.magic],
    }


def describe_plugins(extractor: Extractor) -> dict[str, Any]:
    """Loads every plugin (so broken ones show up as rejected) and describes them.

    Shape: ``{"host_api_version", "plugin_path": [dir, ...], "pins": {format: plugin},
    "plugins": [{"name", "version", "api_version", "origin", "location", "component",
    "priority", "formats": [{"name", "media_types", "extensions", "magic"}], "limits",
    "active_for": [format, ...]}], "rejected": [{"name", "origin", "location",
    "reason"}], "chunker": {"name", "version", "api_version", "component", "error"}}``;
    ``active_for`` lists the formats it is the one dispatched to. The chunker is not a
    format plugin, but it is a component the host runs: it is listed on its own, with
    ``error`` (else ``None``) when it does not load.
    """
    extractor.check_plugins()
    chunker = _chunker(extractor)
    registry = extractor.registry
    plugins = registry.plugins

    def active_for(plugin: Plugin) -> list[str]:
        return [f for f in plugin.spec.formats if registry.plugin_for(f) is plugin.spec]

    def entry(plugin: Plugin) -> dict[str, Any]:
        spec = plugin.spec
        info = registry.info(spec)
        declared = {f.name: f for f in spec.format_specs}
        return {
            "name": spec.name,
            "version": info.version if info else spec.version,
            "api_version": info.api_version if info else spec.api_version,
            "origin": plugin.origin,
            "location": plugin.location,
            "component": str(spec.component_path),
            "priority": spec.priority,
            "formats": [_format(declared.get(f, FormatSpec(f))) for f in spec.formats],
            "limits": dict(spec.limits),
            "active_for": active_for(plugin),
        }

    return {
        "host_api_version": HOST_API_VERSION,
        "plugin_path": [str(p) for p in registry.plugin_path],
        "pins": dict(registry.pins),
        "plugins": [entry(p) for p in plugins],
        "rejected": [
            {"name": r.name, "origin": r.origin, "location": r.location, "reason": r.reason}
            for r in registry.rejected
        ],
        "chunker": chunker,
    }


def _chunker(extractor: Extractor) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "chunker",
        "version": None,
        "api_version": None,
        "component": str(extractor.chunker.component),
        "error": None,
    }
    try:
        info = extractor.chunker.info(extractor.limits)
    except ConductorError as e:
        entry["error"] = e.message
        return entry
    entry.update(name=info.name, version=info.version, api_version=info.api_version)
    return entry


def format_plugins(listing: dict[str, Any]) -> str:
    """The listing as text, one plugin per line, then the rejected ones."""
    lines = [f"host API {listing['host_api_version']}"]
    for p in listing["plugins"]:
        formats = ", ".join(f["name"] for f in p["formats"])
        active = ", ".join(p["active_for"]) or "none (outranked)"
        lines.append(
            f"{p['name']} {p['version'] or '?'} (API {p['api_version'] or '?'}, priority "
            f"{p['priority']}) [{p['origin']}] formats: {formats}; handles: {active}; "
            f"{p['location']}"
        )
    if listing["rejected"]:
        lines.append(f"{len(listing['rejected'])} rejected:")
        for r in listing["rejected"]:
            lines.append(f"  {r['name']} [{r['origin']}] {r['location']}: {r['reason']}")
    c = listing["chunker"]
    state = f"cannot load it: {c['error']}" if c["error"] else f"API {c['api_version']}"
    lines.append(f"chunker {c['version'] or '?'} ({state}) {c['component']}")
    dirs = ", ".join(listing["plugin_path"]) or "none"
    lines.append(f"plugin directories: {dirs}")
    return "\n".join(lines)


__all__ = ["describe_plugins", "format_plugins"]
