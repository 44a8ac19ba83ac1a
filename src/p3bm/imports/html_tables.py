"""Tables from HTML pages, including the split layout of BPS web exports.

The BPS "download Excel" button saves HTML, not a workbook. Its table is cut
into four pieces so that the header and the area column stay in place while
scrolling: ``tableLeftUp`` (the area column's header), ``tableRightUp`` (a
title row over the year headers), ``tableLeftBottom`` (area names) and
``tableRightBottom`` (values). They are put back together here.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from p3bm.errors import InputFileError

_BPS_PARTS = ("tableLeftUp", "tableRightUp", "tableLeftBottom", "tableRightBottom")


def _cell_text(cell) -> str:
    return " ".join(cell.text_content().split())


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.get(name, "1")), 1000))
    except ValueError:
        return 1


def table_grid(table) -> list[list[object]]:
    """The cells of one table element, with row and column spans repeated."""
    grid: list[list[object]] = []
    pending: dict[tuple[int, int], str] = {}
    for row_index, row in enumerate(
        table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    ):
        cells: list[object] = []
        column = 0
        for cell in row.xpath("./td|./th"):
            while (row_index, column) in pending:
                cells.append(pending.pop((row_index, column)))
                column += 1
            text = _cell_text(cell)
            for offset in range(_span(cell, "colspan")):
                cells.append(text)
                for extra_row in range(1, _span(cell, "rowspan")):
                    pending[(row_index + extra_row, column + offset)] = text
            column += _span(cell, "colspan")
        while (row_index, column) in pending:
            cells.append(pending.pop((row_index, column)))
            column += 1
        grid.append(cells)
    return grid


def _bps_split_table(document) -> tuple[list[list[object]], list[str]] | None:
    parts = {}
    for part in _BPS_PARTS:
        found = document.xpath(f"//table[@id='{part}']")
        if not found:
            return None
        parts[part] = table_grid(found[0])
    left_header, right_header = parts["tableLeftUp"], parts["tableRightUp"]
    left_body, right_body = parts["tableLeftBottom"], parts["tableRightBottom"]
    if not right_header or len(left_body) != len(right_body):
        return None
    titles = []
    for row in right_header[:-1]:
        distinct = [text for text in dict.fromkeys(row) if text]
        titles.extend(str(text) for text in distinct)
    header = (left_header[-1] if left_header else [""]) + right_header[-1]
    body = [left + right for left, right in zip(left_body, right_body, strict=True)]
    return [header, *body], titles


def html_tables(
    name: str, data: bytes
) -> list[tuple[str | None, list[list[object]], list[str]]]:
    """Tables of an HTML page as (label, rows, title lines)."""
    try:
        document = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise InputFileError(
            f"File {name} is not readable HTML: {exc}.",
            indonesian=(f"Berkas {name} bukan HTML yang dapat dibaca: {exc}.", None),
        ) from None
    split = _bps_split_table(document)
    if split is not None:
        rows, titles = split
        return [(None, rows, titles)]
    leaves = [table for table in document.iter("table") if not table.xpath(".//table")]
    result = []
    for number, table in enumerate(leaves, start=1):
        rows = table_grid(table)
        if rows:
            label = None if len(leaves) == 1 else f"table {number}"
            result.append((label, rows, []))
    return result
