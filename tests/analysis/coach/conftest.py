from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.analysis.llm_engine.fake_server import FakeLLM, serve


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    yield from serve()
