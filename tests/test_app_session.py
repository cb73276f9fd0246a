"""Inputs kept for the whole browser session across the app's pages (AppTest, fake model).

Streamlit deletes a widget's state when its page is not drawn; the app keeps what people entered
and gives it back when they return (matcher/ui/state.py).
"""

from __future__ import annotations

import pytest

from tests.app_fake import ENGINEER, LEVELS, MANAGER, app, fake_app, no_exception

__all__ = ["fake_app"]

TEXT = (
    "## Projects\n"
    "- Led the design of the billing service with two other teams and wrote its design document\n"
    "- Mentored two engineers every week on code review and testing until they led releases\n"
)


def test_text_ladder_and_handover_survive_a_page_switch(fake_app):
    at = app().run()
    at.text_area(key="eng_text").input(TEXT).run()
    at.text_input(key="eng_person").input("Sam Lee").run()
    at.text_input(key="eng_period").input("2026 H2").run()
    ladder = at.selectbox(key="eng_ladder")
    other = next(o for o in ladder.options if "lead-software-engineer" not in o and "Upload" not in o)
    ladder.select(other).run()
    no_exception(at)
    chosen = at.selectbox(key="eng_ladder").value
    before = {m.label: m.value for m in at.metric}
    assert before, "the report renders"
    for page in (MANAGER, LEVELS):
        at.switch_page(page).run()
        no_exception(at)
        at.switch_page(ENGINEER).run()
        no_exception(at)
        assert at.text_area(key="eng_text").value == TEXT
        assert at.text_input(key="eng_person").value == "Sam Lee"
        assert at.text_input(key="eng_period").value == "2026 H2"
        assert at.selectbox(key="eng_ladder").value == chosen
        assert {m.label: m.value for m in at.metric} == before  # the report renders again


def test_the_document_is_shared_with_the_next_level_page(fake_app):
    at = app().run()
    at.text_area(key="eng_text").input(TEXT).run()
    at.switch_page(LEVELS).run()
    no_exception(at)
    assert at.text_area(key="lvl_text").value == TEXT


def test_uploads_survive_a_page_switch_and_can_be_removed(fake_app):
    at = app().run()
    at.file_uploader(key="eng_file").set_value(("brag.md", TEXT.encode(), "text/markdown")).run()
    no_exception(at)
    assert any("Using the uploaded file brag" in c.value for c in at.caption)
    at.switch_page(MANAGER).run()
    files = [("alice.md", TEXT.encode(), "text/markdown"), ("bob.md", b"- Wrote the tests\n", "text/markdown")]
    at.file_uploader(key="mgr_files").set_value(files).run()
    no_exception(at)
    assert {m.label: m.value for m in at.metric}["People"] == "2"
    at.switch_page(ENGINEER).run()
    no_exception(at)
    assert any("uploaded earlier in this session" in c.value and "brag" in c.value for c in at.caption)
    assert at.metric, "the kept upload is matched again"
    at.switch_page(MANAGER).run()
    no_exception(at)
    assert {m.label: m.value for m in at.metric}["People"] == "2"
    at.button(key="mgr_files_forget").click().run()
    no_exception(at)
    assert not at.metric
    assert any("Upload the team" in i.value for i in at.info)
    at.switch_page(ENGINEER).run()
    at.button(key="document_file_forget").click().run()
    assert not at.metric
    assert any("Paste a brag document" in i.value for i in at.info)


def test_levels_inputs_and_llm_settings_survive(fake_app):
    at = app().run()
    at.text_input(key="eng_llm_model").input("my-model").run()
    at.switch_page(LEVELS).run()
    no_exception(at)
    track = at.selectbox(key="lvl_track_0")
    current_key = f"lvl_current_{track.value}"
    current = at.selectbox(key=current_key)
    if len(current.options) < 3:
        pytest.skip("the level catalogue has fewer than three levels in the default track")
    current.select_index(0).run()
    chosen = at.selectbox(key=current_key).value
    at.switch_page(ENGINEER).run()
    assert at.text_input(key="eng_llm_model").value == "my-model"
    at.switch_page(LEVELS).run()
    no_exception(at)
    assert at.selectbox(key=current_key).value == chosen
