"""xAPI statement validation (xAPI 1.0.3 Data §2 and §4, plus the 2.0.0 differences).

Pure functions, no web framework: every rejection raises :class:`lrs.errors.BadRequestError` whose message
starts with the offending field's path (``statements[3].context.contextActivities.parent[0].id: ...``).
"""

from validators.agents import validate_agent
from validators.statement import validate_statement, validate_statements

__all__ = ["validate_agent", "validate_statement", "validate_statements"]
