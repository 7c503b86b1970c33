"""The evaluation stage's public names: PolicySet (``qiam.policyset``), Decision, Result, StatementRef.

``qiam.policyset`` holds PolicySet and ``evaluate_pairs``; ``qiam.decision``
the values and public types a decision is made of. This module gathers them
under the pipeline's name for the stage.
"""

from __future__ import annotations

from qiam.decision import Decision, Result, StatementRef
from qiam.policyset import PolicySet, Results, Tracer, evaluate_pairs

__all__ = ["Decision", "PolicySet", "Result", "Results", "StatementRef", "Tracer", "evaluate_pairs"]
