"""Claims of the source articles, measured: each a declared list of runs, numbers and a verdict rule.

- :mod:`.catalogue`: the claims (``CLAIMS``), with their sources and explanation templates;
- :mod:`.verdicts`: the rules (reproduced / not reproduced / reversed) and their thresholds;
- :mod:`.plan`: claims → concrete runs (seeds, budget, shared runs once); queueing a claim's runs;
- :mod:`.measure`: executing a plan and turning finished runs into table rows;
- :mod:`.table`: the table file (shipped and data-folder copies) and how it reads.

``bench/claims.py`` measures and publishes the table; the Claims page shows it.
"""

from replearn_core.claims.catalogue import CLAIMS, CLAIMS_BY_ID, choose_representation_learning
from replearn_core.claims.plan import DEFAULT_BUDGET_S, DEFAULT_SEEDS, estimate_seconds, plan_runs, submit_claim_runs
from replearn_core.claims.spec import Claim, Measured, Results, RunResult, RunSpec
from replearn_core.claims.verdicts import NOT_MEASURED, NOT_REPRODUCED, REPRODUCED, REVERSED, AllOf, Exceeds, Stat

__all__ = ["AllOf", "CLAIMS", "CLAIMS_BY_ID", "Claim", "DEFAULT_BUDGET_S", "DEFAULT_SEEDS", "Exceeds", "Measured",
           "NOT_MEASURED", "NOT_REPRODUCED", "REPRODUCED", "REVERSED", "Results", "RunResult", "RunSpec", "Stat",
           "choose_representation_learning", "estimate_seconds", "plan_runs", "submit_claim_runs"]
