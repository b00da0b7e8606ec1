"""AI operations dock: Inpaint / Stylize / Denoise / Upscale parameters, Run, Cancel, progress."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from texpaint.jobs import DEFAULT_STRENGTH, ENSEMBLE_PASSES, Operation, default_passes
from texpaint.models.catalog import ModelInfo, default_model, list_models
from texpaint.models.styles import StyleLibraryError, list_styles
from texpaint.ops import MaskUse, OperationSpec, operations
from texpaint.ops.stylize import DEFAULT_QUALITY
from texpaint.training.learn_style import LEARN_LOOKS

NO_MODEL_TOOLTIP = "arrives with its trained model"
NO_UPSCALE_MODEL_TOOLTIP = (
    "import an upscaling model (ESRGAN, Real-ESRGAN compact, ...) with Edit → Models…"
)
MAX_SEED = 2**31 - 1
STYLE_ICON_PX = 48
"""Thumbnail edge in the Stylize tab's style list, in pixels."""
STYLE_KEY = "stylize/style_id"
"""QSettings key of the style last picked in the Stylize tab."""


def _strength_slider(value: int = 50) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(0, 100)
    s.setValue(value)
    s.setToolTip("Strength, 0 .. 100 %")
    return s


NOISE_SLIDER_MAX = 75
"""Largest sigma (8-bit units) of the Denoise tab's noise-level slider (FFDNet's range)."""

PASSES_LABELS = {1: "Fast (1 pass)", 2: "2 passes", 4: "4 passes", 8: "Best (8 passes)"}
"""Quality picker entries, by self-ensemble passes (:data:`ENSEMBLE_PASSES`)."""


def _passes_combo(op: Operation) -> QComboBox:
    """A "Quality" picker over :data:`ENSEMBLE_PASSES`, preset to ``op``'s default."""
    combo = _combo()
    for n in ENSEMBLE_PASSES:
        combo.addItem(PASSES_LABELS[n], n)
    combo.setCurrentIndex(combo.findData(default_passes(op)))
    combo.setToolTip(
        "Runs the model on rotated and mirrored copies of the image and averages them: "
        "cleaner results, each pass adds the time of one run"
    )
    return combo


COMBO_MIN_CHARS = 18
"""Characters a picker shows at least; longer entries (model names) are elided, so a long
model name does not widen the panel and shrink the canvas."""


