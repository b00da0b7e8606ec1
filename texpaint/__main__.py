"""``python -m texpaint`` runs the command line (same as the ``texpaint`` script)."""

from texpaint.cli import main

raise SystemExit(main())
