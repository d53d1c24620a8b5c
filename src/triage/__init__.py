"""triage: research toolkit for urgency triage of child-abuse intake notices (decision support only)."""

__version__ = "0.1.0"
