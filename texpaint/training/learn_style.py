"""Learn Style: train a style generator on one exemplar and install it in the user's style
library, where the painter's Stylize finds it (:mod:`texpaint.models.styles`).

The painter adds the exemplar to the library at once (Stylize at Best quality copies from it
with no training) and, only when asked, trains its Fast generator with :func:`learn_style`
as a task on the app's one runner (it queues behind and blocks other jobs while it trains;
:class:`texpaint.ui.style_learner.StyleLearner`; ``params["style_id"]`` names the style
already added). The command line's ``texpaint stylize --style IMAGE --quality fast`` does the
same synchronously, and
``texpaint train style --install`` installs with :func:`install_style`. Training itself is
:func:`texpaint.training.style_trainer.run_style_training` (Johnson et al. 2016 feed-forward
generator with Gram-matrix style loss, Gatys et al. 2016).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from texpaint.jobs import JobCancelled, JobError

__all__ = ["LEARN_LOOKS", "install_style", "learn_style"]

LEARN_LOOKS = {"painting": 1.0, "material": 0.1}
"""Learn Style's kinds of look → content-loss weight of the training: a *painting* look keeps
the image's forms (the default weight), a *material* look replaces the surface detail (the
weight ``moss`` and ``rust`` were trained with; in the fifth session's benchmark it brought
the material looks of then 5-15 points closer to their exemplars than 1.0. Not every built-in
material uses it: ``ice`` and ``lava`` use 0.3, ``organic`` and ``weathered_wood`` 1.0, each
chosen on the benchmark; ``benchmarks/RESULTS.md``)."""


def install_style(
    weights: Path, exemplar_rgb8: np.ndarray, name: str, style_id: str, add_exemplar: bool = True
) -> str:
    """Add a trained style to the user's library: the exemplar to the style library
    (:func:`texpaint.models.styles.add_user_style`; skipped when ``add_exemplar`` is False:
    the style is already there) and the generator's ``.safetensors`` and model card to
    :func:`texpaint.models.catalog.user_models_dir` (card last, so the model is listed only
    once both files are in place).

    Args:
        weights: the exported ``texpaint-style-<style_id>.safetensors`` (its ``.json`` card
            beside it).
        exemplar_rgb8: uint8 ``(H, W, 3)`` RGB exemplar.
        name: the style's display name.
        style_id: its id.

    Returns:
        The model id (``weights``' stem).

    Raises:
        OSError: a file could not be written (a style folder added here is removed again).
    """
    from texpaint.models.catalog import user_models_dir
    from texpaint.models.styles import add_user_style, user_styles_dir

    models = user_models_dir()
    models.mkdir(parents=True, exist_ok=True)
    if add_exemplar:
        add_user_style(exemplar_rgb8, name, style_id)
    try:
        shutil.copyfile(weights, models / weights.name)
        shutil.copyfile(weights.with_suffix(".json"), models / f"{weights.stem}.json")
    except OSError:
        if add_exemplar:
            shutil.rmtree(user_styles_dir() / style_id, ignore_errors=True)
        raise
    return weights.stem


def learn_style(
    image: np.ndarray,
    params: Mapping[str, Any],
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
    preview: Callable[[np.ndarray], None] | None,
    device: str,
) -> tuple[str, str]:
    """Train a generator on ``image`` (the exemplar) and install the style
    (:func:`install_style`).

    Args:
        image: float32 ``(H, W, 3)`` RGB in [0, 1] (values outside are clipped).
        params: ``name`` (str, default "My style"), ``style_id`` (str: a style already in
            the user's library, e.g. added at once by the painter so Best can use it; its
            generator is trained and installed, the exemplar is not added again; default: a
            new style), ``steps``, ``batch``, ``size``,
            ``style_px`` (ints, defaults of
            :class:`~texpaint.training.style_trainer.StyleTrainConfig`), ``threads`` (int,
            torch CPU threads; default: leave them), ``content_weight`` (float > 0, default
            that of the config; :data:`LEARN_LOOKS` holds the two the painter offers).
        abort: polled every training step; True stops (nothing is installed).
        progress: ``(fraction in [0, 1], message)``.
        preview: called with float32 ``(h, w, 3)`` snapshots of the generator's output on a
            fixed content crop while training.
        device: torch device name for training (``"cpu"``, ``"cuda"``, ...).

    Returns:
        ``(style_id, model_id)`` of the new style.

    Raises:
        JobCancelled: ``abort()`` returned True (nothing is added to the library).
        JobError: a bad parameter, or training or installing failed.
    """
    from texpaint.models.styles import new_style_id, user_styles_dir
    from texpaint.training.style_trainer import StyleTrainConfig, run_style_training

    name = str(params.get("name") or "My style").strip() or "My style"
    existing = params.get("style_id")
    if existing is not None and not (user_styles_dir() / str(existing) / "style.json").is_file():
        raise JobError(f"no learnt style {existing!r} in the library")
    style_id = str(existing) if existing is not None else new_style_id(name)
    defaults = StyleTrainConfig(exemplar=Path(), out_dir=Path(), style_id=style_id)
    try:
        steps = int(params.get("steps", defaults.steps))
        batch = int(params.get("batch", defaults.batch))
        size = int(params.get("size", defaults.size))
        style_px = int(params.get("style_px", defaults.style_px))
        threads = int(params.get("threads") or 0) or None
        content_weight = float(params.get("content_weight", defaults.w_content))
    except (TypeError, ValueError) as exc:
        raise JobError(f"bad Learn Style parameter: {exc}") from exc
    if steps < 1 or batch < 1:
        raise JobError("steps and batch must be positive")
    if not math.isfinite(content_weight) or content_weight <= 0:
        raise JobError(f"content_weight must be a positive number, got {content_weight}")
    rgb8 = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    work = Path(tempfile.mkdtemp(prefix=f"texpaint-style-{style_id}-"))
    try:
        exemplar = work / "exemplar.png"
        cv2.imwrite(str(exemplar), cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR))
        cfg = StyleTrainConfig(
            exemplar=exemplar,
            out_dir=work,
            style_id=style_id,
            name=name,
            steps=steps,
            batch=batch,
            size=size,
            style_px=style_px,
            w_content=content_weight,
            device=device,
            threads=threads,
            preview_every=max(1, min(50, steps // 4)) if preview is not None else 0,
        )

        def on_progress(step: int, total: int, logs: dict) -> None:
            progress(
                min(0.99, step / total),
                f"Learning style: step {step}/{total}, style loss {logs['loss_style']:.3f}",
            )

        try:
            weights = run_style_training(
                cfg,
                abort=abort,
                progress=on_progress,
                preview=(lambda step, img: preview(img)) if preview is not None else None,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise JobError(f"Learning the style failed: {exc}") from exc
        if abort():
            raise JobCancelled()
        try:
            model_id = install_style(weights, rgb8, name, style_id, existing is None)
        except OSError as exc:
            raise JobError(f"cannot save the learnt style: {exc}") from exc
        progress(1.0, "Done")
        return style_id, model_id
    finally:
        shutil.rmtree(work, ignore_errors=True)
