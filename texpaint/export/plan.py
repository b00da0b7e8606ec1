"""Batch export plans: what to read, which operations to run, and what to write (no Qt).

A :class:`BatchPlan` says

- **inputs**: explicit files and/or one folder searched with a glob pattern (optionally
  recursive; outputs then mirror the sub-folders);
- **ops**: ordered operations, each ``name`` or ``name:argument``:

  ============================ ===========================================================
  ``inpaint[:PATTERN]``        fill each image's hole; the mask file is found beside the
                               image by ``PATTERN`` (default ``{stem}_mask.png``; tokens
                               ``{stem}``, ``{ext}``). A missing mask fails that file.
  ``denoise[:MODEL]``          model op: the denoise model ``MODEL``, by default the
                               default denoise model (``texpaint models default``; unless
                               changed the built-in blind denoiser ``texpaint-denoise``)
  ``stylize[:STYLE]``          model op: the style's generator (``texpaint-style-STYLE``)
  ``seamless``                 model op (Make Seamless: the inpainting model over the wrap seams)
  ``upscale[:MODEL]``          model op: the imported upscaling model ``MODEL`` (ESRGAN,
                               Real-ESRGAN compact...; default: the default upscale model,
                               unless chosen the first one installed); the
                               image grows by the model's factor, its alpha is resampled
                               with it, and a later ``resize`` fans out from the larger size
  ``resize``                   one output per entry of ``sizes``; must be the last op
  ============================ ===========================================================

- **formats**: ``png`` (keep the source depth), ``png8``, ``png16``, ``jpg[:QUALITY]``,
  ``webp[:QUALITY|lossless]``, ``tif`` (keep), ``tif8``, ``tif16``, ``tif32f``, ``exr``,
  ``tga``;
- **sizes**: integers (long side in pixels) or ``"mip"`` (the power-of-two chain from the
  largest power of two not above the long side down to 64 px). Sizes larger than the image
  reaching ``resize`` (the source, or its ``upscale`` result) are not written (that output is
  left out and noted);
- **naming**: a template with the tokens ``{stem} {op} {size} {format} {ext}``, ending in
  ``.{ext}``; ``{op}`` is the op names joined by ``-`` (``resize`` left out unless it is the
  only op), ``{size}`` the long side in px or ``orig``;
- **overwrite**: ``skip`` (keep existing outputs), ``overwrite``, or ``unique`` (add ``_1``,
  ``_2``... before the extension);
- **passes**: geometric self-ensemble passes of the ``denoise`` and ``upscale`` ops, one of
  ``1, 2, 4, 8`` (:data:`texpaint.jobs.ENSEMBLE_PASSES`; the model also runs on that
  many rotations/mirrorings of the image and the results are averaged, Timofte et al.,
  CVPR 2016): more passes give cleaner results and take proportionally longer (8 is about
  8x the time of 1). Unset: each op's default (:func:`texpaint.jobs.default_passes`:
  1 for denoise and upscale). Other ops ignore it.

Plans are saved as TOML presets (:func:`save_preset` / :func:`load_preset`); relative paths in
a preset are resolved against the preset's folder. Every validation problem raises
:class:`PlanError` with a message naming the offending key and value.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

import tomli_w

from texpaint.imaging.io import SUPPORTED_READ_EXTENSIONS
from texpaint.jobs import ENSEMBLE_PASSES

__all__ = [
    "DEFAULT_MASK_PATTERN",
    "DEFAULT_NAMING",
    "FORMAT_CHOICES",
    "MIN_MIP_PX",
    "RESIZE",
    "batch_arg",
    "model_kind",
    "op_label",
    "op_names",
    "OVERWRITE_POLICIES",
    "BatchPlan",
    "OpSpec",
    "OutputFormat",
    "PlanError",
    "load_preset",
    "mip_chain",
    "parse_format",
    "parse_op",
    "parse_size",
    "save_preset",
]

PRESET_VERSION = 1
DEFAULT_MASK_PATTERN = "{stem}_mask.png"
DEFAULT_NAMING = "{stem}_{op}_{size}.{ext}"
OVERWRITE_POLICIES = ("skip", "overwrite", "unique")
MIN_MIP_PX = 64
"""Smallest long side (pixels) of a ``mip`` chain."""

RESIZE = "resize"
"""The plan's own last op: one output per size (no job)."""


