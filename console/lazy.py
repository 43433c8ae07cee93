"""``lazy(make)``: an object made, and its module imported, only when first used.

Start-up wires every service at once, but most parts (the WIM reader, the image builder,
the driver reader, the ADK) are needed only when the user acts; their modules stay out of
the start-up path this way. Only for objects used through their attributes (ports).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


class _Lazy:
    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        made = self._made
        if made is None:
            made = self._made = self._make()
        return getattr(made, name)

    def __repr__(self) -> str:
        return f"lazy({self._made!r})" if self._made is not None else "lazy(not made yet)"


def lazy(make: Callable[[], T]) -> T:
    """Stands for ``make()``; ``make`` runs on the first attribute read."""
    return cast(T, _Lazy(make))
