"""Brag documents in every form: real .docx (python-docx), .pdf (fpdf2, pypdf), .html files, and
broken and hostile ones (encrypted, scanned, truncated, renamed, zip bombs, other formats).

The files are made by the libraries that write those formats; what is checked is the text the
splitter gets (its units and sections), and that every refusal says what the file is.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from matcher import read_document, split_units
from matcher.errors import DocumentError, DocumentTooLarge
from matcher.readers import file_limit

docx = pytest.importorskip("docx")
fpdf = pytest.importorskip("fpdf")
pypdf = pytest.importorskip("pypdf")

LADDER = "lead-software-engineer"
ITEMS = {
    "Projects": [
        "Took over the orphaned billing exporter after its author left and fixed the duplicate-invoice bug",
        "Wrote the team's code review guide and added a CI check for migrations",
    ],
    "People": [
        "Paired with a new joiner every morning until she shipped the search filters on her own",
        "Ran the incident review for the March outage and tracked its actions to done",
    ],
}
LONG = (
    "Cut the reporting dashboard's scope to hit the cycle deadline, keeping the test suite and the "
    "accessibility work intact, and wrote up what was dropped for the next cycle"
)


def units(text: str) -> list[tuple[str, str]]:
    return [(u.section, u.text) for u in split_units(text)]


def expected() -> list[tuple[str, str]]:
    return [(section, item) for section, items in ITEMS.items() for item in items]


# -- makers -----------------------------------------------------------------------------------


def make_docx(path: Path) -> Path:
    d = docx.Document()
    d.add_heading("H2 2026", 0)
    for section, items in ITEMS.items():
        d.add_heading(section, 1)
        style = "List Bullet" if section == "Projects" else "List Number"
        for item in items:
            d.add_paragraph(item, style=style)
    d.save(str(path))
    return path


def make_pdf(path: Path | None = None) -> bytes:
    pdf = fpdf.FPDF()
    pdf.add_page()
    for section, items in ITEMS.items():
        pdf.set_font("helvetica", style="B", size=18)
        pdf.cell(text=section, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=11)
        for i, item in enumerate(items, start=1):
            marker = "-" if section == "Projects" else f"{i}."
            # A narrow column: the PDF wraps each item over two or three lines.
            pdf.multi_cell(w=90, text=f"{marker} {item}", new_x="LMARGIN", new_y="NEXT")
    data = bytes(pdf.output())
    if path is not None:
        path.write_bytes(data)
    return data


def pdf_bytes_of(writer) -> bytes:
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


# -- formats ----------------------------------------------------------------------------------


def test_docx_keeps_headings_bullets_and_numbering(tmp_path):
    text = read_document(make_docx(tmp_path / "brag.docx"))
    assert "## Projects" in text and "1. Paired with" in text and "2. Ran the incident" in text
    assert units(text) == expected()


def test_docx_paragraph_numbering_as_google_docs_writes_it(tmp_path):
    """Google Docs and Word put numbering on the paragraph (w:numPr), not in a list style."""
    from docx.oxml.ns import qn

    d = docx.Document()
    d.add_heading("Projects", 1)
    bullet_style = d.styles["List Bullet"].element
    num_id = bullet_style.pPr.numPr.numId.val  # the template's bullet numbering definition
    for item in ITEMS["Projects"]:
        p = d.add_paragraph(item)  # Normal style: the list comes from numPr alone
        num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num_id
        assert p._p.pPr.find(qn("w:numPr")) is not None
    d.add_paragraph("A closing paragraph. It has two sentences.")
    path = tmp_path / "gdocs.docx"
    d.save(str(path))
    text = read_document(path)
    assert [line for line in text.splitlines() if line.startswith("- ")] == [f"- {i}" for i in ITEMS["Projects"]]
    assert [t for _, t in units(text)] == [*ITEMS["Projects"], "A closing paragraph.", "It has two sentences."]


def test_docx_table_rows_and_nested_bullets(tmp_path):
    d = docx.Document()
    d.add_paragraph("Shipped the search filters", style="List Bullet")
    d.add_paragraph("Wrote their migration guide", style="List Bullet 2")
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Q3", "Led the on-call rota redesign"
    path = tmp_path / "t.docx"
    d.save(str(path))
    text = read_document(path)
    assert "\n  - Wrote their migration guide" in text
    assert [t for _, t in units(text)] == [
        "Shipped the search filters",
        "Wrote their migration guide",
        "Q3 · Led the on-call rota redesign",
    ]


def test_pdf_keeps_headings_bullets_numbering_and_joins_wrapped_lines(tmp_path):
    data = make_pdf(tmp_path / "brag.pdf")
    raw = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert len(raw.splitlines()) > 6  # the items really are wrapped in the PDF
    text = read_document(tmp_path / "brag.pdf")
    assert units(text) == expected()


def test_html_export_google_docs_and_confluence_style():
    html = b"""<!DOCTYPE html><html><head><title>brag</title><style>.c1{color:red}</style>
    <script>document.write('<li>injected</li>')</script></head><body>
    <h1 class="c2"><span>H2 2026</span></h1>
    <h2><span>Projects</span></h2>
    <ul class="lst-kix_1-0"><li class="c0"><span>Took over the orphaned billing exporter after its author left
      and fixed the duplicate-invoice bug</span></li>
    <li><p>Wrote the team&rsquo;s code review guide &amp; added a CI check</p>
      <ol><li>Review turnaround dropped from 3 days to 1</li><li>Adopted by two other teams</li></ol></li></ul>
    <h2>People</h2><p>Paired with a new joiner every morning. <b>She</b> now ships alone.</p>
    <table><tr><th>When</th><th>What</th></tr><tr><td>Q3</td><td>Ran the March incident review</td></tr></table>
    </body></html>"""
    text = read_document(html, "export.html")
    assert "injected" not in text and "color:red" not in text and "<" not in text
    assert units(text) == [
        (
            "Projects",
            "Took over the orphaned billing exporter after its author left and fixed the duplicate-invoice bug",
        ),
        ("Projects", "Wrote the team’s code review guide & added a CI check"),
        ("Projects", "Review turnaround dropped from 3 days to 1"),
        ("Projects", "Adopted by two other teams"),
        ("People", "Paired with a new joiner every morning."),
        ("People", "She now ships alone."),
        ("When · What", "Q3 · Ran the March incident review"),  # a header row is a label
    ]


def test_markdown_and_text_read_as_before(tmp_path):
    md = "## Projects\n- Shipped the search filters\n"
    (tmp_path / "a.md").write_text(md, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(md.encode("utf-16"))
    assert read_document(tmp_path / "a.md") == md
    assert read_document(tmp_path / "b.txt") == md


def test_a_renamed_pdf_or_docx_is_read_by_its_content(tmp_path):
    (tmp_path / "brag.md").write_bytes(make_pdf())
    assert units(read_document(tmp_path / "brag.md")) == expected()
    make_docx(tmp_path / "brag.docx").rename(tmp_path / "brag.txt")
    assert units(read_document(tmp_path / "brag.txt")) == expected()


# -- broken and hostile files -------------------------------------------------------------------


def refusal(data: bytes, name: str, exc: type[DocumentError] = DocumentError) -> str:
    with pytest.raises(exc) as info:
        read_document(data, name)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    return message


def test_encrypted_pdf_says_it_is_password_protected():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt(user_password="s3cret", algorithm="RC4-128")
    assert "password-protected" in refusal(pdf_bytes_of(writer), "locked.pdf")


def test_pdf_with_only_an_owner_password_opens():
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    assert units(read_document(pdf_bytes_of(writer), "restricted.pdf")) == expected()


def test_scanned_pdf_with_no_text_says_so():
    pdf = fpdf.FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(10, 10, 150, 200, style="F")  # a page that is a picture, no text
    message = refusal(bytes(pdf.output()), "scan.pdf")
    assert "no text" in message and "2 pages" in message and "scan" in message


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_pdf_is_a_clear_error(cut):
    data = make_pdf()
    message = refusal(data[: int(len(data) * cut)], "half.pdf")
    assert "Export it again" in message or "no text" in message


def test_truncated_docx_is_a_clear_error(tmp_path):
    data = make_docx(tmp_path / "a.docx").read_bytes()
    assert "damaged" in refusal(data[: len(data) // 2], "half.docx")


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path):
    source = make_docx(tmp_path / "a.docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out, zipfile.ZipFile(source) as src:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr("word/media/image1.png", b"\0" * (file_limit(2_000_000) * 5 + 1))
    data = buf.getvalue()
    assert len(data) < 1_000_000  # small on disk, huge unpacked
    assert "would unpack to" in refusal(data, "bomb.docx", DocumentTooLarge)


def test_docx_with_too_many_parts_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<x/>")
        for i in range(2_001):
            z.writestr(f"p/{i}", "")
    assert "parts" in refusal(buf.getvalue(), "many.docx", DocumentTooLarge)


def test_docx_whose_xml_is_hostile_is_a_clear_error(tmp_path):
    """A billion-laughs document.xml: entities are not expanded, and the file is refused or read
    without them, never hangs."""
    source = make_docx(tmp_path / "a.docx")
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i else "&lol;" * 10}">' for i in range(9))
        + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol8;</w:t></w:r></w:p></w:body></w:document>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out, zipfile.ZipFile(source) as src:
        for info in src.infolist():
            out.writestr(info, lol if info.filename == "word/document.xml" else src.read(info))
    try:
        text = read_document(buf.getvalue(), "lol.docx")
    except DocumentError as exc:
        assert str(exc).startswith("lol.docx: ")
    else:
        assert "lollol" not in text


@pytest.mark.parametrize(
    ("data", "name", "what"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old.doc", "old Word (.doc)"),
        (b"{\\rtf1\\ansi Hello}", "notes.rtf", "Rich Text"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "brag.png", "PNG image"),
        (b"hello, not a pdf at all", "brag.pdf", "named like a PDF"),
        (b"plain words", "brag.docx", "named like a Word document"),
    ],
)
def test_other_formats_say_what_they_are(data, name, what):
    assert what in refusal(data, name)


@pytest.mark.parametrize(
    ("member", "what"),
    [("mimetype", "OpenDocument"), ("xl/workbook.xml", "Excel"), ("readme.txt", "ZIP archive")],
)
def test_zip_files_that_are_not_word_documents(member, what):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "x")
    assert what in refusal(buf.getvalue(), "brag.docx")


def test_size_limits_apply_to_the_file_and_to_its_text(tmp_path):
    d = docx.Document()
    for i in range(2_000):
        d.add_paragraph(f"{i}: {LONG}", style="List Bullet")
    path = tmp_path / "long.docx"
    d.save(str(path))
    text = read_document(path)
    assert len(text.encode()) > 300_000 > path.stat().st_size * 2  # text compresses well in a .docx
    with pytest.raises(DocumentTooLarge, match="its text is over the 300,000-byte limit"):
        read_document(path, max_bytes=300_000)
    with pytest.raises(DocumentTooLarge, match="file limit"):
        read_document(path, max_bytes=path.stat().st_size // 20)
    with pytest.raises(DocumentTooLarge, match="MATCHER_MAX_BYTES"):
        read_document(b"- x\n" * 100, "a.md", max_bytes=100)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(DocumentError, match="is a folder"):
        read_document(tmp_path)


# -- through the CLI and batch (the real model) --------------------------------------------------


@pytest.mark.slow
def test_cli_match_reads_word_and_pdf(tmp_path, capsys, matchers):
    from matcher.cli import main

    m = matchers(LADDER)
    for path in (make_docx(tmp_path / "brag.docx"), tmp_path / "brag.pdf"):
        if path.suffix == ".pdf":
            make_pdf(path)
        assert main(["match", str(path), "--ladder", LADDER, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [u["text"] for u in data["units"]] == [t for _, t in expected()]
        assert data["statements"] == m.match(read_document(path)).to_dict()["statements"]


@pytest.mark.slow
def test_cli_match_refuses_an_encrypted_pdf_with_its_message(tmp_path, capsys):
    from matcher.cli import main

    writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf()))
    writer.encrypt(user_password="pw", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(pdf_bytes_of(writer))
    code = main(["match", str(locked), "--ladder", LADDER])
    err = capsys.readouterr().err
    assert code != 0 and "password-protected" in err and "Traceback" not in err


@pytest.mark.slow
def test_batch_folder_reads_word_pdf_and_html(tmp_path, capsys, matchers):
    from matcher.cli import main

    folder = tmp_path / "team"
    folder.mkdir()
    make_docx(folder / "alice.docx")
    make_pdf(folder / "bob.pdf")
    (folder / "carol.html").write_text("<ul><li>" + LONG + "</li></ul>", encoding="utf-8")
    (folder / "dave.pdf").write_bytes(b"%PDF-1.4\n")  # broken: an error row, the batch goes on
    matchers(LADDER)
    out = tmp_path / "out.csv"
    assert main(["batch", str(folder), "--ladder", LADDER, "--out", str(out), "--progress", "never"]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    docs = {r["document"] for r in rows}
    assert docs == {"alice.docx", "bob.pdf", "carol.html", "dave.pdf"}
    assert {r["unit"] for r in rows if r["document"] == "alice.docx"} == {t for _, t in expected()}
    assert {r["unit"] for r in rows if r["document"] == "carol.html"} == {LONG}
    (dave,) = [r for r in rows if r["document"] == "dave.pdf"]
    assert "PDF" in dave["error"]