def _combo() -> QComboBox:
    """A picker whose width does not grow with its longest entry (see
    :data:`COMBO_MIN_CHARS`); the full text stays in the drop-down list."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(COMBO_MIN_CHARS)
    return combo


class OperationsPanel(QWidget):
    """Parameters of the AI operations, with Run/Cancel buttons and a progress bar.

    Tabs of operations without an installed model are disabled with the tooltip
    ``"arrives with its trained model"``. Denoise is enabled by the built-in denoiser
    (``texpaint-denoise``) or any imported denoising model (Edit → Models…, then
    :meth:`reload`). Upscale is enabled by any imported upscaling model (scale > 1; none
    ships, so its disabled tab says how to import one); it enlarges the whole image by the
    model's factor as one undo step.

    Signals:
        runRequested(object): a dict with keys ``op`` (:class:`Operation`), ``params``,
            ``model_id``, ``style_id`` and ``seed``, ready for ``TextureDocument.make_job``.
        cancelRequested(): the user pressed Cancel.
        learnStyleRequested(): the user pressed "Learn Style…" (Stylize tab).
    """

    runRequested = Signal(object)
    cancelRequested = Signal()
    learnStyleRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)

        # one tab per registered operation the panel offers (OperationSpec.panel), in
        # registry order: the built-ins have their own forms (_BUILDERS), any other
        # operation gets a form generated from its parameter dataclass
        self._ops: list[str] = []
        self._specs: dict[str, OperationSpec] = {}
        self._generic: dict[str, dict[str, QWidget]] = {}
        for spec in operations():
            if not spec.panel:
                continue
            builder = self._BUILDERS.get(spec.name)
            if builder is not None:
                builder(self)
            else:
                self._generic_tab(spec)
            self._ops.append(spec.name)
            self._specs[spec.name] = spec

        row = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the operation on the masked area (Ctrl+Return)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        layout.addWidget(self.progress)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.run_button.clicked.connect(self._emit_run)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self._busy = False
        self._started = time.monotonic()
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._show_elapsed)
        self._has_document = False
        self._mask_empty = True
        self.tabs.currentChanged.connect(lambda _i: self._update_run_enabled())
        self.reload()

    def _build_inpaint_tab(self) -> None:
        """The Inpaint tab: model and seed."""
        # Inpaint
        page = QWidget()
        form = QFormLayout(page)
        self.model_combo = _combo()
        form.addRow("Model", self.model_combo)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, MAX_SEED)
        self.seed_spin.setToolTip("Random seed: the same seed, mask and model give the same result")
        form.addRow("Seed", self.seed_spin)
        self.tabs.addTab(page, "Inpaint")

    def _build_stylize_tab(self) -> None:
        """The Stylize tab: style library, quality, strength, colour, Learn Style."""
        # Stylize
        page = QWidget()
        form = QFormLayout(page)
        # a list of thumbnails with their whole names (one scroll bar; a wheel notch moves
        # about one row); the choice is remembered across restarts (QSettings STYLE_KEY)
        self.style_list = QListWidget()
        self.style_list.setViewMode(QListView.ViewMode.ListMode)
        self.style_list.setIconSize(QSize(STYLE_ICON_PX, STYLE_ICON_PX))
        self.style_list.setSpacing(2)
        self.style_list.setWordWrap(True)
        self.style_list.setUniformItemSizes(True)
        self.style_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.style_list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.style_list.verticalScrollBar().setSingleStep((STYLE_ICON_PX + 4) // 3)
        self.style_list.setMinimumHeight(4 * (STYLE_ICON_PX + 4))
        self._filling_styles = False
        self.style_list.currentItemChanged.connect(self._remember_style)
        form.addRow(self.style_list)
        self.stylize_quality = _combo()
        self.stylize_quality.addItem("Fast: the style's network", "fast")
        self.stylize_quality.addItem("Best: copies the exemplar's strokes", "best")
        self.stylize_quality.setCurrentIndex(max(0, self.stylize_quality.findData(DEFAULT_QUALITY)))
        self.stylize_quality.setToolTip(
            "Fast: the style's feed-forward network (about a second per megapixel). Best: "
            "re-paints the area with pieces of the style image guided by its forms (slower)"
        )
        form.addRow("Quality", self.stylize_quality)
        self.stylize_strength = _strength_slider(round(DEFAULT_STRENGTH * 100))
        form.addRow("Strength", self.stylize_strength)
        self.preserve_colour = QCheckBox("Preserve colour")
        self.preserve_colour.setToolTip("Keep the image's colours; take the style's light/texture")
        form.addRow(self.preserve_colour)
        self.match_statistics = QCheckBox("Match the style's detail")
        self.match_statistics.setChecked(True)
        self.match_statistics.setToolTip(
            "Fast quality: give the result the style image's amount of detail at every scale "
            "and its colour spread; off: the style network's output as it is (Best copies the "
            "style image's own pixels, so it needs no matching)"
        )
        form.addRow(self.match_statistics)
        self.stylize_quality.currentIndexChanged.connect(self._quality_changed)
        self._quality_changed()
        self.learn_button = QPushButton("Learn Style…")
        self.learn_button.setToolTip(
            "Make a style of any image: it joins the library at once for Best quality (no "
            "training); tick the box below to also train its Fast network (minutes)"
        )
        self.learn_button.clicked.connect(self.learnStyleRequested)
        self.learn_look = _combo()
        labels = {
            "painting": "Painting: keep the image's forms",
            "material": "Material: replace the surface",
        }
        for key in LEARN_LOOKS:
            self.learn_look.addItem(labels[key], key)
        self.learn_look.setToolTip(
            "What the next learnt style should do: repaint the image in the exemplar's strokes "
            "and keep its shapes, or cover it with the exemplar's material (rust, moss, ...)"
        )
        form.addRow("Learn as", self.learn_look)
        self.learn_train = QCheckBox("Also train a Fast network (minutes)")
        self.learn_train.setToolTip(
            "Best quality uses a new style at once; Fast needs a network trained on it, which "
            "blocks other jobs while it trains"
        )
        form.addRow(self.learn_train)
        form.addRow(self.learn_button)
        self.style_preview = QLabel()
        self.style_preview.setVisible(False)
        form.addRow(self.style_preview)
        self.tabs.addTab(page, "Stylize")

    def _build_denoise_tab(self) -> None:
        """The Denoise tab: model, noise level (Auto by default), passes."""
        # Denoise
        form, self.denoise_model_combo = self._model_tab(
            "Denoise", "The built-in blind denoiser, or models imported with Edit → Models…"
        )
        self._build_noise_level(form)
        self.denoise_passes = _passes_combo(Operation.DENOISE)
        form.addRow("Quality", self.denoise_passes)

    def _build_upscale_tab(self) -> None:
        """The Upscale tab: model (with its factor) and passes."""
        # Upscale
        form, self.upscale_model_combo = self._model_tab(
            "Upscale", "Upscaling models imported with Edit → Models…, with their factor"
        )
        self.upscale_passes = _passes_combo(Operation.UPSCALE)
        form.addRow("Quality", self.upscale_passes)
        note = QLabel("Enlarges the whole image (and its mask and alpha) by the model's factor.")
        note.setWordWrap(True)
        form.addRow(note)

    def _generic_tab(self, spec: OperationSpec) -> None:
        """A tab for an operation without a form of its own: one control per parameter of
        its dataclass that the panel offers (``ParamInfo.panel``), plus a model picker when
        it runs a model."""
        page = QWidget()
        form = QFormLayout(page)
        widgets: dict[str, QWidget] = {}
        if spec.model_kind is not None:
            combo = _combo()
            form.addRow("Model", combo)
            widgets["model"] = combo
        for f, info in spec.params.infos():
            if not info.panel:
                continue
            kind = str(f.type)
            w: QWidget
            if "bool" in kind:
                w = QCheckBox(info.label)
                w.setChecked(bool(f.default))
                form.addRow(w)
            elif info.choices is not None:
                w = _combo()
                for choice in info.choices:
                    w.addItem(str(choice), choice)
                w.setCurrentIndex(max(0, w.findData(f.default)))
                form.addRow(info.label, w)
            elif "int" in kind and "float" not in kind:
                w = QSpinBox()
                w.setRange(int(info.lo if info.lo is not None else -(2**31)),
                           int(info.hi if info.hi is not None else 2**31 - 1))  # fmt: skip
                w.setValue(int(f.default or 0))
                form.addRow(info.label, w)
            else:
                w = QDoubleSpinBox()
                w.setDecimals(3)
                w.setRange(float(info.lo if info.lo is not None else -1e9),
                           float(info.hi if info.hi is not None else 1e9))  # fmt: skip
                w.setSingleStep(0.05)
                w.setValue(float(f.default or 0.0))
                form.addRow(info.label, w)
            w.setToolTip(info.help)
            widgets[f.name] = w
        self._generic[spec.name] = widgets
        self.tabs.addTab(page, spec.label)

    def _generic_request(self, spec: OperationSpec) -> tuple[dict[str, Any], str | None]:
        """``(params, model_id)`` from a generated tab's controls."""
        params: dict[str, Any] = {}
        model_id = None
        for name, w in self._generic[spec.name].items():
            if name == "model":
                model_id = w.currentData()
            elif isinstance(w, QCheckBox):
                params[name] = w.isChecked()
            elif isinstance(w, QComboBox):
                params[name] = w.currentData()
            else:
                params[name] = w.value()
        return params, model_id

    _BUILDERS: dict[str, Any] = {
        "inpaint": _build_inpaint_tab,
        "stylize": _build_stylize_tab,
        "denoise": _build_denoise_tab,
        "upscale": _build_upscale_tab,
    }
    """The built-in operations' own forms, by operation name."""

    def _build_noise_level(self, form: QFormLayout) -> None:
        """The Denoise tab's noise-level control: Auto (estimated from the image, the default)
        or a sigma in 8-bit units (0-255 scale) on a slider, and the last estimate."""
        self.denoise_auto = QCheckBox("Auto")
        self.denoise_auto.setChecked(True)
        self.denoise_auto.setToolTip(
            "Estimate the noise from the image (following brightness for camera noise)"
        )
        self.denoise_sigma = QSlider(Qt.Orientation.Horizontal)
        self.denoise_sigma.setRange(0, NOISE_SLIDER_MAX)
        self.denoise_sigma.setValue(15)
        self.denoise_sigma.setToolTip(
            "Noise standard deviation in 8-bit levels (0-255 scale): higher removes more"
        )
        self.denoise_sigma_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.denoise_auto)
        row.addWidget(self.denoise_sigma, 1)
        row.addWidget(self.denoise_sigma_label)
        form.addRow("Noise level", row)
        self.denoise_estimate = QLabel("estimated when Denoise runs")
        self.denoise_estimate.setToolTip(
            "The noise level texpaint found in the image (8-bit levels)"
        )
        form.addRow("Estimate", self.denoise_estimate)

        def sync() -> None:
            auto = self.denoise_auto.isChecked()
            self.denoise_sigma.setEnabled(not auto)
            self.denoise_sigma_label.setText("auto" if auto else f"σ {self.denoise_sigma.value()}")

        self.denoise_auto.toggled.connect(lambda _on: sync())
        self.denoise_sigma.valueChanged.connect(lambda _v: sync())
        sync()

    def show_noise_estimate(self, rgb) -> str:
        """Estimate the noise of ``rgb`` (float ``(H, W, 3)`` in [0, 1]; a centre crop of at
        most 512² px is read, a few tens of ms) and show it in the Denoise tab. Returns the
        text shown, e.g. ``"σ 14.8"`` (8-bit units)."""
        from texpaint.imaging.noise_estimation import estimate_noise_level_function

        h, w = rgb.shape[:2]
        y, x = max(0, (h - 512) // 2), max(0, (w - 512) // 2)
        crop = rgb[y : y + 512, x : x + 512]
        if min(crop.shape[:2]) < 7:
            text = "image too small to estimate"
        else:
            text = estimate_noise_level_function(crop).describe().replace("sigma", "σ")
        self.denoise_estimate.setText(text)
        return text

    def _model_tab(self, title: str, tooltip: str) -> tuple[QFormLayout, QComboBox]:
        """Add a tab ``title`` whose form starts with a model picker; returns both."""
        page = QWidget()
        form = QFormLayout(page)
        combo = _combo()
        combo.setToolTip(tooltip)
        form.addRow("Model", combo)
        self.tabs.addTab(page, title)
        return form, combo

    def reload(self) -> None:
        """Re-read the model catalog and the style library. Each model picker keeps a model
        the user picked by hand while it is still installed; otherwise it selects its
        operation's default model (:func:`texpaint.models.catalog.default_model`)."""
        models = list_models()
        self._fill_model_combo(self.model_combo, Operation.INPAINT, models)
        self._fill_model_combo(self.denoise_model_combo, Operation.DENOISE, models)
        self._fill_model_combo(self.upscale_model_combo, Operation.UPSCALE, models)
        for name, widgets in self._generic.items():
            kind = self._specs[name].model_kind
            if "model" in widgets and kind is not None:
                self._fill_model_combo(widgets["model"], kind, models)
        self._filling_styles = True
        self.style_list.clear()
        try:
            styles = list_styles()
        except (StyleLibraryError, FileNotFoundError) as exc:
            styles = []
            self.style_list.setToolTip(f"Style library unavailable: {exc}")
        trained = {m.id for m in models if m.operation == Operation.STYLIZE.value}
        for style in styles:
            item = QListWidgetItem(QIcon(str(style.thumbnail)), style.name)
            item.setData(Qt.ItemDataRole.UserRole, style.id)
            credit = ", ".join(p for p in (style.artist, style.year) if p)
            tip = f"{style.name}\n{credit}\n{style.licence}"
            if style.model_id not in trained:  # Best quality needs no generator
                tip += "\n(no trained generator: Best quality only)"
            item.setToolTip(tip)
            self.style_list.addItem(item)
        self._filling_styles = False
        if not self.select_style(str(QSettings().value(STYLE_KEY, ""))):
            for row in range(self.style_list.count()):
                if self.style_list.item(row).flags() & Qt.ItemFlag.ItemIsEnabled:
                    self.style_list.setCurrentRow(row)
                    break
        for i, op in enumerate(self._ops):
            kind = self._specs[op].model_kind
            available = kind is None or any(m.operation == kind for m in models)
            self.tabs.setTabEnabled(i, available)
            missing = NO_UPSCALE_MODEL_TOOLTIP if op == Operation.UPSCALE else NO_MODEL_TOOLTIP
            self.tabs.setTabToolTip(i, "" if available else missing)
        self._update_run_enabled()

    @staticmethod
    def _fill_model_combo(combo: QComboBox, op: str, models: list[ModelInfo]) -> None:
        """Refill ``combo`` with ``op``'s models. A model the user picked by hand (not the
        default of the last fill) stays selected while it is installed; otherwise the
        operation's current default model is selected, so a new default shows at once."""
        picked = combo.currentData()
        if picked is not None and picked == combo.property("default_id"):
            picked = None  # it was the default, not a choice: follow the default
        combo.clear()
        for info in models:
            if info.operation != op:
                continue
            label = info.name
            if op == Operation.UPSCALE:
                label += f" ({int(info.card.get('scale', 1))}x)"
            combo.addItem(label, info.id)
        default = default_model(str(op), models)
        combo.setProperty("default_id", default.id if default is not None else None)
        index = combo.findData(picked) if picked is not None else -1
        if index < 0 and default is not None:
            index = combo.findData(default.id)
        combo.setCurrentIndex(max(0, index))

    @property
    def current_operation(self) -> str:
        """The name of the selected tab's operation (an :class:`Operation` member for the
        built-ins)."""
        return self._ops[self.tabs.currentIndex()]

    def request(self) -> dict[str, Any]:
        """The job request the Run button would emit."""
        op = self.current_operation
        params: dict[str, Any] = {}
        model_id = style_id = None
        if op not in self._BUILDERS:
            params, model_id = self._generic_request(self._specs[op])
        elif op == Operation.INPAINT:
            model_id = self.model_combo.currentData()
        elif op == Operation.STYLIZE:
            item = self.style_list.currentItem()
            style_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
            params = {
                "strength": self.stylize_strength.value() / 100.0,
                "preserve_colour": self.preserve_colour.isChecked(),
                "match_statistics": self.match_statistics.isChecked(),
                "quality": self.stylize_quality.currentData(),
            }
        elif op == Operation.UPSCALE:
            model_id = self.upscale_model_combo.currentData()
            params = {"passes": int(self.upscale_passes.currentData())}
        else:
            model_id = self.denoise_model_combo.currentData()
            auto = self.denoise_auto.isChecked()
            params = {
                "sigma": "auto" if auto else float(self.denoise_sigma.value()),
                "passes": int(self.denoise_passes.currentData()),
            }
        return {
            "op": op,
            "params": params,
            "model_id": model_id,
            "style_id": style_id,
            "seed": self.seed_spin.value(),
        }

    def _emit_run(self) -> None:
        if self.run_button.isEnabled():
            self.runRequested.emit(self.request())
        elif not self._busy:  # Ctrl+Return while Run is disabled: say why
            self.message.setText(self.run_button.toolTip())

    def set_document_state(self, has_document: bool, mask_empty: bool) -> None:
        """Tell the panel whether a document is open and whether its mask is empty: Run is
        disabled without a document, and for Inpaint with an empty mask (its tooltip says
        why)."""
        self._has_document = bool(has_document)
        self._mask_empty = bool(mask_empty)
        self._update_run_enabled()

    def run_blocked_reason(self) -> str | None:
        """Why Run is disabled now (the text of its tooltip), or None when it is enabled."""
        i = self.tabs.currentIndex()
        if self._busy:
            return "An operation is running; Cancel stops it"
        if i < 0 or not self.tabs.isTabEnabled(i):
            return f"No model for this operation: {self.tabs.tabToolTip(i)}"
        if not self._has_document:
            return "Open an image first (File → Open, Ctrl+O)"
        spec = self._specs.get(self.current_operation)
        if spec is not None and spec.mask is MaskUse.REQUIRED and self._mask_empty:
            return (
                "The mask is empty: paint the area to fill with the Brush (B), Rectangle (R) "
                "or Lasso (L) first"
            )
        return None

    def _update_run_enabled(self) -> None:
        reason = self.run_blocked_reason()
        self.run_button.setEnabled(reason is None)
        if reason is not None:
            self.run_button.setToolTip(reason)
            return
        spec = self._specs[self.current_operation]
        if spec.name == Operation.INPAINT:
            tip = "Fill the masked area (Ctrl+Return)"
        elif spec.name == Operation.UPSCALE:
            tip = "Enlarge the whole image (Ctrl+Return)"
        elif spec.mask is MaskUse.REQUIRED:
            tip = f"{spec.label} the masked area (Ctrl+Return)"
        elif spec.mask is MaskUse.IGNORED:
            tip = f"{spec.label} the whole image (Ctrl+Return)"
        else:
            tip = "Run on the masked area, or the whole image when the mask is empty (Ctrl+Return)"
        self.run_button.setToolTip(tip)

    def reset(self) -> None:
        """Forget the last job's progress and message (another document was opened)."""
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.message.setText("")

    def set_busy(self, busy: bool) -> None:
        """Enable Cancel and disable Run while a job runs; reset the bar when it starts.
        While busy the bar also shows the seconds since the start, ticking each second
        even when the job reports nothing for a while."""
        self._busy = busy
        self._update_run_enabled()
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 100)
            self.progress.setValue(0)
            self._started = time.monotonic()
            self._elapsed_timer.start()
        else:
            self._elapsed_timer.stop()
            self.progress.setRange(0, 100)
        self._show_elapsed()

    def _show_elapsed(self) -> None:
        if not self._busy:
            self.progress.setFormat("%p%")
            return
        seconds = int(time.monotonic() - self._started)
        shown = f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"
        self.progress.setFormat(f"%p% · {shown}")

    def learn_content_weight(self) -> float:
        """Content-loss weight for the next Learn Style, from the "Learn as" picker
        (:data:`texpaint.engine.stylize.LEARN_LOOKS`)."""
        return LEARN_LOOKS[self.learn_look.currentData()]

    def select_style(self, style_id: str) -> bool:
        """Select the style ``style_id`` in the picker; False when it is not listed or
        disabled. (A style without a trained generator is listed: Best quality needs none.)"""
        for row in range(self.style_list.count()):
            item = self.style_list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) != style_id:
                continue
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                self.style_list.setCurrentRow(row)
                return True
            return False
        return False

    def _quality_changed(self, _index: int = 0) -> None:
        """The "Match the style's detail" box acts on the Fast network's output only."""
        self.match_statistics.setEnabled(self.stylize_quality.currentData() == "fast")

    def _remember_style(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None and not self._filling_styles:
            QSettings().setValue(STYLE_KEY, item.data(Qt.ItemDataRole.UserRole))

    def show_style_preview(self, rgb) -> None:
        """Show a Learn Style snapshot: float32 ``(h, w, 3)`` in [0, 1] (None hides it)."""
        if rgb is None:
            self.style_preview.setVisible(False)
            return
        import numpy as np

        img = np.ascontiguousarray((np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8))
        h, w = img.shape[:2]
        qimg = QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.style_preview.setPixmap(QPixmap.fromImage(qimg).scaledToWidth(min(w, 192)))
        self.style_preview.setVisible(True)

    def set_progress(self, fraction: float, message: str) -> None:
        """Show job progress and its message (the phase the job is in, as it reports it).

        Args:
            fraction: 0..1; negative = unknown for now (the bar becomes a busy indicator).
            message: shown under the bar as it is.
        """
        if fraction < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(round(min(fraction, 1.0) * 100))
        self.message.setText(message)
        if message.startswith("Denoising: noise ") and message.endswith("(estimated)"):
            found = message.removeprefix("Denoising: noise ").removesuffix(" (estimated)")
            self.denoise_estimate.setText(found.replace("sigma", "σ"))
