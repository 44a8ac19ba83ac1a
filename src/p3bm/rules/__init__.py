"""Validation rules applied to values entered through forms, files and the API.

Rules come from the bundled ``data/rules.yaml`` and, if set, a region's own
YAML file (setting ``rules_file``), plus rules built from the catalogue:

- ``range``: a value within the indicator's minimum and maximum (error);
- ``numerator``: a numerator not above its denominator, for ratio
  indicators whose two parts share a unit (error);
- ``year_on_year``: a change of at most 50 % from last year (warning);
- ``sibling_outlier``: modified z of at most 3.5 among sibling areas with at
  least five values (warning);
- ``sum_of_subareas``: sub-areas of a summable indicator that add up to no
  more than the parent's value (warning).

An error blocks a submission; a warning needs a comment before it.

A rule file looks like::

    rules:
      - id: stunting_measured
        indicators: [BALITA_STUNTING]
        check: BALITA_STUNTING <= BALITA_DIUKUR
        severity: error
        message:
          id: Balita stunting melebihi balita yang diukur.
          en: Stunted children exceed the children measured.
"""

from p3bm.rules.engine import RuleResult, RuleSet, load_rules

__all__ = ["RuleResult", "RuleSet", "load_rules"]
