"""texpaint.training."""
