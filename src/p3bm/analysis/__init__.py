"""Analyses that help planners decide what to fix first and where.

Each module is one concept: ``aggregate`` (values of an area from its
sub-areas), ``targets`` (plan targets), ``scorecard``, ``trend``,
``position`` (rank among peers, relevance and effectiveness), ``quadrant``,
``priority`` (priority problems), ``decisions`` (the TKPK's decisions),
``determinants``, ``locations`` (priority locations P1 to P4) and
``quality`` (data-quality findings around an area). Every result records its
parameters and the inputs it was computed from, so it can be reproduced.
Formulas and their sources are in docs/METHODS.md.
"""

from p3bm.analysis.base import AnalysisSettings, InputValue
from p3bm.analysis.scope import Scope, load_scope

__all__ = ["AnalysisSettings", "InputValue", "Scope", "load_scope"]
