"""Enforcement: what an institution must do once a designated person is found.

Only the reporting calendar is here so far (``deadlines``); blocking, rejecting, the
blocked-property ledger and entry decisions follow (issue 4).
"""
