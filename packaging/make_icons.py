"""Render resources/icons/texpaint.svg to PNGs (16..512 px), a Windows .ico and a macOS .icns.

Run from the repository: ``QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py``.
Uses QtSvg (PySide6) to rasterise and Pillow to pack .ico/.icns.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(ICONS / "texpaint.svg"))
    if not renderer.isValid():
        print("cannot read texpaint.svg", file=sys.stderr)
        return 1
    pngs = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = ICONS / f"texpaint-{size}.png"
        image.save(str(out))
        pngs.append(out)
    big = Image.open(ICONS / "texpaint-256.png")
    big.save(ICONS / "texpaint.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    Image.open(ICONS / "texpaint-512.png").save(ICONS / "texpaint.icns")
    print("wrote", ", ".join(p.name for p in pngs), "texpaint.ico texpaint.icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
