"""Who may see the dashboard: an OIDC login (`st.login`) with an allow-list of users.

Off by default (the local demo). A deployment switches it on with
`SERVFLOW_DASHBOARD_AUTH=oidc`, configures the identity provider in `.streamlit/secrets.toml`
(`[auth]`, see docs/dashboard.md) and lists the allowed e-mail addresses in
`SERVFLOW_DASHBOARD_USERS` (comma-separated; `*@example.com` allows a whole domain). With the
login on and no one listed, no one gets in.

>>> on = AccessPolicy(enabled=True, allowed=("ops@example.com", "*@tel.cn"))
>>> [on.decide(False, None), on.decide(True, "OPS@example.com"), on.decide(True, "a@tel.cn"),
...  on.decide(True, "eve@evil.cn")]
['login', 'allowed', 'allowed', 'denied']
>>> AccessPolicy(enabled=False).decide(False, None)
'open'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

__all__ = ["AccessPolicy", "Decision", "policy_from_env"]

Decision = Literal["open", "login", "allowed", "denied"]


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """Whether a login is required, and which users (e-mail addresses) are allowed."""

    enabled: bool = False
    allowed: tuple[str, ...] = ()

    def permits(self, email: str | None) -> bool:
        if not email:
            return False
        address = email.strip().lower()
        for entry in self.allowed:
            wanted = entry.strip().lower()
            if wanted.startswith("*@"):
                if address.endswith(wanted[1:]):
                    return True
            elif wanted and address == wanted:
                return True
        return False

    def decide(self, logged_in: bool, email: str | None) -> Decision:
        """open: no login needed; login: show the login; allowed / denied: a logged-in user."""
        if not self.enabled:
            return "open"
        if not logged_in:
            return "login"
        return "allowed" if self.permits(email) else "denied"


def policy_from_env() -> AccessPolicy:
    """`SERVFLOW_DASHBOARD_AUTH=oidc` switches the login on; `SERVFLOW_DASHBOARD_USERS` lists who."""
    mode = os.environ.get("SERVFLOW_DASHBOARD_AUTH", "off").strip().lower()
    users = tuple(
        u.strip() for u in os.environ.get("SERVFLOW_DASHBOARD_USERS", "").split(",") if u.strip()
    )
    return AccessPolicy(enabled=mode in ("oidc", "on", "1", "true"), allowed=users)
