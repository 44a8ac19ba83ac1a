"""P3BM: pro-poor planning, budgeting and monitoring for Indonesian regions."""

__version__ = "0.1.0"
