"""Page forms become the API's request structs; exports keep data from running as formulas."""

from __future__ import annotations

import io

import msgspec
import pytest
from litestar.datastructures import FormMultiDict
from openpyxl import load_workbook

from recall.errors import InvalidInput
from web.pages.export import csv_bytes, xlsx_bytes
from web.pages.forms import FormState, read, unflatten


class Reporter(msgspec.Struct):
    name: str
    kind: str


class Line(msgspec.Struct):
    batch_no: str
    quantity: int


class Intake(msgspec.Struct):
    description: str
    reporter: Reporter
    lines: list[Line] = []
    batch_ids: list[int] = []
    adverse_event: bool = False
    sample_available: bool = False


def _form(*pairs: tuple[str, str]) -> FormMultiDict:
    return FormMultiDict(list(pairs))


def test_dotted_indexed_and_list_names_become_nested_values():
    form = _form(
        ("description", " Cloudy syrup "),
        ("reporter.name", "Ibu Sari"),
        ("reporter.kind", "patient"),
        ("lines[1].batch_no", "B2"),
        ("lines[1].quantity", "5"),
        ("lines[0].batch_no", "B1"),
        ("lines[0].quantity", "3"),
        ("batch_ids[]", "7"),
        ("batch_ids[]", "9"),
        ("adverse_event", "true"),
        ("_csrf_token", "secret"),
        ("reporter.phone", "  "),
    )
    intake = read(form, Intake)
    assert intake == Intake(
        description="Cloudy syrup",
        reporter=Reporter(name="Ibu Sari", kind="patient"),
        lines=[Line("B1", 3), Line("B2", 5)],
        batch_ids=[7, 9],
        adverse_event=True,
    )
    assert "_csrf_token" not in unflatten(form)


@pytest.mark.parametrize(
    ("pairs", "field"),
    [
        ((("reporter.name", "A"), ("reporter.kind", "p")), "description"),
        ((("description", "x"), ("reporter.name", "A")), "reporter.kind"),
        (
            (
                ("description", "x"),
                ("reporter.name", "A"),
                ("reporter.kind", "p"),
                ("lines[0].batch_no", "B"),
                ("lines[0].quantity", "many"),
            ),
            "lines[0].quantity",
        ),
    ],
)
def test_a_bad_form_names_the_field(pairs, field):
    with pytest.raises(InvalidInput) as error:
        read(_form(*pairs), Intake)
    assert error.value.field == field


def test_a_huge_line_index_is_refused():
    with pytest.raises(InvalidInput) as error:
        unflatten(_form(("lines[99999999].quantity", "1")))
    assert error.value.field == "lines[99999999].quantity"


def test_a_failed_form_keeps_what_was_typed_and_marks_the_field():
    form = _form(("description", "x"), ("_csrf_token", "t"))
    state = FormState.failed(form, InvalidInput("reporter.kind", "must be one of …"))
    assert state.values == {"description": "x"}
    assert state.error_text == "must be one of …"
    assert state.has_error("reporter") and state.has_error("reporter.kind")
    assert not state.has_error("description")


def test_csv_opens_in_excel_and_never_runs_a_formula():
    content = csv_bytes(["Name", "Qty"], [['=HYPERLINK("x")', -5], ["Apotek Sehat", 3]])
    text = content.decode("utf-8")
    assert text.startswith("\ufeffName,Qty")
    assert "'=HYPERLINK" in text
    assert ",-5" in text


def test_xlsx_keeps_numbers_as_numbers():
    content = xlsx_bytes("Consignees", ["Name", "Qty"], [["+62 21 555", 12]])
    sheet = load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == ["Name", "Qty"]
    assert [cell.value for cell in sheet[2]] == ["'+62 21 555", 12]
    assert sheet["A1"].font.bold