def op_names() -> tuple[str, ...]:
    """Every op a plan accepts: the registered operations (:mod:`texpaint.ops.registry`) in
    registry order, then ``resize``."""
    from texpaint.ops import names

    return (*names(), RESIZE)


def op_label(name: str) -> str:
    """Human name of a plan op, e.g. ``"Make Seamless"`` (the operation's label)."""
    if name == RESIZE:
        return "Resize"
    from texpaint.ops import get

    return get(name).label


def model_kind(name: str) -> str | None:
    """The catalog operation of the model op ``name`` runs (``"inpaint"`` for ``seamless``),
    or None for ``resize`` and operations that run no model."""
    if name == RESIZE:
        return None
    from texpaint.ops import get

    return get(name).model_kind


def batch_arg(name: str) -> str | None:
    """What ``name:ARG`` means for op ``name``: ``"model"``, ``"style"``, ``"mask_pattern"``
    or None (no argument); from the operation's ``OperationSpec.batch_arg``."""
    if name == RESIZE:
        return None
    from texpaint.ops import get

    return get(name).batch_arg


# key -> (extension, sample format or None = keep the source's, default quality)
_FORMATS: dict[str, tuple[str, str | None]] = {
    "png": ("png", None),
    "png8": ("png", "uint8"),
    "png16": ("png", "uint16"),
    "jpg": ("jpg", "uint8"),
    "webp": ("webp", "uint8"),
    "tif": ("tif", None),
    "tif8": ("tif", "uint8"),
    "tif16": ("tif", "uint16"),
    "tif32f": ("tif", "float32"),
    "exr": ("exr", "float32"),
    "tga": ("tga", "uint8"),
}
FORMAT_CHOICES = tuple(_FORMATS)
_QUALITY_FORMATS = {"jpg": 95, "webp": 90}
_TEMPLATE_TOKENS = {"stem", "op", "size", "format", "ext"}


class PlanError(ValueError):
    """A plan, preset or command-line value is invalid; the message is for the user."""


@dataclass(frozen=True)
class OpSpec:
    """One operation of a plan.

    Attributes:
        name: one of :func:`op_names`.
        arg: what the operation's ``OperationSpec.batch_arg`` says: a mask file pattern
            (``inpaint``), a style id (``stylize``), a model id (``denoise``, ``upscale``);
            None where the op takes none (``resize``, ``seamless``) or uses its default.
    """

    name: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"

    @property
    def label(self) -> str:
        """Human name, e.g. ``"Make Seamless"``."""
        return op_label(self.name)

    @property
    def is_model_op(self) -> bool:
        """True when the op is a registered operation, run as a job through
        ``ops.runner.run_job`` (everything but ``resize``)."""
        return self.name != RESIZE

    @property
    def mask_pattern(self) -> str:
        """Mask file pattern of an ``inpaint`` op (its argument or the default)."""
        return self.arg or DEFAULT_MASK_PATTERN


def parse_op(text: str) -> OpSpec:
    """Parse ``"name"`` or ``"name:arg"`` (e.g. ``"inpaint:{stem}_mask.png"``).

    Raises:
        PlanError: unknown op name, an argument the op does not take, or a bad mask pattern.
    """
    text = str(text).strip()
    name, sep, raw_arg = text.partition(":")
    name = name.strip().lower()
    names = op_names()
    if name not in names:
        raise PlanError(f"unknown op {text!r} (choose from {', '.join(names)})")
    arg = raw_arg.strip() if sep else None
    if sep and not arg:
        raise PlanError(f"op {text!r}: empty argument after ':'")
    if batch_arg(name) is None and arg is not None:
        raise PlanError(f"op {text!r}: {name} takes no argument (sizes are set with sizes)")
    if batch_arg(name) == "mask_pattern" and arg is not None:
        _check_fields(arg, {"stem", "ext"}, f"mask pattern {arg!r}")
        if "{stem}" not in arg:
            raise PlanError(f"mask pattern {arg!r} must contain {{stem}}")
    return OpSpec(name, arg)


