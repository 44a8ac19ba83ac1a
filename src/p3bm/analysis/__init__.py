"""Analyses that help planners decide what to fix first and where.

Each module is one concept. ``aggregate`` computes an area's values from its
sub-areas and ``targets`` reads plan targets. ``scorecard``, ``trend`` and
``quadrant`` are the analyses of those names, ``position`` ranks an area
among its peers, and ``priority`` ranks its priority problems, on which
``decisions`` keeps the TKPK's decisions. ``determinants`` ranks the
determinants of a problem, ``locations`` puts sub-areas into priority
locations P1 to P4, and ``checks`` lists data-quality findings around an
area. Every result records its parameters and the inputs it was computed
from, so it can be reproduced. Formulas and their sources are in
docs/METHODS.md.
"""

from p3bm.analysis.base import AnalysisSettings, InputValue
from p3bm.analysis.scope import Scope, load_scope

__all__ = ["AnalysisSettings", "InputValue", "Scope", "load_scope"]
