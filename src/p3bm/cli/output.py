"""Printing results as an aligned table, JSON or CSV.

In CSV a list of plain values is written as its items joined with ``"; "``,
and a dictionary or a list of dictionaries or lists as JSON, so that no cell
contains a Python repr. Text a spreadsheet could read as a formula is
escaped.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence

import click

from p3bm.spreadsheet import escape_csv_value

FORMATS = ("table", "json", "csv")


def format_option(function):
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )(function)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set | frozenset | dict):
        return str(_flatten(value))
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    # A line break or tab inside a value would break the table's layout.
    return " ".join(str(value).split())


def csv_cell(value: object) -> object:
    """Convert one value for a CSV cell: readable text for containers, escaped
    text for formula-like strings, numbers unchanged."""
    if value is None:
        return ""
    return escape_csv_value(_flatten(value))


def _flatten(value: object) -> object:
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        if all(_is_plain(item) for item in items):
            return "; ".join("" if item is None else str(item) for item in items)
        return json.dumps(list(items), ensure_ascii=False, default=str)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _is_plain(value: object) -> bool:
    return value is None or isinstance(value, str | int | float)


def print_rows(
    rows: Sequence[dict[str, object]],
    output_format: str,
    columns: Sequence[str] | None = None,
    headers: Sequence[str] | None = None,
) -> None:
    """Print dictionaries in the chosen format; the table shows ``columns`` only.

    ``headers`` titles the table's columns in the user's language; JSON and
    CSV keep the keys, which scripts read.
    """
    if output_format == "json":
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    keys = list(columns or (rows[0].keys() if rows else []))
    if output_format == "csv":
        all_keys = list(dict.fromkeys(key for row in rows for key in row)) or keys
        writer = csv.DictWriter(sys.stdout, fieldnames=all_keys, extrasaction="ignore")
        writer.writerow({key: csv_cell(key) for key in all_keys})
        for row in rows:
            writer.writerow({key: csv_cell(row.get(key)) for key in all_keys})
        return
    print_table(
        [[_cell(row.get(key)) for key in keys] for row in rows], headers or keys
    )


def print_table(body: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    widths = [len(title) for title in header]
    for row in body:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]
    line = "  ".join(
        title.ljust(width) for title, width in zip(header, widths, strict=True)
    )
    click.echo(line.rstrip())
    click.echo("  ".join("-" * width for width in widths))
    for row in body:
        click.echo(
            "  ".join(
                cell.ljust(w) for cell, w in zip(row, widths, strict=True)
            ).rstrip()
        )


def print_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
