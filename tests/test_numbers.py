import pytest

from p3bm.imports.numbers import (
    MISSING,
    NOT_APPLICABLE,
    AmbiguousNumber,
    Convention,
    detect_convention,
    parse_number,
    parse_year,
)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("18,98", 18.98),
        ("18.98", 18.98),
        ("1.234.567", 1234567.0),
        ("1,234,567", 1234567.0),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("0,123", 0.123),
        ("56835.019", 56835.019),
        ("-3,5", -3.5),
        ("12,5 %", 12.5),
        ("Rp 657.953", 657953.0),
        ("  7148 ", 7148.0),
        (410988, 410988.0),
        (20.98, 20.98),
    ],
)
def test_parse_number_formats(cell, expected):
    assert parse_number(cell, Convention.DECIMAL_COMMA) == pytest.approx(expected)


@pytest.mark.parametrize("cell", [None, "", "-", "–", "...", "NA", "n/a", "  "])
def test_parse_number_missing(cell):
    assert parse_number(cell) is MISSING


def test_parse_number_not_applicable():
    assert parse_number("tidak berlaku") is NOT_APPLICABLE


@pytest.mark.parametrize("cell", ["abc", "12a", "1.23.4", "1,2,3,4"])
def test_parse_number_invalid(cell):
    with pytest.raises(ValueError):
        parse_number(cell)


def test_lone_group_needs_convention():
    with pytest.raises(AmbiguousNumber):
        parse_number("1.234", Convention.UNKNOWN)
    assert parse_number("1.234", Convention.DECIMAL_COMMA) == 1234.0
    assert parse_number("1.234", Convention.DECIMAL_POINT) == 1.234


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["18,98", "4,7", "7148"], Convention.DECIMAL_COMMA),
        (["18.98", "4.7"], Convention.DECIMAL_POINT),
        (["1.234.567", "2.000"], Convention.DECIMAL_COMMA),
        (["18,98", "11.34"], Convention.MIXED),
        (["1.234", "7148"], Convention.UNKNOWN),
    ],
)
def test_detect_convention(cells, expected):
    assert detect_convention(cells) is expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (2019, 2019),
        ("2019", 2019),
        ("2019.0", 2019),
        ("yr2010", 2010),
        ("Tahun 2021", 2021),
        ("1850", None),
        ("Tahun", None),
        (2019.5, None),
    ],
)
def test_parse_year(cell, expected):
    assert parse_year(cell) == expected
