"""The Open Recent list, kept in QSettings (most recent first, at most 10 files)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
_KEY = "recentFiles"


class RecentFiles:
    """Most-recently-used image paths stored under the ``recentFiles`` settings key."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings

    def _s(self) -> QSettings:
        return self._settings if self._settings is not None else QSettings()

    def paths(self) -> list[Path]:
        """Stored paths, most recent first."""
        value = self._s().value(_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for one-item lists
            value = [value]
        return [Path(v) for v in (value or [])][:MAX_RECENT]

    def add(self, path: str | Path) -> None:
        """Put ``path`` first (removing duplicates), keeping at most MAX_RECENT."""
        p = Path(path).resolve()
        items = [p] + [q for q in self.paths() if q != p]
        self._s().setValue(_KEY, [str(q) for q in items[:MAX_RECENT]])

    def remove(self, path: str | Path) -> None:
        """Forget ``path`` (e.g. after it failed to open)."""
        p = Path(path).resolve()
        self._s().setValue(_KEY, [str(q) for q in self.paths() if q != p])

    def clear(self) -> None:
        """Forget every path."""
        self._s().setValue(_KEY, [])
