"""texpaint.imaging."""
