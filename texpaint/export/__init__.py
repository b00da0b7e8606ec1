"""texpaint.export."""
