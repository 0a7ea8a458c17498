"""The one CSV-cell helper every CSV writer uses (OWASP's rule against formula injection)."""

from __future__ import annotations

import csv
import io

import pytest

from proscribe import csvsafe


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-=1", "'-=1"),
        ("-", "'-"),
        ("Karim Khan", "Karim Khan"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        # plain numbers stay numbers: a negative amount is summable, and cannot be a formula
        ("-2500.00", "-2500.00"),
        ("+3", "+3"),
        ("-0.5", "-0.5"),
        ("-1e3", "-1e3"),
        (0.97, "0.97"),
    ],
)
def test_safe_cell(value: object, written: str) -> None:
    assert csvsafe.safe_cell(value) == written
    if isinstance(value, str):
        assert csvsafe.unsafe_cell(written) == value


def test_writer_neutralises_every_cell() -> None:
    out = io.StringIO()
    w = csvsafe.writer(out)
    w.writerow(["=1+1", "-1500.00", "@x", 'a,"b"'])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["'=1+1", "-1500.00", "'@x", 'a,"b"']]
