"""Identifiers that look valid to `\\d` and `$` but are not: Unicode digits, and a trailing newline."""

UNICODE_DIGITS = "١٢٣٤٥٦٧٨٩٠١٢"  # twelve Arabic-Indic digits: str.isdigit() and `\d` say yes
assert len(UNICODE_DIGITS) == 12 and UNICODE_DIGITS.isdigit()
