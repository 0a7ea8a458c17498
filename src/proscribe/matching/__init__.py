"""Matching: comparing names and identities, independent of where the lists come from.

``normalize`` turns a name in any script into comparable Latin tokens; ``index`` finds the
few listed names a query may be; ``score`` compares a query with a listed entity and
explains the result. The screening layer (``proscribe.screening``) puts them together.
"""
