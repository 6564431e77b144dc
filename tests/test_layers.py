"""The host package's layering: every import between its modules points down.

``LAYERS`` is the one place the layering is written down (docs/architecture.md refers to
it). Read top to bottom it is a total order: a module may import only modules listed
before it, so an import upward, and with it any import cycle, fails here. Imports inside
functions and under ``if TYPE_CHECKING:`` count too: they hide a cycle, they do not remove
it. A sub-package (``_db``, ``_fetch``, ``_sandbox``) is one entry; imports inside it are
its own business.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import conductor

PACKAGE = Path(conductor.__file__).parent

LAYERS: dict[str, tuple[str, ...]] = {
    # Plain values: exceptions, format signatures, type aliases, result dataclasses.
    "values": ("_errors", "_formats", "_types", "_models", "_quality"),
    # Finding plugins: hook specs, the built-ins, manifests, plugin folders, detection.
    "plugins": ("_hookspecs", "_builtin", "_manifest", "_plugin_dirs", "_detect", "_registry"),
    # Running one component: wasmtime, WIT <-> Python, reading the input; the limited
    # child processes beside it (renderer, tesseract, the pdfium fallback).
    "sandbox": ("_sandbox", "_convert", "_source", "_ocr"),
    # Extraction and chunking of one document.
    "extraction": ("_parallel", "_chunk", "_extract"),
    # The module-level functions over a default Extractor.
    "api": ("_api",),
    # Batches: the store, downloads, results, jobs, the Conductor.
    "batch": (
        "_db",
        "_results",
        "_worker_config",
        "_store",
        "_queue",
        "_fetch",
        "_jobs",
        "_pipeline",
        "_fanout",
        "_job_inputs",
        "_metrics_db",
        "_worker",
    ),
    # The HTTP service: jobs API, its job runner and callbacks, over the batch layer.
    "service": ("_service",),
    # The command line.
    "cli": ("_interrupt", "_listing", "_compare", "_queue_cli", "_cli"),
}

ORDER = [module for layer in LAYERS.values() for module in layer]
RANK = {module: i for i, module in enumerate(ORDER)}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}


def _modules() -> Iterator[tuple[Path, str]]:
    """Every ``.py`` file of the package but its ``__init__`` (the public surface, on
    top of everything), with its dotted name."""
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "__init__.py":
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield path, ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(dotted: str) -> str:
    """The table entry a dotted name belongs to: ``conductor._fetch._client`` -> ``_fetch``;
    the package itself -> ``conductor``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path, dotted: str) -> Iterator[tuple[int, str]]:
    """``(line, imported module)`` for every import of the package in the file, at any
    depth (module level, functions, ``if TYPE_CHECKING:``)."""
    is_package = path.name == "__init__.py"
    package = dotted if is_package else dotted.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "conductor":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "conductor":
                continue
            if node.module is None or target == "conductor":
                # `from . import _builtin`: the names are modules (or, from the package,
                # its public names: the top layer).
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def test_every_module_is_in_the_table() -> None:
    found = {_unit(dotted) for _, dotted in _modules()}
    assert found == set(ORDER), "place new modules in LAYERS (and drop removed ones)"
    assert len(ORDER) == len(RANK), "a module is listed twice"


def test_imports_point_down() -> None:
    upward = []
    for path, dotted in _modules():
        unit = _unit(dotted)
        for line, target in _imports(path, dotted):
            imported = _unit(target)
            if imported == unit:
                continue
            if imported not in RANK or RANK[imported] >= RANK[unit]:
                where = f"{path.relative_to(PACKAGE.parent)}:{line}"
                upward.append(
                    f"{where}: {unit} ({LAYER_OF[unit]}) imports {target} "
                    f"({LAYER_OF.get(imported, 'the public package')})"
                )
    assert upward == [], "imports that do not point down:\n" + "\n".join(upward)