@dataclass(frozen=True)
class OutputFormat:
    """One output file format.

    Attributes:
        key: the format as written in plans, e.g. ``"png16"``, ``"jpg:90"``, ``"webp:lossless"``.
        ext: file extension without the dot (``"png"``, ``"jpg"``, ...).
        sample_format: ``"uint8"``, ``"uint16"``, ``"float32"``, or None to keep the
            source's where the format can store it (see ``imaging.io.write_image``).
        quality: JPEG/WebP quality 1..100 (WebP 100 = lossless); 95 for other formats
            (unused by them).
    """

    key: str
    ext: str
    sample_format: str | None
    quality: int = 95

    @property
    def token(self) -> str:
        """The format for file names (``{format}``), e.g. ``"png16"``, ``"jpg90"``."""
        return self.key.replace(":", "").replace("lossless", "ll")


def parse_format(text: str) -> OutputFormat:
    """Parse a format string such as ``"png16"``, ``"jpg:90"``, ``"webp:lossless"``.

    Raises:
        PlanError: unknown format, a quality that is not an integer in 1..100, or a quality
            given to a format without one.
    """
    raw = str(text).strip()
    base, sep, arg = raw.lower().partition(":")
    if base == "jpeg":
        base = "jpg"
    if base == "tiff":
        base = "tif"
    if base not in _FORMATS:
        raise PlanError(f"unknown format {raw!r} (choose from {', '.join(FORMAT_CHOICES)})")
    ext, sample = _FORMATS[base]
    if not sep:
        return OutputFormat(base, ext, sample, _QUALITY_FORMATS.get(base, 95))
    if base not in _QUALITY_FORMATS:
        raise PlanError(f"format {raw!r}: {base} takes no quality setting")
    if base == "webp" and arg == "lossless":
        return OutputFormat("webp:lossless", ext, sample, 100)
    try:
        quality = int(arg)
    except ValueError:
        raise PlanError(f"format {raw!r}: quality must be an integer 1..100") from None
    if not 1 <= quality <= 100:
        raise PlanError(f"format {raw!r}: quality must be between 1 and 100, got {quality}")
    return OutputFormat(f"{base}:{quality}", ext, sample, quality)


