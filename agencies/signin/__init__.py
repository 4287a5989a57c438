"""Sign-in: each agency's OpenID Connect provider, the sign-in pages and decisions, their limits, break-glass.

A sub-package of agencies because a sign-in ends in an agency membership; the session itself
(``agencies.sessions``) stays in agencies, since every domain's views read it.
"""
