"""Why enforcement refused something. Every message names what was wrong and where."""

from __future__ import annotations


class EnforcementError(Exception):
    """An action was refused; nothing was changed."""


class InputError(EnforcementError):
    """A file or message is malformed: the message names the file, the line or element, and the field."""


class FourEyesError(EnforcementError):
    """A decision cannot be approved by the person who made it (or is not pending any more)."""


class BlockedPropertyError(EnforcementError):
    """Money cannot leave a blocked account except as a licence or the rules allow."""


class NotFoundError(EnforcementError, LookupError):
    """No such party, account, alert, decision, payment or report."""