def parse_size(value: int | str) -> int | str:
    """Parse a size: a positive integer (long side, px) or ``"mip"``.

    Raises:
        PlanError: anything else, or a size below 1 or above 65536.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "mip":
            return "mip"
        try:
            value = int(text)
        except ValueError:
            raise PlanError(f"size {value!r} is not a number of pixels or 'mip'") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(f"size {value!r} is not a number of pixels or 'mip'")
    if not 1 <= value <= 65536:
        raise PlanError(f"size {value} is out of range (1..65536 px)")
    return value


def mip_chain(long_side: int, smallest: int = MIN_MIP_PX) -> list[int]:
    """Power-of-two long sides for a ``mip`` size.

    Args:
        long_side: the source's long side in pixels.
        smallest: the chain stops at this size (inclusive).

    Returns:
        Descending powers of two, from the largest one ``<= long_side`` down to ``smallest``;
        ``[long_side]`` alone when the source is smaller than ``smallest``.
    """
    if long_side < smallest:
        return [long_side]
    top = 1 << (int(long_side).bit_length() - 1)
    out = []
    while top >= smallest:
        out.append(top)
        top //= 2
    return out


def _check_fields(template: str, allowed: set[str], what: str) -> set[str]:
    try:
        fields = {f for _, f, spec, conv in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise PlanError(f"{what}: {e}") from None
    unknown = fields - allowed
    if unknown or "" in fields:
        shown = ", ".join("{" + t + "}" for t in sorted(allowed))
        raise PlanError(f"{what}: unknown placeholder(s) {sorted(unknown)} (use {shown})")
    return fields


@dataclass
class BatchPlan:
    """Everything a batch export needs; see the module docstring for the vocabulary.

    Attributes:
        output_dir: folder the outputs go to (created when missing).
        files: explicit input files.
        folder: a folder to search, or None.
        glob: pattern for ``folder`` (e.g. ``"*.png"``); ``"*"`` means every supported image.
        recursive: search ``folder``'s sub-folders too (outputs mirror them).
        ops: ordered operations (:class:`OpSpec`; strings are parsed).
        formats: output formats (:class:`OutputFormat`; strings are parsed); at least one.
        sizes: long sides in px and/or ``"mip"``; needs a ``resize`` op and vice versa.
        naming: output file name template.
        overwrite: ``"skip"``, ``"overwrite"`` or ``"unique"``.
        model_ids: model id per model op name (``{"inpaint": "lama-tex"}``), default model
            when absent.
        passes: geometric self-ensemble passes (Timofte et al., CVPR 2016) of every
            ``denoise`` and ``upscale`` op: how many rotations/mirrorings of the image the
            model runs on (their outputs averaged), one of
            :data:`~texpaint.jobs.ENSEMBLE_PASSES` (1, 2, 4, 8; model time grows
            linearly with it), or None for each op's default
            (:func:`~texpaint.jobs.default_passes`: 1 for denoise and upscale).
            Other ops ignore it.

    Raises:
        PlanError: from :meth:`validate`, called on construction.
    """

    output_dir: Path
    files: list[Path] = field(default_factory=list)
    folder: Path | None = None
    glob: str = "*"
    recursive: bool = False
    ops: list[OpSpec] = field(default_factory=list)
    formats: list[OutputFormat] = field(default_factory=lambda: [parse_format("png")])
    sizes: list[int | str] = field(default_factory=list)
    naming: str = DEFAULT_NAMING
    overwrite: str = "skip"
    model_ids: dict[str, str] = field(default_factory=dict)
    passes: int | None = None

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        self.files = [Path(f) for f in self.files]
        self.folder = Path(self.folder) if self.folder is not None else None
        self.ops = [o if isinstance(o, OpSpec) else parse_op(o) for o in self.ops]
        self.formats = [f if isinstance(f, OutputFormat) else parse_format(f) for f in self.formats]
        self.sizes = [parse_size(s) for s in self.sizes]
        self.validate()

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Check the plan as a whole.

        Raises:
            PlanError: no inputs, no formats, duplicate formats, a misplaced/duplicate
                ``resize`` op, sizes without ``resize`` (or the reverse), a bad overwrite
                policy, ``passes`` not None and not one of ``ENSEMBLE_PASSES``, or a naming
                template that is unknown or could give two outputs of one file the same name.
        """
        if not self.files and self.folder is None:
            raise PlanError("no inputs: give files and/or a folder")
        if not self.glob.strip():
            raise PlanError("glob pattern is empty")
        if not self.formats:
            raise PlanError("no output formats: give at least one (e.g. png)")
        keys = [f.key for f in self.formats]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise PlanError(f"format(s) given twice: {', '.join(dupes)}")
        names = [o.name for o in self.ops]
        if names.count("resize") > 1:
            raise PlanError("op 'resize' is given twice")
        if "resize" in names and names[-1] != "resize":
            raise PlanError("op 'resize' must be the last op (it fans out to the sizes)")
        if "resize" in names and not self.sizes:
            raise PlanError("op 'resize' needs at least one size (e.g. 1024 or mip)")
        if self.sizes and "resize" not in names:
            raise PlanError("sizes are given but there is no 'resize' op")
        if len(set(map(str, self.sizes))) != len(self.sizes):
            raise PlanError(f"a size is given twice: {self.sizes}")
        if self.overwrite not in OVERWRITE_POLICIES:
            raise PlanError(
                f"overwrite policy {self.overwrite!r} is not one of {', '.join(OVERWRITE_POLICIES)}"
            )
        if self.passes is not None and (
            type(self.passes) is not int or self.passes not in ENSEMBLE_PASSES
        ):
            raise PlanError(
                f"passes {self.passes!r} is not one of {', '.join(map(str, ENSEMBLE_PASSES))} "
                "(or unset: each op's default)"
            )
        fields = _check_fields(self.naming, _TEMPLATE_TOKENS, f"naming template {self.naming!r}")
        if not self.naming.endswith(".{ext}"):
            raise PlanError(f"naming template {self.naming!r} must end with '.{{ext}}'")
        if "/" in self.naming or "\\" in self.naming:
            raise PlanError(f"naming template {self.naming!r} must be a file name, not a path")
        if "stem" not in fields:
            raise PlanError(f"naming template {self.naming!r} must contain {{stem}}")
        if (len(self.sizes) > 1 or "mip" in self.sizes) and "size" not in fields:
            raise PlanError(
                f"naming template {self.naming!r} needs {{size}}: several sizes are written"
            )
        exts = [f.ext for f in self.formats]
        if len(set(exts)) != len(exts) and "format" not in fields:
            raise PlanError(
                f"naming template {self.naming!r} needs {{format}}: formats "
                f"{', '.join(keys)} share an extension"
            )
        unknown_models = {n for n in self.model_ids if n not in op_names() or n == RESIZE}
        if unknown_models:
            raise PlanError(f"model_ids for unknown op(s): {', '.join(sorted(unknown_models))}")

    # ------------------------------------------------------------------ derived values
    def model_id(self, op: OpSpec) -> str | None:
        """The model id ``op`` runs: ``model_ids[op.name]``, else the op's argument for
        ``denoise`` / ``upscale``, else None (the operation's default model)."""
        return self.model_ids.get(op.name) or (op.arg if batch_arg(op.name) == "model" else None)

    @property
    def op_token(self) -> str:
        """The ``{op}`` value of output names, e.g. ``"inpaint"`` or ``"resize"``."""
        names = [o.name for o in self.ops if o.name != "resize"]
        if names:
            return "-".join(names)
        return "resize" if self.ops else "copy"

    @property
    def resize_op(self) -> bool:
        """True when the plan ends in ``resize`` (one output per size)."""
        return bool(self.ops) and self.ops[-1].name == "resize"

    def output_sizes(self, width: int, height: int) -> tuple[list[int | None], list[str]]:
        """Long sides to write for a ``width`` x ``height`` source.

        Returns:
            ``(sizes, notes)``: sizes in px (None = the source size, when there is no
            ``resize`` op), in plan order without repeats; notes name the sizes left out
            because they would upscale.
        """
        if not self.resize_op:
            return [None], []
        long_side = max(width, height)
        out: list[int | None] = []
        notes = []
        for s in self.sizes:
            for px in mip_chain(long_side) if s == "mip" else [int(s)]:
                if px > long_side:
                    notes.append(f"size {px} left out: the source is only {long_side} px")
                elif px not in out:
                    out.append(px)
        return out, notes

    def output_name(self, stem: str, size: int | None, fmt: OutputFormat) -> str:
        """File name for one output, from the naming template."""
        return self.naming.format(
            stem=stem,
            op=self.op_token,
            size="orig" if size is None else str(size),
            format=fmt.token,
            ext=fmt.ext,
        )

    def input_files(self) -> list[tuple[Path, Path]]:
        """The input images, in order, each with the sub-folder its outputs go to.

        Returns:
            ``(file, relative output sub-folder)`` pairs: explicit files first (sub-folder
            ``.``), then the folder's matches sorted by path (sub-folder mirrors the tree when
            recursive). Duplicates are dropped. Missing explicit files are kept, so the
            runner reports them.

        Raises:
            PlanError: ``folder`` is given but is not a folder.
        """
        seen: set[Path] = set()
        out: list[tuple[Path, Path]] = []
        for f in self.files:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append((f, Path(".")))
        if self.folder is not None:
            if not self.folder.is_dir():
                raise PlanError(f"input folder {self.folder} does not exist")
            matches = (
                self.folder.rglob(self.glob) if self.recursive else self.folder.glob(self.glob)
            )
            every = self.glob.strip() in ("*", "**/*")
            for f in sorted(matches):
                if not f.is_file() or f.name.startswith("."):
                    continue
                if every and f.suffix.lower() not in SUPPORTED_READ_EXTENSIONS:
                    continue
                if f.resolve().is_relative_to(self.output_dir.resolve()):
                    continue  # never re-read our own outputs
                if self._is_mask_file(f):
                    continue
                key = f.resolve()
                if key not in seen:
                    seen.add(key)
                    out.append((f, f.parent.relative_to(self.folder)))
        return out

    def _is_mask_file(self, f: Path) -> bool:
        """True when ``f`` is another image's inpainting mask (by the inpaint op's pattern):
        its name matches the pattern for some stem and an image with that stem lies beside it."""
        for op in self.ops:
            if batch_arg(op.name) != "mask_pattern":
                continue
            parts = re.split(r"(\{stem\}|\{ext\})", op.mask_pattern)
            regex = "".join(
                "(?P<stem>.+)"
                if part == "{stem}"
                else "[^.]+"
                if part == "{ext}"
                else re.escape(part)
                for part in parts
                if part
            )
            m = re.fullmatch(regex, f.name)
            if m is None:
                continue
            stem = m.group("stem")
            if any(s != f and s.stem == stem for s in f.parent.glob(glob_escape(stem) + ".*")):
                return True
        return False

    # ------------------------------------------------------------------ presets
    def to_dict(self) -> dict[str, Any]:
        """The plan as plain TOML-ready data (paths as strings; ``passes`` only when set)."""
        d: dict[str, Any] = {
            "version": PRESET_VERSION,
            "output_dir": str(self.output_dir),
            "ops": [str(o) for o in self.ops],
            "formats": [f.key for f in self.formats],
            "sizes": list(self.sizes),
            "naming": self.naming,
            "overwrite": self.overwrite,
            "inputs": {
                "files": [str(f) for f in self.files],
                "glob": self.glob,
                "recursive": self.recursive,
            },
        }
        if self.folder is not None:
            d["inputs"]["folder"] = str(self.folder)
        if self.model_ids:
            d["model_ids"] = dict(self.model_ids)
        if self.passes is not None:
            d["passes"] = int(self.passes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base: Path | None = None) -> BatchPlan:
        """Build a plan from :meth:`to_dict`-shaped data.

        Args:
            d: the data (e.g. a parsed TOML preset).
            base: folder that relative paths are resolved against, or None to keep them.

        Raises:
            PlanError: unknown keys, wrong types or invalid values (the message names the key).
        """
        if not isinstance(d, dict):
            raise PlanError("preset must be a table of settings")
        allowed = {"version", "output_dir", "ops", "formats", "sizes", "naming", "overwrite"}
        allowed |= {"inputs", "model_ids", "passes"}
        unknown = set(d) - allowed
        if unknown:
            raise PlanError(f"unknown preset key(s): {', '.join(sorted(unknown))}")
        version = d.get("version", PRESET_VERSION)
        if version != PRESET_VERSION:
            raise PlanError(
                f"preset version {version!r} is not supported (this is {PRESET_VERSION})"
            )
        inputs = d.get("inputs", {})
        if not isinstance(inputs, dict):
            raise PlanError("'inputs' must be a table")
        unknown = set(inputs) - {"files", "folder", "glob", "recursive"}
        if unknown:
            raise PlanError(f"unknown key(s) in [inputs]: {', '.join(sorted(unknown))}")

        def path(value: Any, key: str) -> Path:
            if not isinstance(value, str) or not value:
                raise PlanError(f"'{key}' must be a non-empty path string, got {value!r}")
            p = Path(value).expanduser()
            return p if base is None or p.is_absolute() else base / p

        def str_list(value: Any, key: str) -> list[str]:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise PlanError(f"'{key}' must be a list of strings, got {value!r}")
            return value

        def typed(value: Any, kind: type, key: str) -> Any:
            if not isinstance(value, kind):
                raise PlanError(f"'{key}' must be a {kind.__name__}, got {value!r}")
            return value

        if "output_dir" not in d:
            raise PlanError("preset has no 'output_dir'")
        sizes = d.get("sizes", [])
        if not isinstance(sizes, list):
            raise PlanError(f"'sizes' must be a list, got {sizes!r}")
        model_ids = d.get("model_ids", {})
        if not isinstance(model_ids, dict) or not all(
            isinstance(v, str) for v in model_ids.values()
        ):
            raise PlanError("'model_ids' must be a table of op = model id strings")
        passes = d.get("passes")
        if passes is not None and (isinstance(passes, bool) or not isinstance(passes, int)):
            raise PlanError(f"'passes' must be an int, got {passes!r}")
        folder = inputs.get("folder")
        return cls(
            output_dir=path(d["output_dir"], "output_dir"),
            files=[path(f, "inputs.files") for f in str_list(inputs.get("files", []), "files")],
            folder=path(folder, "inputs.folder") if folder is not None else None,
            glob=typed(inputs.get("glob", "*"), str, "inputs.glob"),
            recursive=typed(inputs.get("recursive", False), bool, "inputs.recursive"),
            ops=[parse_op(o) for o in str_list(d.get("ops", []), "ops")],
            formats=[parse_format(f) for f in str_list(d.get("formats", ["png"]), "formats")],
            sizes=sizes,
            naming=typed(d.get("naming", DEFAULT_NAMING), str, "naming"),
            overwrite=typed(d.get("overwrite", "skip"), str, "overwrite"),
            model_ids=dict(model_ids),
            passes=passes,
        )


