"""The canvas: shows the document image with its mask overlay and routes pointer input to tools.

Scene coordinates are image pixels (pixel ``(y, x)`` covers ``[x, x + 1) x [y, y + 1)``).
Display buffers are refreshed only over the dirty boxes the document reports.

In seamless mode (tiled preview) the eight neighbouring tiles of a 3 x 3 tiling are drawn
around the image, dimmed, from the image's own display buffer (no copy), so seams show live.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QInputDevice,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QWidget

from texpaint.document.document import TextureDocument
from texpaint.document.mask import Box
from texpaint.imaging.io import linear_to_srgb
from texpaint.ui.tools import MaskTool

MIN_ZOOM, MAX_ZOOM = 1.0 / 64.0, 64.0
PIXEL_GRID_ZOOM = 8.0
TILE_DIM = 0.3
"""Default darkening of the neighbour tiles in the tiled preview (0 = none, 1 = black)."""


DISPLAY_CHUNK_ROWS = 256
"""Rows converted at a time by :func:`display_rgb8` (bounded float scratch, cache-friendly)."""


def display_rgb8(rgb: np.ndarray, colorspace: str, out: np.ndarray | None = None) -> np.ndarray:
    """Convert float32 ``(h, w, 3)`` pixels to uint8 sRGB for display (clipped to [0, 1]),
    into ``out`` (uint8 ``(h, w, 3)``) when given. Works in bands of ``DISPLAY_CHUNK_ROWS``
    rows with one small float scratch buffer (a whole 4096² image converts ~3x faster than
    with whole-image temporaries; this runs on the GUI thread)."""
    h = rgb.shape[0]
    if out is None:
        out = np.empty(rgb.shape, np.uint8)
    scratch = np.empty((min(DISPLAY_CHUNK_ROWS, h),) + rgb.shape[1:], np.float32)
    for y in range(0, h, DISPLAY_CHUNK_ROWS):
        src = rgb[y : y + DISPLAY_CHUNK_ROWS]
        t = scratch[: src.shape[0]]
        if colorspace == "linear":
            src = linear_to_srgb(np.clip(src, 0.0, None))
        np.clip(src, 0.0, 1.0, out=t)
        t *= 255.0
        t += 0.5
        out[y : y + DISPLAY_CHUNK_ROWS] = t  # truncating cast, as astype(np.uint8)
    return out


class RasterItem(QGraphicsItem):
    """Scene item drawing a QImage that wraps a numpy buffer, repainted per dirty rect.

    Args:
        buffer: uint8 ``(H, W, 3)`` RGB or ``(H, W)`` palette indices (C-contiguous); kept
            alive by the item and edited in place by its owner.
        fmt: QImage format matching ``buffer``.
    """

    def __init__(self, buffer: np.ndarray, fmt: QImage.Format) -> None:
        super().__init__()
        self.buffer = buffer
        h, w = buffer.shape[:2]
        self.qimage = QImage(buffer.data, w, h, buffer.strides[0], fmt)
        self.clip: QRectF | None = None  # item-coordinate area to draw, None = all
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        return QRectF(0, 0, self.qimage.width(), self.qimage.height())

    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: D102
        rect = option.exposedRect.intersected(self.boundingRect())
        if self.clip is not None:
            rect = rect.intersected(self.clip)
        rect = rect.toAlignedRect()
        if rect.isEmpty():
            return
        zoom = painter.worldTransform().m11()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, zoom < 1.0)
        painter.drawImage(QRectF(rect), self.qimage, QRectF(rect))

    def refresh(self, box: Box) -> None:
        """Schedule a repaint of ``box`` (image pixels)."""
        y0, y1, x0, x1 = box
        self.update(QRectF(x0, y0, x1 - x0, y1 - y0))


class TileNeighbourItem(QGraphicsItem):
    """One neighbour tile of the tiled preview: draws ``source``'s QImage (the same buffer, so
    it follows every image edit) at its own position, darkened by ``dim``.

    Args:
        source: the canvas's image item.
        dim: 0..1, alpha of the black veil drawn over the copy.
    """

    def __init__(self, source: RasterItem, dim: float) -> None:
        super().__init__()
        self.source = source
        self.dim = float(dim)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt override)
        return self.source.boundingRect()

    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: D102
        rect = option.exposedRect.intersected(self.boundingRect()).toAlignedRect()
        if rect.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(rect), self.source.qimage, QRectF(rect))
        if self.dim > 0:
            painter.fillRect(QRectF(rect), QColor(0, 0, 0, round(255 * min(self.dim, 1.0))))


class ImageCanvas(QGraphicsView):
    """Zoomable, pannable view of a :class:`TextureDocument` with a coloured mask overlay.

    Input: wheel zooms around the cursor; space + left drag or middle drag pans; left button
    drives the active :class:`MaskTool` (pen pressure from tablet events); holding ``\\``
    shows the image before the last AI result.

    Signals:
        cursorMoved(int x, int y): image pixel under the cursor, (-1, -1) outside the image.
        maskEdited(): a tool gesture changed the mask.
        zoomChanged(float): new zoom factor (1.0 = 100 %).
    """

    cursorMoved = Signal(int, int)
    maskEdited = Signal()
    zoomChanged = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        # zoom anchoring is done by set_zoom itself (the wheel event's position, not the last
        # mouse-move position Qt's AnchorUnderMouse uses, which tablets and tests never set)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setBackgroundBrush(QColor(48, 48, 48))
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.document: TextureDocument | None = None
        self.tool: MaskTool | None = None
        self._image_item: RasterItem | None = None
        self._mask_item: RasterItem | None = None
        self._before_item: RasterItem | None = None
        self._overlay_color = QColor(255, 40, 60)
        self._overlay_opacity = 0.5
        self._space_down = False
        self._pan_last: QPointF | None = None
        self._tool_down = False
        self._pen_pressure = 1.0
        self._pen_down = False
        self._cursor: QPointF | None = None
        self._pointer: QPointF | None = None  # viewport position of the mouse, None = away
        self._compare_held = False
        self._split_compare = False
        self._tiled = False
        self._tile_items: list[TileNeighbourItem] = []
        self.tile_dim = TILE_DIM

    # ------------------------------------------------------------------ document
    def set_document(self, doc: TextureDocument | None) -> None:
        """Show ``doc`` (or nothing), fit it in the view."""
        if self.tool is not None and self.document is not None and self.tool.active:
            self.tool.cancel(self.document)
        self._tool_down = False
        self.scene().clear()
        self._image_item = self._mask_item = self._before_item = None
        self._tile_items = []
        self.document = doc
        if doc is None:
            return
        h, w = doc.size
        self._image_item = RasterItem(np.zeros((h, w, 3), np.uint8), QImage.Format.Format_RGB888)
        self._mask_item = RasterItem(np.zeros((h, w), np.uint8), QImage.Format.Format_Indexed8)
        self._mask_item.setZValue(2)
        self._apply_overlay_table()
        self.scene().addItem(self._image_item)
        self.scene().addItem(self._mask_item)
        self.scene().setSceneRect(QRectF(0, 0, w, h))
        self.set_tiled_preview(doc.wrap)
        self.refresh("image", (0, h, 0, w))
        self.refresh("mask", (0, h, 0, w))
        self.update_compare()
        self.fit()

    def refresh(self, layer: str, box: Box | None) -> None:
        """Re-read ``box`` of ``layer`` (``"image"`` or ``"mask"``) from the document.

        When the document's size no longer matches the display buffers (an Upscale result,
        or its undo/redo), everything is rebuilt and fitted to the view instead.
        """
        doc = self.document
        if doc is None or box is None or self._image_item is None or self._mask_item is None:
            return
        if self._image_item.buffer.shape[:2] != doc.size:
            self.set_document(doc)
            return
        y0, y1, x0, x1 = box
        if y0 >= y1 or x0 >= x1:
            return
        if layer == "image":
            rgb = doc.image.rgb[y0:y1, x0:x1]
            display_rgb8(rgb, doc.image.colorspace, out=self._image_item.buffer[y0:y1, x0:x1])
            self._image_item.refresh(box)
            for item in self._tile_items:
                item.update(QRectF(x0, y0, x1 - x0, y1 - y0))
        elif layer == "mask":
            m = doc.mask.data[y0:y1, x0:x1]
            self._mask_item.buffer[y0:y1, x0:x1] = (m * 255.0 + 0.5).astype(np.uint8)
            self._mask_item.refresh(box)

    # ------------------------------------------------------------------ tiled preview
    @property
    def tiled_preview(self) -> bool:
        """True while the 3 x 3 tiling around the image is shown (seamless mode)."""
        return self._tiled

    def set_tiled_preview(self, on: bool) -> None:
        """Show (True) or hide the eight dimmed neighbour tiles around the image.

        The neighbours draw the image's display buffer, so they follow every edit; the scene
        grows to the 3 x 3 tiling so the view can scroll over the seams.
        """
        self._tiled = bool(on)
        for item in self._tile_items:
            self.scene().removeItem(item)
        self._tile_items = []
        if self.document is None or self._image_item is None:
            return
        h, w = self.document.size
        if not self._tiled:
            self.scene().setSceneRect(QRectF(0, 0, w, h))
            return
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dx == 0 and dy == 0:
                    continue
                item = TileNeighbourItem(self._image_item, self.tile_dim)
                item.setPos(dx * w, dy * h)
                item.setZValue(-1)
                self.scene().addItem(item)
                self._tile_items.append(item)
        self.scene().setSceneRect(QRectF(-w, -h, 3 * w, 3 * h))

    # ------------------------------------------------------------------ overlay / compare
    def set_overlay(self, color: QColor, opacity: float) -> None:
        """Mask overlay colour and opacity (0..1) at mask value 1."""
        self._overlay_color = QColor(color)
        self._overlay_opacity = float(min(max(opacity, 0.0), 1.0))
        self._apply_overlay_table()

    def _apply_overlay_table(self) -> None:
        if self._mask_item is None:
            return
        c = self._overlay_color
        table = [
            QColor(c.red(), c.green(), c.blue(), round(i * self._overlay_opacity)).rgba()
            for i in range(256)
        ]
        self._mask_item.qimage.setColorTable(table)
        self._mask_item.update()

    @property
    def comparing(self) -> bool:
        """True while the before-image of the last AI result is shown (all or split)."""
        return self._before_item is not None and self._before_item.isVisible()

    def set_compare_held(self, held: bool) -> None:
        """Show (True) or hide the whole image before the last AI result."""
        if bool(held) == self._compare_held:
            return
        self._compare_held = bool(held)
        self.update_compare()

    def set_split_compare(self, on: bool) -> None:
        """Show the before-image left of a divider at the middle of the last result's region."""
        self._split_compare = on
        self.update_compare()

    def update_compare(self) -> None:
        """Rebuild the before-image overlay from ``document.last_result_before``."""
        doc = self.document
        if self._before_item is not None:
            self.scene().removeItem(self._before_item)
            self._before_item = None
        if doc is None or doc.last_result_before is None:
            return
        if not (self._compare_held or self._split_compare):
            return
        (y0, y1, x0, x1), before = doc.last_result_before
        item = RasterItem(
            np.ascontiguousarray(display_rgb8(before, doc.image.colorspace)),
            QImage.Format.Format_RGB888,
        )
        item.setPos(x0, y0)
        item.setZValue(1)
        if self._split_compare and not self._compare_held:
            item.clip = QRectF(0, 0, (x1 - x0) / 2.0, y1 - y0)
        self.scene().addItem(item)
        self._before_item = item

    # ------------------------------------------------------------------ zoom
    @property
    def zoom(self) -> float:
        """Current scale: screen pixels per image pixel."""
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Set the scale, clamped to [1/64, 64], keeping one image point where it is on screen.

        Args:
            zoom: screen pixels per image pixel (1.0 = 100 %).
            anchor: viewport position in screen pixels whose image point stays under it (the
                cursor for wheel zoom); None = the centre of the viewport. Where the image is
                smaller than the viewport it is centred instead (nothing to scroll).
        """
        zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        image_point = self._to_image(anchor)
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self._settle_scroll_bars()
        moved = self.viewportTransform().map(image_point) - anchor
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(moved.x()))
        v.setValue(v.value() + round(moved.y()))
        self.zoomChanged.emit(zoom)

    def fit(self) -> None:
        """Fit the whole image in the view; in the tiled preview, the whole 3 x 3 tiling."""
        if self.document is None:
            return
        h, w = self.document.size
        self.fit_rect(QRectF(-w, -h, 3 * w, 3 * h) if self._tiled else QRectF(0, 0, w, h))

    def fit_rect(self, rect: QRectF) -> None:
        """Zoom and scroll so that ``rect`` (image pixels) just fits in the view."""
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self._settle_scroll_bars():  # the viewport changed size: fit it again
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoomChanged.emit(self.zoom)

    def _settle_scroll_bars(self) -> bool:
        """Show or hide the scroll bars for the current zoom now. Qt does it in a queued call
        that resizes the viewport later, which would shift a view just anchored or fitted.
        Returns True when the viewport changed size."""
        size = self.viewport().size()
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return self.viewport().size() != size

    def actual_size(self) -> None:
        """Show the image at 100 % (one image pixel per screen pixel), keeping the point
        under the mouse pointer where it is (the centre of the view when the pointer is
        not over it)."""
        self.set_zoom(1.0, self._pointer)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom * 1.25**steps, event.position())
        event.accept()

    # ------------------------------------------------------------------ drawing
    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self.document is None:
            return
        zoom = self.zoom
        if zoom >= PIXEL_GRID_ZOOM:
            self._draw_pixel_grid(painter, rect)
        pen = QPen(QColor(255, 255, 255, 220), 0)
        pen.setCosmetic(True)
        if self.tool is not None:
            path = self.tool.preview_path()
            if path is not None:
                painter.setPen(QPen(QColor(0, 0, 0, 200), 0))
                painter.drawPath(path)
                dash = QPen(QColor(255, 255, 255), 0, Qt.PenStyle.DashLine)
                painter.setPen(dash)
                painter.drawPath(path)
            if self.tool.shows_brush_outline and self._cursor is not None:
                r = self.tool.size / 2.0
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor(0, 0, 0, 200), 0))
                painter.drawEllipse(self._cursor, r + 1.0 / zoom, r + 1.0 / zoom)
                painter.setPen(pen)
                painter.drawEllipse(self._cursor, r, r)
        if self._before_item is not None and self._before_item.clip is not None:
            b = self._before_item
            x = b.pos().x() + b.clip.width()
            painter.setPen(QPen(QColor(255, 255, 255), 0))
            painter.drawLine(QPointF(x, b.pos().y()), QPointF(x, b.pos().y() + b.clip.height()))

    def _draw_pixel_grid(self, painter: QPainter, rect: QRectF) -> None:
        area = rect.intersected(self.sceneRect()).toAlignedRect()
        painter.setPen(QPen(QColor(128, 128, 128, 90), 0))
        for x in range(area.left(), area.right() + 2):
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom() + 1))
        for y in range(area.top(), area.bottom() + 2):
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right() + 1, y))

    def _update_cursor_area(self, old: QPointF | None, new: QPointF | None) -> None:
        if self.tool is None or not self.tool.shows_brush_outline:
            return
        r = self.tool.size / 2.0 + 4.0 / max(self.zoom, 1e-6)
        for p in (old, new):
            if p is not None:
                self.scene().update(QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r))

    # ------------------------------------------------------------------ input
    def _to_image(self, pos: QPointF) -> QPointF:
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(pos)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        t = event.type()
        if t in (QEvent.Type.TabletPress, QEvent.Type.TabletMove, QEvent.Type.TabletRelease):
            self._pen_pressure = float(event.pressure())
            self._pen_down = t != QEvent.Type.TabletRelease
            event.ignore()  # Qt then synthesises the mouse events that drive the tools
            return False
        return super().viewportEvent(event)

    def _pressure(self, event: QMouseEvent) -> float:
        device = event.device()
        if device is not None and device.type() == QInputDevice.DeviceType.Stylus:
            return self._pen_pressure if self._pen_down else 1.0
        return 1.0

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._pan_last = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton and self.document is not None and self.tool:
            self._tool_down = True
            pos = self._to_image(event.position())
            self._after_tool(self.tool.press(self.document, pos, self._pressure(event)))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_last is not None:
            delta = event.position() - self._pan_last
            self._pan_last = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(delta.x()))
            v.setValue(v.value() - round(delta.y()))
            event.accept()
            return
        self._pointer = QPointF(event.position())
        pos = self._to_image(event.position())
        old, self._cursor = self._cursor, pos
        self._update_cursor_area(old, pos)
        self._emit_cursor(pos)
        if self._tool_down and self.document is not None and self.tool is not None:
            self._after_tool(self.tool.move(self.document, pos, self._pressure(event)))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_last is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_last = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space_down else Qt.CursorShape.CrossCursor
            )
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._tool_down:
            self._tool_down = False
            if self.document is not None and self.tool is not None:
                pos = self._to_image(event.position())
                self._after_tool(self.tool.release(self.document, pos))
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._pointer = None
        old, self._cursor = self._cursor, None
        self._update_cursor_area(old, None)
        self.cursorMoved.emit(-1, -1)
        super().leaveEvent(event)

    def _after_tool(self, box: Box | None) -> None:
        if self.tool is not None and not self.tool.shows_brush_outline:
            self.scene().update()  # the rectangle / lasso outline moved
        if box is not None:
            self.refresh("mask", box)
            self.maskEdited.emit()

    def _emit_cursor(self, pos: QPointF) -> None:
        if self.document is None:
            return
        h, w = self.document.size
        x, y = int(np.floor(pos.x())), int(np.floor(pos.y()))
        if 0 <= x < w and 0 <= y < h:
            self.cursorMoved.emit(x, y)
        else:
            self.cursorMoved.emit(-1, -1)

    def cancel_gesture(self) -> None:
        """Abandon the tool gesture in progress (e.g. before the document changes)."""
        if self._tool_down and self.document is not None and self.tool is not None:
            self.tool.cancel(self.document)
        self._tool_down = False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.isAutoRepeat():
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space:
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() == Qt.Key.Key_Backslash:
            self.set_compare_held(True)
        elif event.key() == Qt.Key.Key_Escape:
            if self.document is not None and self.tool is not None and self.tool.active:
                self.tool.cancel(self.document)
                self._tool_down = False
                self.scene().update()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.isAutoRepeat():
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space:
            self._space_down = False
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        elif event.key() == Qt.Key.Key_Backslash:
            self.set_compare_held(False)
        else:
            super().keyReleaseEvent(event)
            return
        event.accept()
