"""The parts every texpaint GAN training run shares: device choice, the generator /
discriminator / EMA state with its checkpoint, the step loop with ``abort`` / ``progress``
callbacks, and a JSON-lines progress logger.

A trainer (``inpaint_trainer``, ``denoise_trainer``) builds a :class:`GanState`, restores it
with :meth:`GanState.load` when resuming, and hands :func:`run_steps` a ``train_step()`` that
runs one D + G update and returns its losses, and an ``export()`` that writes the EMA weights.
The EMA of the generator weights (Karras et al. 2018) is what gets exported.

Checkpoints (``checkpoint.pt``) are our own dict of tensors and plain numbers, written
atomically (temp + ``os.replace``) and read back with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from texpaint.training.data import list_images

ProgressFn = Callable[[int, int, dict], None]


def pick_device(name: str = "auto") -> torch.device:
    """``torch.device`` for "auto" (CUDA, then MPS, then CPU) or an explicit name."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)


def set_cpu_threads(threads: int | None) -> None:
    """Limit torch's intra-op CPU threads to ``threads`` (None or 0: leave torch's default)."""
    if threads:
        torch.set_num_threads(int(threads))


@dataclass
class GanState:
    """Generator ``G``, discriminator ``D``, the EMA copy ``G_ema``, both Adam optimisers
    and the progress counters: everything a checkpoint holds."""

    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    G_ema: torch.nn.Module = field(init=False)
    step: int = 0
    train_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.G_ema = copy.deepcopy(self.G).eval()
        for p in self.G_ema.parameters():
            p.requires_grad_(False)

    @classmethod
    def create(
        cls,
        G: torch.nn.Module,
        D: torch.nn.Module,
        lr_g: float,
        lr_d: float,
        betas_g: tuple[float, float] = (0.5, 0.999),
    ) -> GanState:
        """State with fresh Adam optimisers (learning rates ``lr_g`` / ``lr_d``; D's betas
        0.5 / 0.999, G's ``betas_g``)."""
        return cls(
            G=G,
            D=D,
            opt_g=torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas_g),
            opt_d=torch.optim.Adam(D.parameters(), lr=lr_d, betas=(0.5, 0.999)),
        )

    def save(self, path: Path) -> None:
        """Write the checkpoint atomically to ``path``."""
        state = {
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "step": self.step,
            "train_seconds": self.train_seconds,
        }
        tmp = Path(path).with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)

    def load(self, path: Path, device: torch.device) -> None:
        """Restore everything from the checkpoint at ``path`` (tensors only, weights_only).

        Raises:
            FileNotFoundError: no checkpoint at ``path``.
            RuntimeError: the checkpoint does not fit these networks.
        """
        state = torch.load(path, map_location=device, weights_only=True)
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.step, self.train_seconds = int(state["step"]), float(state["train_seconds"])

    @torch.no_grad()
    def update_ema(self, decay: float) -> None:
        """``G_ema <- lerp(G_ema, G, 1 - d)`` with ``d = min(decay, (1 + step) / (10 + step))``
        (a shorter average early on); buffers are copied."""
        d = min(decay, (1 + self.step) / (10 + self.step))
        for pe, p in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            pe.lerp_(p, 1 - d)
        for be, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            be.copy_(b)


def run_steps(
    state: GanState,
    total_steps: int,
    train_step: Callable[[], dict],
    export: Callable[[], Path],
    checkpoint_path: Path,
    checkpoint_every: int,
    export_every: int,
    abort: Callable[[], bool] = lambda: False,
    progress: ProgressFn = lambda step, total, logs: None,
) -> Path:
    """Run ``train_step`` until ``state.step == total_steps`` or ``abort()``.

    After each step: ``progress(step, total_steps, logs + {"sec_per_step"})``; every
    ``checkpoint_every`` steps a checkpoint, every ``export_every`` steps an export (then
    ``G`` is put back in train mode). On abort the loop checkpoints and stops after the
    current step. At the end: a checkpoint, and an export unless the last step just exported.

    Returns:
        The path ``export()`` returned last.
    """
    state.G.train()
    state.D.train()
    last_export: Path | None = None
    while state.step < total_steps:
        if abort():
            break
        t0 = time.perf_counter()
        logs = train_step()
        state.step += 1
        state.train_seconds += time.perf_counter() - t0
        progress(
            state.step, total_steps, {**logs, "sec_per_step": state.train_seconds / state.step}
        )
        if state.step % checkpoint_every == 0:
            state.save(checkpoint_path)
        if state.step % export_every == 0:
            last_export = export()
            state.G.train()
    state.save(checkpoint_path)
    if last_export is None or state.step % export_every:
        last_export = export()
    return last_export


def data_card(data_dirs: list[Path]) -> list[dict]:
    """The model card's ``training.data``: each folder with its image count."""
    return [{"folder": str(Path(d)), "images": len(list_images(Path(d)))} for d in data_dirs]


def json_lines_logger(log_path: Path) -> ProgressFn:
    """A ``progress`` callback that appends one JSON line per 10 steps to ``log_path``."""

    def progress(step: int, total: int, logs: dict) -> None:
        if step % 10 == 0 or step == total:
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"step": step, "total": total, **logs}) + "\n")

    return progress


def prepare_run(out_dir: Path, device: str, seed: int) -> tuple[Path, torch.device]:
    """Create ``out_dir``, pick the device (see :func:`pick_device`) and seed torch."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    return out, pick_device(device)


def card_common(cfg, state: GanState, device: torch.device, code: str) -> dict:
    """Model-card fields every trainer writes: ``training`` (data folders with image counts,
    steps, batch, crop size, EMA decay, device, seconds, the training code's path), ``licence``
    and ``exported`` (UTC time). ``cfg`` needs ``data_dirs``, ``batch``, ``size`` and
    ``ema_decay``; trainers add their own keys (losses, ...) to ``training``."""
    return {
        "training": {
            "data": data_card(cfg.data_dirs),
            "steps": state.step,
            "batch": cfg.batch,
            "crop_size": cfg.size,
            "ema_decay": cfg.ema_decay,
            "device": str(device),
            "train_seconds": round(state.train_seconds, 1),
            "code": code,
        },
        "licence": "MIT (weights); trained on CC0 1.0 textures",
        "exported": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