def save_preset(plan: BatchPlan, path: str | os.PathLike[str]) -> None:
    """Write ``plan`` as a TOML preset, atomically (temp file + ``os.replace``).

    Raises:
        PlanError: the file cannot be written (message names the path).
    """
    p = Path(path)
    text = tomli_w.dumps(plan.to_dict())
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PlanError(f"{p}: cannot write preset ({e.strerror or e})") from e


def load_preset(path: str | os.PathLike[str]) -> BatchPlan:
    """Read a TOML preset; relative paths inside are resolved against its folder.

    Raises:
        PlanError: missing/unreadable file, invalid TOML (with line and column), or invalid
            settings; messages start with the preset's path.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise PlanError(f"{p}: cannot read preset ({e.strerror or e})") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise PlanError(f"{p}: not a valid TOML preset ({e})") from e
    try:
        return BatchPlan.from_dict(data, base=p.resolve().parent)
    except PlanError as e:
        raise PlanError(f"{p}: {e}") from e


def plan_with(plan: BatchPlan, **changes: Any) -> BatchPlan:
    """A copy of ``plan`` with some attributes replaced (validated again)."""
    d = {k: getattr(plan, k) for k in plan.__dataclass_fields__}
    d.update(changes)
    return BatchPlan(**d)


def ops_from_strings(values: Iterable[str]) -> list[OpSpec]:
    """Parse several op strings (see :func:`parse_op`)."""
    return [parse_op(v) for v in values]


def formats_from_strings(values: Sequence[str]) -> list[OutputFormat]:
    """Parse several format strings (see :func:`parse_format`)."""
    return [parse_format(v) for v in values]
