"""Old home of :mod:`texpaint.jobs` (the job types moved below ``document`` and ``engine``);
kept only while modules still being edited switch their imports."""

from texpaint.jobs import *  # noqa: F403
