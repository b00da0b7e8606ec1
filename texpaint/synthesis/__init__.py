"""Patch-based texture synthesis core (numpy, no Qt, no torch).

Nearest-neighbour fields (PatchMatch, Barnes et al. 2009), patch-offset statistics and lattices
(He & Sun 2012), multi-scale completion (Wexler, Shechtman & Irani 2007) and graph-cut
composition (Kwatra et al. 2003), shared by Inpaint, Make Seamless, Stylize and material sets.
"""
