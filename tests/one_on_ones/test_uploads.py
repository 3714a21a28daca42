"""Uploading a record file: formats, encodings, the size limit, and the original kept byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.personas import Personas

DIALOGUE = "課長：今日はどうだった？\n新人：決裁者を確認できませんでした。\n"
VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v 佐藤>今日はどうだった？</v>\n"
SRT = "1\r\n00:00:01,000 --> 00:00:04,000\r\n佐藤：今日はどうだった？\r\n"


def _upload(api: TestClient, personas: Personas, name: str, data: bytes, **fields: Any) -> Any:
    form = {"member_id": str(personas.id("A1")), "held_on": "2026-11-02", **fields}
    return api.post(
        "/api/v1/one-on-ones", data=form, files={"file": (name, data, "text/plain")}, headers=personas.headers["M1"]
    )


@pytest.mark.parametrize(
    ("name", "data", "expected_text", "encoding"),
    [
        ("memo.txt", DIALOGUE.encode("utf-8"), DIALOGUE, "utf-8"),
        ("memo.txt", b"\xef\xbb\xbf" + DIALOGUE.encode("utf-8"), DIALOGUE, "utf-8-sig"),
        ("memo.txt", DIALOGUE.encode("cp932"), DIALOGUE, "cp932"),
        ("notes.md", ("# 1on1\n- " + DIALOGUE).encode("utf-8"), "# 1on1\n- " + DIALOGUE, "utf-8"),
        ("teams.vtt", VTT.encode("utf-8"), VTT, "utf-8"),
        ("zoom.srt", SRT.encode("cp932"), SRT.replace("\r\n", "\n"), "cp932"),
    ],
)
def test_each_format_and_encoding_is_decoded(
    api: TestClient, personas: Personas, name: str, data: bytes, expected_text: str, encoding: str
) -> None:
    response = _upload(api, personas, name, data)
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["content"] == expected_text
    assert record["upload"]["encoding"] == encoding
    assert record["upload"]["filename"] == name


def test_the_original_upload_is_kept_byte_for_byte(api: TestClient, personas: Personas) -> None:
    data = DIALOGUE.encode("cp932")
    record = _upload(api, personas, "会議メモ.txt", data).json()
    original = api.get(f"/api/v1/one-on-ones/{record['id']}/upload", headers=personas.headers["A1"])
    assert original.status_code == 200
    assert original.content == data
    assert "filename*=UTF-8''" in original.headers["content-disposition"]


def test_a_file_over_one_megabyte_is_refused_with_413(api: TestClient, personas: Personas) -> None:
    response = _upload(api, personas, "big.txt", ("あ" * 400_000).encode("utf-8"))
    assert response.status_code == 413
    assert "MB" in response.json()["error"]["message"]


def test_json_content_over_one_megabyte_is_refused_with_413(api: TestClient, personas: Personas) -> None:
    body = {"member_id": personas.id("A1"), "held_on": "2026-11-02", "content": "あ" * 400_000}
    assert api.post("/api/v1/one-on-ones", json=body, headers=personas.headers["M1"]).status_code == 413


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.txt", b""),
        ("blank.txt", b"  \n \r\n "),
        ("binary.txt", bytes(range(256)) * 4),
        ("photo.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_unusable_files_are_refused_with_422_and_a_message(
    api: TestClient, personas: Personas, name: str, data: bytes
) -> None:
    response = _upload(api, personas, name, data)
    assert response.status_code == 422
    assert response.json()["error"]["message"]


def test_an_upload_needs_its_fields(api: TestClient, personas: Personas) -> None:
    response = api.post(
        "/api/v1/one-on-ones",
        data={"held_on": "2026-11-02"},
        files={"file": ("memo.txt", DIALOGUE.encode(), "text/plain")},
        headers=personas.headers["M1"],
    )
    assert response.status_code == 422


def test_a_form_without_a_file_is_refused(api: TestClient, personas: Personas) -> None:
    response = api.post(
        "/api/v1/one-on-ones",
        data={"member_id": str(personas.id("A1")), "held_on": "2026-11-02"},
        files={"other": ("x.txt", b"x", "text/plain")},
        headers=personas.headers["M1"],
    )
    assert response.status_code == 422
