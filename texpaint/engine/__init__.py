"""texpaint.engine."""
