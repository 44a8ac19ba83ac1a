"""Loading the bundled list of public sample tables into a database.

``load_samples`` is what `p3bm up` runs on a folder of public tables: it
imports each crosswalk, boundary file and table named in
``data/sample_tables.yaml`` that the folder holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from p3bm.areas.boundaries import import_boundaries
from p3bm.areas.crosswalk import import_crosswalk
from p3bm.errors import P3BMError
from p3bm.imports import Importer, ImportOptions
from p3bm.storage.database import Database

logger = logging.getLogger(__name__)


@dataclass
class SampleLoad:
    """What loading the sample folder did, one line per file."""

    lines: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sample_manifest() -> dict:
    text = (resources.files("p3bm") / "data" / "sample_tables.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def load_samples(
    db: Database,
    folder: Path,
    user: str,
    rejected_dir: Path,
    progress: Callable[[str], None] = lambda line: None,
) -> SampleLoad:
    """Import each sample file found in ``folder``; a failure does not stop the rest."""
    manifest = sample_manifest()
    result = SampleLoad()

    def note(line: str) -> None:
        result.lines.append(line)
        progress(line)

    for relative in manifest.get("crosswalks", []):
        path = folder / relative
        if _present(path, result):
            _run(
                result,
                note,
                path,
                lambda p: _crosswalk_line(import_crosswalk(db, p), p),
            )
    for relative in manifest.get("boundaries", []):
        path = folder / relative
        if _present(path, result):
            _run(
                result,
                note,
                path,
                lambda p: f"{p.name}: {import_boundaries(db, p).matched} polygons",
            )
    importer = Importer(db, user)
    for entry in manifest.get("tables", []):
        path = folder / entry["path"]
        if not _present(path, result):
            continue
        options = {key: value for key, value in entry.items() if key != "path"}
        options["rejected_dir"] = rejected_dir
        options["reason"] = "public sample data"
        # The samples are published statistics, so the public may see them.
        options.setdefault("status", "published")
        _run(
            result,
            note,
            path,
            lambda p, o=options: _table_line(
                importer.import_file(p, ImportOptions(**o))
            ),
        )
    return result


def _present(path: Path, result: SampleLoad) -> bool:
    if path.is_file():
        return True
    result.skipped.append(str(path))
    return False


def _run(result: SampleLoad, note, path: Path, action) -> None:
    try:
        note(action(path))
    except P3BMError as exc:
        logger.warning("sample file %s failed: %s", path, exc)
        result.failed.append(f"{path.name}: {exc}")
        note(f"{path.name}: FAILED: {exc}")


def _crosswalk_line(outcome, path: Path) -> str:
    pairs = ", ".join(f"{count} {level}" for level, count in outcome.pairs.items())
    return f"{path.name}: crosswalk {pairs}"


def _table_line(report) -> str:
    line = (
        f"{report.file}: {report.outcome}, {report.added} added, {report.changed} "
        f"changed, {report.unchanged} unchanged"
    )
    if report.rejected_rows:
        line += f", {report.rejected_rows} rows rejected ({report.rejected_file})"
    return line
