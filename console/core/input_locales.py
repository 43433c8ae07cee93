"""Windows input locales (keyboard layouts) that ``InputLocale`` accepts."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from console.core.errors import ValidationError


@dataclass(frozen=True)
class InputLocale:
    tag: str  # en-US
    name: str  # English (United States)
    profile: str  # 0409:00000409 (language id : keyboard layout id)

    @property
    def label(self) -> str:
        return f"{self.tag} — {self.name} ({self.profile})"


class InputLocaleCatalog:
    """Lookup by language tag or input profile, case-insensitive."""

    def __init__(self, locales: Iterable[InputLocale]) -> None:
        self._locales = tuple(locales)
        self._by_key = {key.lower(): loc for loc in self._locales for key in (loc.tag, loc.profile)}

    def __iter__(self) -> Iterator[InputLocale]:
        return iter(self._locales)

    def __len__(self) -> int:
        return len(self._locales)

    def find(self, text: str) -> InputLocale | None:
        return self._by_key.get(text.strip().lower())

    def check(self, text: str) -> None:
        """Empty (the default, en-US) or a known tag/profile; otherwise a ValidationError with
        the closest known tags."""
        if not text.strip() or self.find(text) is not None:
            return
        close = difflib.get_close_matches(text.strip().lower(), [loc.tag.lower() for loc in self._locales], n=3, cutoff=0.5)
        tags = [loc.tag for loc in self._locales if loc.tag.lower() in close]
        hint = f"; did you mean {', '.join(tags)}?" if tags else "; use a language tag such as de-DE or an input profile such as 0407:00000407"
        raise ValidationError.single("InputLocale", f"InputLocale {text.strip()!r} is not a known Windows input locale{hint}")
