"""texpaint.document."""
