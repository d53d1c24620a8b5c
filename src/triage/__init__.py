"""triage: research toolkit for urgency triage of child-abuse intake notices (decision support only).

The library is layered, one folder a layer (README, "What is here"); every error it
raises on purpose is a ``TriageError``.
"""

import os

# MLflow (3.x) sends usage events to its makers from every process that imports it, on
# threads of its own. A toolkit used where child-protection records are kept sends
# nothing anywhere unasked: off unless the user sets MLFLOW_DISABLE_TELEMETRY themselves.
# Set before anything imports mlflow, which decides at its own import.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from triage.contract.errors import InvalidParameter, TriageError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["InvalidParameter", "TriageError", "__version__"]
