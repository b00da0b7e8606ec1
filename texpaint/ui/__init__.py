"""texpaint.ui."""
