"""Tangent-space normal maps: decode, encode, renormalise, convert between conventions.

A normal map stores a unit vector per pixel as ``rgb = (n + 1) / 2`` (n in [-1, 1]^3, z up,
out of the surface). Two conventions differ in the sign of y: **OpenGL** (+Y: green is
"up" on the surface, as in Blender, Unity, glTF; ambientCG ``_NormalGL``, Poly Haven
``_nor_gl``) and **DirectX** (-Y: Unreal, Substance's default; ``_NormalDX``, ``_nor_dx``).
Converting one to the other inverts green (``g -> 1 - g``).

Any blend or resample of a normal map shortens its vectors (the average of two unit
vectors is shorter than 1): :func:`renormalise` brings them back to unit length.

Arrays: float32 ``(H, W, 3)`` encoded values in [0, 1] (files' 8/16-bit levels scaled to
[0, 1] by :mod:`texpaint.imaging.io`); masks ``(H, W)`` bool or float (``> 0`` selects).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "NORMAL_CONVENTIONS",
    "decode_normals",
    "encode_normals",
    "flip_green",
    "normal_lengths",
    "renormalise",
]

NORMAL_CONVENTIONS: tuple[str, ...] = ("opengl", "directx")
"""Normal-map conventions: ``"opengl"`` (+Y) and ``"directx"`` (-Y)."""


def decode_normals(rgb: np.ndarray) -> np.ndarray:
    """Encoded normal map -> vectors: ``n = 2 * rgb - 1``.

    Args:
        rgb: float ``(..., 3)`` in [0, 1].

    Returns:
        float32 ``(..., 3)`` in [-1, 1] (not renormalised).
    """
    return (np.asarray(rgb, dtype=np.float32) * 2.0 - 1.0).astype(np.float32)


def encode_normals(n: np.ndarray) -> np.ndarray:
    """Vectors -> encoded normal map: ``rgb = (n + 1) / 2``, clipped to [0, 1].

    Args:
        n: float ``(..., 3)``.

    Returns:
        float32 ``(..., 3)`` in [0, 1].
    """
    return np.clip((np.asarray(n, dtype=np.float32) + 1.0) * 0.5, 0.0, 1.0).astype(np.float32)


def normal_lengths(rgb: np.ndarray) -> np.ndarray:
    """Length of each decoded normal, float32 ``(...)`` (1 for a unit normal)."""
    return np.linalg.norm(decode_normals(rgb), axis=-1).astype(np.float32)


def renormalise(rgb: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """Bring the normals of an encoded normal map back to unit length.

    Vectors shorter than 1e-6 (undefined direction) become ``(0, 0, 1)`` (flat). A vector
    with a negative z (pointing into the surface, e.g. after a blend of opposite normals)
    keeps its direction; no clamping of z is done.

    Args:
        rgb: float ``(H, W, 3)`` encoded normal map in [0, 1].
        where: optional ``(H, W)`` selection (bool, or float ``> 0``); pixels outside it are
            returned bit-identical. None renormalises every pixel.

    Returns:
        float32 ``(H, W, 3)``, a new array. Renormalised pixels decode to unit vectors
        within float32 precision (the clip to [0, 1] in :func:`encode_normals` never cuts
        a unit vector).
    """
    src = np.asarray(rgb, dtype=np.float32)
    out = src.copy()
    sel = np.ones(src.shape[:2], bool) if where is None else np.asarray(where) > 0
    if not sel.any():
        return out
    n = decode_normals(src[sel]).astype(np.float64)
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    flat = length[:, 0] < 1e-6
    n = np.where(length > 1e-6, n / np.maximum(length, 1e-6), 0.0)
    n[flat] = (0.0, 0.0, 1.0)
    out[sel] = encode_normals(n)
    return out


def flip_green(rgb: np.ndarray) -> np.ndarray:
    """Convert a normal map between the OpenGL (+Y) and DirectX (-Y) conventions by
    inverting its green channel (``g -> 1 - g``). Applying it twice gives the input back
    (exactly, for values from 8/16-bit files).

    Args:
        rgb: float ``(H, W, 3)`` encoded normal map in [0, 1].

    Returns:
        float32 ``(H, W, 3)``, a new array.
    """
    out = np.array(rgb, dtype=np.float32, copy=True)
    out[..., 1] = 1.0 - out[..., 1]
    return out
