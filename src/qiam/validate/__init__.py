"""model.Policy → ValidationReport under a profile (semantics.md §1). Never raises.

A profile names the kind of policy (identity, resource, trust, SCP, ...) and
the rules that go with it. By default quotas are storage limits that only warn
(the decision is still given); ``storage=True`` checks a policy for storing,
where they are errors (semantics.md §1.8).

The package, by concern: ``profiles`` (Profile, PROFILES), ``report``
(ValidationReport), ``checker`` (one run: its findings and the reading of
elements), ``document`` (elements, Version, Statement, Sids, characters,
size), ``statement`` (Sid, Effect, Action, Principal), ``resources`` (ARNs),
``conditions``, ``values`` (variables and wildcards in texts), ``catalog``
(the action catalog's warnings) and ``shortcuts`` (what the checks would not
remark on, at a glance). What each finding says is in ``qiam.findings``.
This module holds the ways in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qiam._source import Source
from qiam.model import VERSION_2008, VERSION_2012, Policy
from qiam.validate.catalog import _CatalogChecks as _CatalogChecks
from qiam.validate.catalog import check_with_catalog
from qiam.validate.checker import _Checker as _Checker
from qiam.validate.conditions import check_condition
from qiam.validate.document import size_finding
from qiam.validate.profiles import PROFILES, Profile, get_profile
from qiam.validate.report import ValidationReport
from qiam.validate.resources import (
    EXAMPLE_ACCOUNTS,
    IAM_RESOURCE_TYPES,
    PARTITIONS,
    PLACEHOLDER_REGIONS,
    check_resources,
)
from qiam.validate.shortcuts import _PLAIN_ACTIONS as _PLAIN_ACTIONS
from qiam.validate.shortcuts import _PLAIN_ARNS as _PLAIN_ARNS
from qiam.validate.shortcuts import _all_plain as _all_plain
from qiam.validate.shortcuts import _plain_outline, plain_condition_key
from qiam.validate.statement import PRINCIPAL_TYPES, check_actions

# The private names imported `as` themselves are read here by the tests; the checks read _all_plain
# here too (_Checker.plain), so that a test can switch that shortcut off.

if TYPE_CHECKING:  # the catalog is imported only when a check asks for it
    from qiam.catalog import Catalog

__all__ = ["EXAMPLE_ACCOUNTS", "IAM_RESOURCE_TYPES", "PARTITIONS", "PLACEHOLDER_REGIONS", "PRINCIPAL_TYPES",
           "PROFILES", "ElementVerdicts", "Profile", "ValidationReport", "get_profile", "plain_condition_key",
           "size_finding", "validate_outline", "validate_policy"]


def validate_policy(policy: Policy, profile: str | Profile = "identity", *, storage: bool = False,
                    catalog: Catalog | bool = False) -> ValidationReport:
    """Check a policy against the grammar and the rules of a profile.

    Parameters
    ----------
    policy : Policy
        From ``parse_policy``.
    profile : str or Profile
        One of ``PROFILES``: ``identity`` (an IAM managed or inline identity
        policy), ``iam-identity-managed``, ``iam-user-inline``,
        ``iam-group-inline``, ``iam-role-inline``, ``permissions-boundary``,
        ``session``, ``resource``, ``role-trust``, ``scp``, ``rcp``, ``vpce``.
    storage : bool
        Check for storing: size quotas and ``Allow`` with ``NotPrincipal``
        become errors instead of warnings.
    catalog : Catalog or bool
        Also check actions, condition keys and resources against AWS's action
        catalog (True: the installed one). Its findings are warnings only.

    Returns
    -------
    ValidationReport
        Never raises for any policy.

    Examples
    --------
    >>> from qiam import parse_policy
    >>> report = validate_policy(parse_policy(
    ...     '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Action": "s3:*", "Resource": "*"}]}'))
    >>> [(d.code, d.location.pointer) for d in report.errors]
    [('invalid-effect', '/Statement/0/Effect')]
    """
    checker = _Checker(policy, get_profile(profile), storage)
    checker.run(statements=True)
    if catalog is not False:
        from qiam.catalog import load_catalog

        check_with_catalog(checker, load_catalog() if catalog is True else catalog)
    return ValidationReport(tuple(checker.found), checker.profile.name)


def validate_outline(policy: Policy, profile: str | Profile = "identity", *, storage: bool = False
                     ) -> ValidationReport:
    """``validate_policy`` without looking inside the statements.

    For a policy whose statements a compiler has vouched for (``qiam._front``):
    ``Statement`` a non-empty list of objects or one object, their Sids unique,
    and nothing in any statement that validation would report. This checks the
    rest (the policy's elements, Version and Id, its characters and its size),
    and for such a policy gives the same report as ``validate_policy``.
    """
    prof = get_profile(profile)
    if _plain_outline(policy, prof):
        return ValidationReport((), prof.name)
    checker = _Checker(policy, prof, storage)
    checker.run(statements=False)
    return ValidationReport(tuple(checker.found), checker.profile.name)


class ElementVerdicts:
    """Whether validation would report anything about one element of a statement, judged alone.

    The compiler's statement loop (``qiam._front``) vouches for a statement
    from its outline and these verdicts on its Action (or NotAction), Resource
    (or NotResource) and Condition values. Not for RCPs, whose Action rules
    look at the whole statement.
    """

    __slots__ = ("_checker",)

    def __init__(self, profile: Profile, reads_variables: bool) -> None:
        version = VERSION_2012 if reads_variables else VERSION_2008
        self._checker = _Checker(Policy({"Version": version}, Source(None)), profile, False)

    def _reset(self) -> _Checker:
        self._checker.found.clear()
        return self._checker

    def actions(self, value: object) -> bool:
        """Whether an Action (or NotAction) value is clean."""
        checker = self._reset()
        check_actions(checker, {"Action": value}, (), None)
        return not checker.found

    def resources(self, value: object) -> bool:
        """Whether a Resource (or NotResource) value is clean."""
        checker = self._reset()
        check_resources(checker, {"Resource": value}, ())
        return not checker.found

    def condition(self, value: object) -> bool:
        """Whether a Condition block is clean."""
        checker = self._reset()
        check_condition(checker, value, ("Condition",))
        return not checker.found
