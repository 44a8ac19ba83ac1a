"""Planning, budgeting and monitoring of the programmes SKPDs run.

One module per concept: ``nomenclature`` (regional budget codes and levels),
``register`` (budget lines with pagu, outputs, locations and the indicators
they address), ``budget_import`` (SIPD-style budget exports), ``quarterly``
(triwulan reports and their review), ``monitoring`` (target against
realisation with traffic lights), ``budget_analysis`` (pro-poor share,
relevance, unfunded priorities, cost per beneficiary, pivot tables),
``priorities`` (the priority problems, determinants and locations that the
budget analysis reads) and ``lp2kd`` (the annual poverty-reduction report).
"""
