"""Option types shared by the commands."""

from __future__ import annotations

import math

import click

# Years of the data, as the database stores them.
YEAR = click.IntRange(1900, 2100)
# Ids of stored rows, which the database keeps as 32-bit integers.
ROW_ID = click.IntRange(1, 2**31 - 1)


class FiniteFloat(click.ParamType):
    """A number that is finite and within ``minimum`` and ``maximum``.

    click's FLOAT and FloatRange accept ``nan`` and ``inf``, which no amount
    or percent can be.
    """

    name = "number"

    def __init__(self, minimum: float, maximum: float, *, max_open: bool = False):
        self.minimum = minimum
        self.maximum = maximum
        self.max_open = max_open

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number.", param, ctx)
        if not math.isfinite(number):
            self.fail(
                f"{value!r} is not a finite number; write a plain number such as 12.5.",
                param,
                ctx,
            )
        is_above = number >= self.maximum if self.max_open else number > self.maximum
        if number < self.minimum or is_above:
            bound = "less than" if self.max_open else "at most"
            self.fail(
                f"{value!r} is out of range; write a number of at least "
                f"{self.minimum:,.0f} and {bound} {self.maximum:,.0f}.",
                param,
                ctx,
            )
        return number
