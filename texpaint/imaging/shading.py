"""A lit preview of a material: a flat tile under one directional light (numpy).

Judging an edit of a material set by looking at its maps one by one misses what an engine
shows: relief from the normal map, highlights from roughness or specular. This shades a flat,
square tile seen from straight above under a movable directional light with the
Blinn-Phong model (J. F. Blinn, "Models of Light Reflection for Computer Synthesized
Pictures", SIGGRAPH 1977), in linear light:

``out = albedo * (ambient + (1 - ambient) * max(0, n . l)) + ks * max(0, n . h)^p * [n . l > 0]``

with ``n`` the unit normal from the normal map (flat ``(0, 0, 1)`` without one; DirectX maps
have their y flipped to OpenGL's first), ``l`` the unit light direction, ``h`` the half vector
between ``l`` and the view direction ``(0, 0, 1)``, ``p = 2 / r^4 - 2`` the Blinn-Phong
exponent matching a Beckmann roughness ``r`` (clamped to [0.05, 1]; B. Walter et al.,
"Microfacet Models for Refraction through Rough Surfaces", EGSR 2007, eq. 30 inverted) and
``ks`` the specular level (:data:`SPECULAR_MAP_SCALE` x the specular map's value where there
is one, else 0.04, the reflectance of a common dielectric). It is a preview, not a
renderer: no shadows, no image-based light, no metalness.

Axes: x right, y up (towards the image's top row), z out of the surface towards the viewer.
Arrays: float32 ``(H, W, 3)`` in [0, 1] (albedo sRGB-encoded; normal map encoded
``(n + 1) / 2``); scalar maps float32 ``(H, W)`` in [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

from texpaint.imaging.io import linear_to_srgb, srgb_to_linear
from texpaint.imaging.normal_map import decode_normals

__all__ = ["light_direction", "lit_preview"]

DIELECTRIC_SPECULAR = 0.04
"""Specular level used when the set has no specular map (reflectance of glass/plastic/stone)."""

SPECULAR_MAP_SCALE = 0.25
"""Specular level of a specular map's white (game-style specular maps are intensities in
[0, 1], not reflectances; 0.25 keeps highlights from washing out a Nobiax stone)."""


def light_direction(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Unit light direction from angles.

    Args:
        azimuth_deg: direction in the image plane the light comes from, degrees
            counter-clockwise from the image's right (+x); 90 = from the top.
        elevation_deg: height above the surface, degrees (90 = straight above).

    Returns:
        float32 ``(3,)`` unit vector ``(x, y, z)`` pointing towards the light.
    """
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    return np.array(
        [math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)], np.float32
    )


def lit_preview(
    albedo: np.ndarray,
    normal: np.ndarray | None = None,
    *,
    roughness: np.ndarray | None = None,
    specular: np.ndarray | None = None,
    light: np.ndarray | None = None,
    convention: str = "opengl",
    ambient: float = 0.15,
) -> np.ndarray:
    """Shade a flat tile of the material (module doc).

    Args:
        albedo: float32 ``(H, W, 3)`` sRGB-encoded colour in [0, 1].
        normal: float32 ``(H, W, 3)`` encoded tangent-space normal map, or None (flat).
        roughness: float32 ``(H, W)`` in [0, 1], or None (0.5).
        specular: float32 ``(H, W)`` specular level in [0, 1], or None
            (:data:`DIELECTRIC_SPECULAR`).
        light: float ``(3,)`` direction towards the light (normalised here), or None (from
            the top left, 45 degrees up).
        convention: the normal map's ``"opengl"`` (+Y) or ``"directx"`` (-Y).
        ambient: share of the albedo lit regardless of the light, in [0, 1].

    Returns:
        float32 ``(H, W, 3)`` sRGB-encoded in [0, 1].

    Raises:
        ValueError: shapes disagree or an unknown convention.
    """
    if convention not in ("opengl", "directx"):
        raise ValueError(f"unknown normal-map convention {convention!r}")
    h, w = albedo.shape[:2]
    for name, a in (("normal", normal), ("roughness", roughness), ("specular", specular)):
        if a is not None and a.shape[:2] != (h, w):
            raise ValueError(f"{name} map {a.shape[:2]} does not match the albedo {(h, w)}")
    lin = srgb_to_linear(np.clip(albedo, 0.0, 1.0))
    if normal is None:
        n = np.zeros((h, w, 3), np.float32)
        n[..., 2] = 1.0
    else:
        n = decode_normals(normal)
        if convention == "directx":
            n[..., 1] = -n[..., 1]
        n /= np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
    lv = light_direction(135.0, 45.0) if light is None else np.asarray(light, np.float32)
    lv = lv / max(float(np.linalg.norm(lv)), 1e-6)
    view = np.array([0.0, 0.0, 1.0], np.float32)
    half = (lv + view) / max(float(np.linalg.norm(lv + view)), 1e-6)
    n_dot_l = np.clip(n @ lv, 0.0, None)
    n_dot_h = np.clip(n @ half, 0.0, None)
    r = np.full((h, w), 0.5, np.float32) if roughness is None else roughness
    r = np.clip(r.astype(np.float32), 0.05, 1.0)
    power = 2.0 / r**4 - 2.0
    ks = DIELECTRIC_SPECULAR if specular is None else SPECULAR_MAP_SCALE * specular
    spec = ks * np.power(n_dot_h, power) * (n_dot_l > 0)
    diffuse = ambient + (1.0 - ambient) * n_dot_l
    out = lin * diffuse[..., None] + spec[..., None]
    return np.clip(linear_to_srgb(out), 0.0, 1.0).astype(np.float32)
