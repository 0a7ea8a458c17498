"""Hostile and broken XML is refused with a ListFormatError that names the file and the reason."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import pytest

from proscribe.sources import eu_xml
from proscribe.sources import un_xml as un
from proscribe.sources.base import ListFormatError
from proscribe.sources.xmlsafe import XmlRecords, child_text, clean_text, local_name, peek_root

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>
  <REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER><FIRST_NAME>&lol3;</FIRST_NAME>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>
  <REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER><FIRST_NAME>&secret;</FIRST_NAME>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""

# Port 9 (discard) on loopback: even a parser that tried to fetch it would get nothing.
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE CONSOLIDATED_LIST SYSTEM "http://127.0.0.1:9/sanctions.dtd">
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL>
  <REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME>
</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>
"""


def write(tmp_path: Path, text: str, name: str = "list.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BILLION_LAUGHS, "declares entities ('lol', 'lol1', 'lol2') that could expand without bound"),
        (XXE, "declares the external entity 'secret' (XXE)"),
        (EXTERNAL_DTD, "refers to an external DTD ('http://127.0.0.1:9/sanctions.dtd')"),
    ],
    ids=["billion-laughs", "xxe", "external-dtd"],
)
def test_hostile_xml_is_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ListFormatError) as info:
        un.read(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert reason in message
    assert "refused" in message
    assert "root:" not in message  # nothing of /etc/passwd leaks into the error


def test_hostile_xml_is_refused_by_the_eu_reader_too(tmp_path: Path) -> None:
    path = write(tmp_path, XXE.replace("CONSOLIDATED_LIST", "export"))
    with pytest.raises(ListFormatError, match=r"external entity 'secret' \(XXE\)"):
        eu_xml.read(path)


def test_a_truncated_file_is_refused_naming_the_line(tmp_path: Path, un_xml: Path) -> None:
    data = un_xml.read_bytes()
    half = data[: len(data) // 2]
    path = tmp_path / "half.xml"
    path.write_bytes(half)
    last_line = half.count(b"\n") + 1
    with pytest.raises(ListFormatError) as info:
        un.read(path)
    assert info.value.path == str(path)
    assert info.value.location is not None
    assert info.value.location.startswith(f"line {last_line}, column ")
    assert "truncated" in info.value.reason
    assert str(path) in str(info.value)


def test_malformed_xml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "<CONSOLIDATED_LIST>\n  <INDIVIDUALS>\n  </ENTITIES>\n</CONSOLIDATED_LIST>\n")
    with pytest.raises(ListFormatError) as info:
        un.read(path)
    assert info.value.location == "line 3, column 5"
    assert info.value.reason == "not well-formed XML (mismatched tag)"


def test_a_file_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "Report Date: 01-Jan-2026\nUnique ID,Name 6\n", name="list.csv")
    with pytest.raises(ListFormatError) as info:
        un.read(path)
    assert str(info.value) == f"{path}, line 1, column 1: not well-formed XML (syntax error)"


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(ListFormatError, match="the file is empty"):
        un.read(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="cannot be read"):
        un.read(tmp_path / "nothing-here.xml")


def test_records_are_cleared_and_detached_as_the_stream_moves_on(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<list generated="2026-01-01"><items>'
        + "".join(f"<item><n>{i}</n></item>" for i in range(5))
        + "</items></list>",
    )
    reader = XmlRecords(path, {"item"}, expected_root="list")
    kept: list[Element] = []
    for elem in reader:
        assert reader.root_attrib == {"generated": "2026-01-01"}
        assert child_text(elem, "n") == str(len(kept))  # complete while the loop body runs
        kept.append(elem)
    assert len(kept) == 5
    assert all(len(elem) == 0 for elem in kept)  # children dropped once the loop moved on
    assert reader.root_tag == "list"


def test_peek_root_reads_namespace_through_bom_comment_and_declaration(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <fake/> -->\n'
        b'<fsd:export xmlns:fsd="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-01-01">'
    )
    peek = peek_root(path)
    assert peek.name == "export"
    assert peek.namespace == "http://eu.europa.ec/fpi/fsd/export"


def test_peek_root_never_raises(tmp_path: Path) -> None:
    assert peek_root(tmp_path).name is None  # a folder
    assert peek_root(tmp_path / "missing").name is None
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)))
    assert peek_root(binary).name is None


def test_text_helpers() -> None:
    assert clean_text("  National Identification\n        Number ") == "National Identification Number"
    assert clean_text(None) == ""
    assert local_name("{http://eu.europa.ec/fpi/fsd/export}sanctionEntity") == "sanctionEntity"
    assert local_name("INDIVIDUAL") == "INDIVIDUAL"
