"""Explicit registrations of built components, for tests that run plugins the default
registry does not hold (the drop-in HTML plugin, test-only components)."""

from __future__ import annotations

from pathlib import Path

from conductor._hookspecs import PluginSpec, hookimpl
from conductor._registry import Registry

ROOT = Path(__file__).resolve().parent.parent
HTML_COMPONENT = ROOT / "build" / "plugins" / "html" / "html.wasm"


class ComponentPlugin:
    """Registers the component at ``path`` as plugin ``name`` for ``formats``."""

    def __init__(self, name: str, formats: tuple[str, ...], path: Path) -> None:
        self.name = name
        self.formats = formats
        self.path = path

    @hookimpl
    def conductor_register_plugins(self) -> list[PluginSpec]:
        return [PluginSpec(self.name, self.formats, self.path)]


def with_html() -> Registry:
    """The built-in plugins, plus the HTML plugin for ``html`` when it is built."""
    plugins = [ComponentPlugin("html", ("html",), HTML_COMPONENT)]
    return Registry(plugins if HTML_COMPONENT.is_file() else [], entry_points=False)
