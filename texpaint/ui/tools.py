"""Mask tools: each owns its settings and the state of the gesture in progress.

The canvas routes pointer input to the active tool in image pixel coordinates (pixel
``(y, x)`` covers ``[x, x + 1) x [y, y + 1)``) and repaints the box each call returns. All
edits go through :class:`~texpaint.document.document.TextureDocument`, so every gesture is one
undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath, QPolygonF

from texpaint.document.document import TextureDocument
from texpaint.document.mask import Box

MIN_SIZE_PX = 1.0
MAX_SIZE_PX = 1000.0


class MaskTool:
    """Base of the mask tools.

    Attributes:
        name: label shown in the UI. shortcut: single-key shortcut.
        size: brush diameter in image pixels, in [MIN_SIZE_PX, MAX_SIZE_PX].
        hardness: 0 (soft) .. 1 (hard edge). opacity: 0 .. 1, the most a gesture adds.
        erase: gestures lower the mask instead of raising it.
        shows_brush_outline: the canvas draws a circle of ``size`` at the cursor.
    """

    name = "Tool"
    shortcut = ""
    shows_brush_outline = False

    def __init__(self, size: float = 40.0, hardness: float = 0.8, opacity: float = 1.0) -> None:
        self.size = size
        self.hardness = hardness
        self.opacity = opacity
        self.erase = False

    @property
    def size(self) -> float:
        """Brush diameter in image pixels."""
        return self._size

    @size.setter
    def size(self, value: float) -> None:
        self._size = float(min(max(value, MIN_SIZE_PX), MAX_SIZE_PX))

    def bigger(self) -> None:
        """Grow the size by one step (about 20 %, at least 1 px)."""
        self.size = max(self.size * 1.2, self.size + 1)

    def smaller(self) -> None:
        """Shrink the size by one step (about 20 %, at least 1 px)."""
        self.size = min(self.size / 1.2, self.size - 1)

    @property
    def active(self) -> bool:
        """True while a gesture is in progress."""
        return False

    def press(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        """Start a gesture at ``pos``; returns the dirty mask box or None."""
        return None

    def move(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        """Continue the gesture; returns the dirty mask box or None."""
        return None

    def release(self, doc: TextureDocument, pos: QPointF) -> Box | None:
        """Finish the gesture (one undo step); returns the dirty mask box or None."""
        return None

    def cancel(self, doc: TextureDocument) -> None:
        """Abandon a gesture in progress (a brush stroke keeps what it painted)."""

    def preview_path(self) -> QPainterPath | None:
        """Outline of the gesture in progress, in image pixels, for the canvas to draw."""
        return None


class BrushTool(MaskTool):
    """Paints the mask with soft round dabs; pen pressure scales the dab size."""

    name = "Brush"
    shortcut = "B"
    shows_brush_outline = True

    def __init__(self, size: float = 40.0, hardness: float = 0.8, opacity: float = 1.0) -> None:
        super().__init__(size, hardness, opacity)
        self._last: tuple[float, float, float] | None = None

    @property
    def active(self) -> bool:
        return self._last is not None

    def press(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        doc.begin_stroke(self.name, erase=self.erase)
        self._last = (pos.x(), pos.y(), pressure)
        return self._segment(doc, pos, pressure)

    def move(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        if self._last is None:
            return None
        return self._segment(doc, pos, pressure)

    def _segment(self, doc: TextureDocument, pos: QPointF, pressure: float) -> Box | None:
        assert self._last is not None
        x0, y0, p0 = self._last
        p1 = min(max(pressure, 0.0), 1.0)
        self._last = (pos.x(), pos.y(), p1)
        return doc.stroke_segment(
            (x0, y0),
            (pos.x(), pos.y()),
            self.size / 2.0,
            self.hardness,
            self.opacity,
            p0,
            p1,
            self.erase,
        )

    def release(self, doc: TextureDocument, pos: QPointF) -> Box | None:
        if self._last is None:
            return None
        box = self._segment(doc, pos, self._last[2])
        self._last = None
        doc.end_stroke()
        return box

    def cancel(self, doc: TextureDocument) -> None:
        if self._last is not None:
            self._last = None
            doc.end_stroke()


class EraserTool(BrushTool):
    """Removes mask with the same soft round dabs as the brush."""

    name = "Eraser"
    shortcut = "E"

    def __init__(self, size: float = 40.0, hardness: float = 0.8, opacity: float = 1.0) -> None:
        super().__init__(size, hardness, opacity)
        self.erase = True


class RectangleTool(MaskTool):
    """Drag a rectangle; on release it is filled (or erased when :attr:`erase`)."""

    name = "Rectangle"
    shortcut = "R"

    def __init__(self, opacity: float = 1.0) -> None:
        super().__init__(opacity=opacity)
        self._start: QPointF | None = None
        self._end: QPointF | None = None

    @property
    def active(self) -> bool:
        return self._start is not None

    def press(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        self._start = QPointF(pos)
        self._end = QPointF(pos)
        return None

    def move(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        if self._start is not None:
            self._end = QPointF(pos)
        return None

    def release(self, doc: TextureDocument, pos: QPointF) -> Box | None:
        if self._start is None:
            return None
        r = QRectF(self._start, QPointF(pos)).normalized()
        self._start = self._end = None
        return doc.edit_mask(
            "Rectangle",
            "fill_rect",
            round(r.top()),
            round(r.bottom()),
            round(r.left()),
            round(r.right()),
            opacity=self.opacity,
            erase=self.erase,
        )

    def cancel(self, doc: TextureDocument) -> None:
        self._start = self._end = None

    def preview_path(self) -> QPainterPath | None:
        if self._start is None or self._end is None:
            return None
        path = QPainterPath()
        path.addRect(QRectF(self._start, self._end).normalized())
        return path


class LassoTool(MaskTool):
    """Draw a free-hand outline; on release the closed polygon is filled (or erased)."""

    name = "Lasso"
    shortcut = "L"

    def __init__(self, opacity: float = 1.0) -> None:
        super().__init__(opacity=opacity)
        self._points: list[QPointF] = []

    @property
    def active(self) -> bool:
        return bool(self._points)

    def press(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        self._points = [QPointF(pos)]
        return None

    def move(self, doc: TextureDocument, pos: QPointF, pressure: float = 1.0) -> Box | None:
        if self._points:
            last = self._points[-1]
            if abs(pos.x() - last.x()) + abs(pos.y() - last.y()) >= 1.0:
                self._points.append(QPointF(pos))
        return None

    def release(self, doc: TextureDocument, pos: QPointF) -> Box | None:
        if not self._points:
            return None
        self.move(doc, pos)
        points = [(p.x(), p.y()) for p in self._points]
        self._points = []
        if len(points) < 3:
            return None
        return doc.edit_mask(
            "Lasso", "fill_polygon", points, opacity=self.opacity, erase=self.erase
        )

    def cancel(self, doc: TextureDocument) -> None:
        self._points = []

    def preview_path(self) -> QPainterPath | None:
        if len(self._points) < 2:
            return None
        path = QPainterPath()
        path.addPolygon(QPolygonF(self._points))
        path.closeSubpath()
        return path


def default_tools() -> list[MaskTool]:
    """One instance of each mask tool, in toolbar order."""
    return [BrushTool(), EraserTool(), RectangleTool(), LassoTool()]
