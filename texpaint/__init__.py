"""texpaint: a desktop texture painter with texture-aware GAN inpainting and seamless editing."""

from pathlib import Path

__version__ = "0.1.0"


def resources_dir() -> Path:
    """Return the folder holding bundled resources (samples, styles, models, icons).

    Looks beside the package in a source checkout or editable install (``<repo>/resources``),
    then inside the package (frozen/PyInstaller builds copy it to ``texpaint/resources``).

    Raises:
        FileNotFoundError: no resources folder is found.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "resources", here / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"texpaint resources folder not found near {here}")
