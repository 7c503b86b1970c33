"""The validation profiles: the kinds of policy (identity, resource, trust, SCP, ...) and their rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    """The rules for one kind of policy."""

    name: str
    kind: str  # identity, boundary, session, resource, role-trust, scp, rcp, vpce
    principal: bool  # True: Principal or NotPrincipal required; False: forbidden
    resource: str  # "required" or "forbidden"
    version_required: bool  # Version must be 2012-10-17 (else only a warning when missing)
    iam_document: bool  # IAM's Sid and character-set rules
    quota: int | None = None
    quota_counts_whitespace: bool = False

    @property
    def identity_like(self) -> bool:
        """Whether this is an identity-based kind (identity, boundary, session)."""
        return self.kind in ("identity", "boundary", "session")


def _profiles() -> dict[str, Profile]:
    managed = Profile("identity", "identity", False, "required", True, True, 6_144)
    table = {
        "identity": managed,
        "iam-identity-managed": Profile("iam-identity-managed", "identity", False, "required", True, True, 6_144),
        "iam-user-inline": Profile("iam-user-inline", "identity", False, "required", False, True, 2_048),
        "iam-group-inline": Profile("iam-group-inline", "identity", False, "required", False, True, 5_120),
        "iam-role-inline": Profile("iam-role-inline", "identity", False, "required", False, True, 10_240),
        "permissions-boundary": Profile("permissions-boundary", "boundary", False, "required", True, True, 6_144),
        "session": Profile("session", "session", False, "required", False, True, 2_048),
        "resource": Profile("resource", "resource", True, "required", False, False),
        "role-trust": Profile("role-trust", "role-trust", True, "forbidden", False, True, 2_048),
        "scp": Profile("scp", "scp", False, "required", False, False, 5_120, True),
        "rcp": Profile("rcp", "rcp", True, "required", True, False, 5_120, True),
        "vpce": Profile("vpce", "vpce", True, "required", False, False, 20_480),
    }
    table["iam-identity-inline"] = table["iam-role-inline"]
    return table


PROFILES: dict[str, Profile] = _profiles()


def get_profile(profile: str | Profile) -> Profile:
    """The profile of that name; ValueError listing the names if there is none."""
    if isinstance(profile, Profile):
        return profile
    found = PROFILES.get(profile)
    if found is None:
        raise ValueError(f"unknown profile `{profile}`; profiles: {', '.join(sorted(PROFILES))}")
    return found
