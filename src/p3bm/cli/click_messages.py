"""Click's usage errors in Indonesian.

Click writes its messages in English through gettext, which picks the
language from the environment rather than from ``--lang``. These patterns
match the English text of the pinned click release (8.3) and give the
Indonesian one. A message that no pattern matches stays in English.
"""

from __future__ import annotations

import re

# Details after "Invalid value for X:", which the parameter types write.
_VALUE_DETAILS = (
    (
        r"'(?P<value>.*)' is not a valid integer(?: range)?\.",
        "'{value}' bukan bilangan bulat.",
    ),
    (r"'(?P<value>.*)' is not a valid float(?: range)?\.", "'{value}' bukan angka."),
    (r"'(?P<value>.*)' is not a valid boolean\.", "'{value}' bukan ya/tidak."),
    (
        r"(?P<value>.*) is not in the range (?P<range>.+)\.",
        "{value} di luar rentang {range}.",
    ),
    (
        r"'(?P<value>.*)' is not one of (?P<choices>.+)\.",
        "'{value}' bukan salah satu dari {choices}.",
    ),
    (r"'(?P<value>.*)' is not (?P<choices>'.+')\.", "'{value}' bukan {choices}."),
    (
        r"'(?P<value>.*)' does not match the formats? (?P<formats>.+)\.",
        "'{value}' tidak sesuai format {formats}.",
    ),
    (r"(?:File|Path) '(?P<name>.+)' does not exist\.", "Berkas '{name}' tidak ada."),
    (r"Directory '(?P<name>.+)' does not exist\.", "Folder '{name}' tidak ada."),
    (
        r"(?:File|Path) '(?P<name>.+)' is a directory\.",
        "'{name}' adalah folder, bukan berkas.",
    ),
    (
        r"Directory '(?P<name>.+)' is a file\.",
        "'{name}' adalah berkas, bukan folder.",
    ),
    (
        r"(?:File|Directory|Path) '(?P<name>.+)' is not readable\.",
        "'{name}' tidak bisa dibaca.",
    ),
    (
        r"(?:File|Directory|Path) '(?P<name>.+)' is not writable\.",
        "'{name}' tidak bisa ditulisi.",
    ),
)

_MESSAGES = (
    (r"Missing argument '(?P<name>.+)'\.", "Argumen {name} belum diberikan."),
    (r"Missing option '(?P<name>.+)'\.", "Opsi {name} wajib diisi."),
    (
        r"No such option: (?P<name>\S+?)\.? Did you mean (?P<hint>.+)\?",
        "Opsi {name} tidak dikenal. Mungkin maksudnya {hint}?",
    ),
    (
        r"No such option: (?P<name>\S+?)\.? \(Possible options: (?P<hint>.+)\)",
        "Opsi {name} tidak dikenal. Mungkin salah satu dari: {hint}.",
    ),
    (r"No such option: (?P<name>\S+)", "Opsi {name} tidak dikenal."),
    (r"No such command '(?P<name>.+)'\.", "Perintah '{name}' tidak dikenal."),
    (r"Missing command\.", "Perintah belum diberikan."),
    (
        r"Got unexpected extra arguments? \((?P<values>.+)\)",
        "Ada argumen berlebih: {values}.",
    ),
    (r"Option '(?P<name>.+)' requires an argument\.", "Opsi {name} memerlukan nilai."),
    (
        r"Option '(?P<name>.+)' requires (?P<count>\d+) arguments\.",
        "Opsi {name} memerlukan {count} nilai.",
    ),
    (
        r"Option '(?P<name>.+)' does not take a value\.",
        "Opsi {name} tidak menerima nilai.",
    ),
)

_INVALID_VALUE = re.compile(r"Invalid value for (?P<name>.+?): (?P<detail>.+)")
_INVALID_VALUE_ALONE = re.compile(r"Invalid value: (?P<detail>.+)")


def _translate(text: str, patterns) -> str | None:
    for pattern, indonesian in patterns:
        found = re.fullmatch(pattern, text)
        if found:
            return indonesian.format(**found.groupdict())
    return None


def indonesian_click_message(message: str) -> str:
    """Return click's one-line ``message`` in Indonesian, or as it is if unknown."""
    invalid = _INVALID_VALUE.fullmatch(message)
    if invalid:
        detail = invalid["detail"]
        detail = _translate(detail, _VALUE_DETAILS) or detail
        return f"Nilai tidak sah untuk {invalid['name']}: {detail}"
    alone = _INVALID_VALUE_ALONE.fullmatch(message)
    if alone:
        detail = alone["detail"]
        return f"Nilai tidak sah: {_translate(detail, _VALUE_DETAILS) or detail}"
    return _translate(message, _MESSAGES) or message
