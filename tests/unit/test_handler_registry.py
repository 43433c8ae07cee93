"""Job handlers registered lazily (issue 11): a console that only queues jobs never makes them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pytest

from console.core.jobs import HandlerRegistry


@dataclass
class Handler:
    kind: str

    def steps(self, job: Any) -> list[Any]:
        return []


def test_a_lazy_handler_is_made_once_on_first_use_and_its_kind_is_known_before() -> None:
    made: list[str] = []
    registry = HandlerRegistry([Handler("validate")])

    def factory() -> Handler:
        made.append("build")
        return Handler("build")

    registry.register_lazy("build", factory)
    assert registry.kinds() == ("build", "validate") and "build" in registry
    assert made == []  # listing and checking kinds (what queuing does) makes nothing
    first = registry.get("build")
    assert first is not None and first.kind == "build" and registry.get("build") is first
    assert made == ["build"]
    assert registry.get("media") is None and "media" not in registry


def test_the_later_registration_of_a_kind_wins_lazy_or_not() -> None:
    registry = HandlerRegistry([Handler("build")])
    registry.register_lazy("build", lambda: Handler("build"))
    eager = registry.get("build")
    registry.register(Handler("build"))
    assert registry.get("build") is not eager
    replaced = Handler("build")
    registry.register(replaced)
    registry.register_lazy("build", lambda: Handler("build"))
    assert registry.get("build") is not replaced


def test_a_factory_that_makes_a_handler_of_another_kind_is_refused() -> None:
    registry = HandlerRegistry()
    registry.register_lazy("build", lambda: Handler("media"))
    with pytest.raises(ValueError, match="'build' handles 'media'"):
        registry.get("build")
    with pytest.raises(ValueError, match="'build' handles 'media'"):  # asked again: the same error, not "unknown"
        registry.get("build")
    assert "build" in registry


def test_a_factory_that_fails_fails_again_on_the_next_ask() -> None:
    calls = []

    def broken() -> Handler:
        calls.append(1)
        raise ImportError("no module named 'wimlib'")

    registry = HandlerRegistry()
    registry.register_lazy("build", broken)
    for _ in range(2):
        with pytest.raises(ImportError, match="wimlib"):
            registry.get("build")
    assert len(calls) == 2 and registry.kinds() == ("build",)


def test_workers_threads_asking_at_once_get_one_handler() -> None:
    made = []
    registry = HandlerRegistry()
    registry.register_lazy("distribute", lambda: made.append(1) or Handler("distribute"))  # type: ignore[func-returns-value]
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(registry.get("distribute"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(made) == 1 and len({id(h) for h in got}) == 1 and len(got) == 8
