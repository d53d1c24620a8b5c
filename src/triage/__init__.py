"""triage: research toolkit for urgency triage of child-abuse intake notices (decision support only).

The library is layered, one folder a layer (README, "What is here"); every error it
raises on purpose is a ``TriageError``.
"""

from triage.contract.errors import InvalidParameter, TriageError

__version__ = "0.1.0"

__all__ = ["InvalidParameter", "TriageError", "__version__"]
