"""texpaint.models."""
