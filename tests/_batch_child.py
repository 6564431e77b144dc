"""Runs one batch through :class:`conductor.Conductor` in a fresh process and prints what
came back, with the process's memory figures (``tests/test_batch_isolation.py``).

    python tests/_batch_child.py SPEC.json

``SPEC.json``: ``{"items": [{"path": ...}, ...], "warm_up": [PATH, ...], "database": PATH,
"workers": N, "limits": {Limits fields}}``. Prints one JSON object: ``results`` (per input,
in order), ``baseline_mib`` (resident set after the warm-up documents: engine, compiled
plugins and every worker's instances loaded), ``peak_mib`` (the process's peak resident
set, ``VmHWM``) and ``wall_s``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from conductor import Conductor, Limits


def status_mib(field: str) -> float:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    conductor = Conductor(
        database=spec["database"],
        limits=Limits(**spec["limits"]),
        workers=spec["workers"],
    )
    # Distinct documents, one per worker at least, so that every thread's runners and
    # chunker instance exist before the baseline is taken.
    conductor.process_documents([{"path": p} for p in spec["warm_up"]])
    baseline = status_mib("VmRSS")
    start = time.monotonic()
    results = conductor.process_documents(spec["items"])
    wall = time.monotonic() - start
    out: list[dict[str, Any]] = []
    for r in results:
        item: dict[str, Any] = {"source": r.source, "ok": r.ok, "index": r.index}
        if r.document is not None:
            item["pages"] = [p.text for p in r.document.pages]
            item["chunks"] = None if r.chunks is None else len(r.chunks)
        if r.error is not None:
            item["error"] = {
                "class": type(r.error).__name__,
                "kind": r.error.kind,
                "stage": r.error.stage,
                "document": r.error.document,
                "text": str(r.error),
            }
        item["timings"] = r.timings
        out.append(item)
    report = {
        "results": out,
        "baseline_mib": round(baseline, 1),
        "peak_mib": round(status_mib("VmHWM"), 1),
        "wall_s": round(wall, 2),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
