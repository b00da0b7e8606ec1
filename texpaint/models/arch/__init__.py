"""texpaint.models.arch."""
