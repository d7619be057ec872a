"""Just enough IAM policy evaluation to refuse what AWS would refuse, for the few calls the harness stands in for.

AWS IAM cannot run here and moto does not evaluate policies, so the ECS stand-in asks this module before it acts on
a call: RunTask (and the tag-on-create that the EcsRunLauncher's tags require), iam:PassRole of the task's roles,
the execution role reading each secret, the COPY role reading the exports. It reads the roles' policies as
Terraform left them on the moto server. Semantics kept from IAM: an explicit Deny wins; a statement applies when
action, resource and every condition match; a condition on a key the request does not carry is false (unless the
operator ends in IfExists). Operators: String/Arn Equals/Like (and their Not forms), Bool. Anything else is
treated as not matching, so an unknown policy shape is refused, not waved through.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, str | list[str]]

    def describe(self) -> str:
        keys = f" with {self.context}" if self.context else ""
        return f"{self.action} on {self.resource}{keys}"


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _wild(pattern: str, value: str, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if key not in context:
        return if_exists
    actual = _as_list(context[key])
    wanted = [str(v) for v in _as_list(expected)]
    negated = base.startswith(("StringNot", "ArnNot"))
    base = base.replace("Not", "", 1) if negated else base
    if base in ("StringEquals", "ArnEquals"):
        hit = any(a == w for a in actual for w in wanted)
    elif base in ("StringLike", "ArnLike"):
        hit = any(_wild(w, a) for a in actual for w in wanted)
    elif base == "Bool":
        hit = any(str(a).lower() == w.lower() for a in actual for w in wanted)
    else:
        return False
    return not hit if negated else hit


def _statement_applies(statement: dict[str, Any], request: Request) -> bool:
    if not any(_wild(a, request.action, case=False) for a in _as_list(statement.get("Action", []))):
        return False
    if not any(_wild(r, request.resource) for r in _as_list(statement.get("Resource", []))):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        for key, expected in tests.items():
            if not _condition_holds(operator, key, expected, request.context):
                return False
    return True


def allowed(policies: list[dict[str, Any]], request: Request) -> bool:
    statements = [s for p in policies for s in _as_list(p.get("Statement", []))]
    if any(s.get("Effect") == "Deny" and _statement_applies(s, request) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and _statement_applies(s, request) for s in statements)


def role_policies(iam_client, role_name: str) -> list[dict[str, Any]]:
    """The role's inline and attached customer policies, as documents (moto returns them as JSON or URL-encoded)."""
    documents = []
    for name in iam_client.list_role_policies(RoleName=role_name)["PolicyNames"]:
        documents.append(iam_client.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
    for attached in iam_client.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        if ":aws:policy/" in attached["PolicyArn"]:
            continue  # AWS-managed policies are not in moto; none of the calls checked here rely on one
        policy = iam_client.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam_client.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
        documents.append(version["PolicyVersion"]["Document"])
    return [json.loads(unquote(d)) if isinstance(d, str) else d for d in documents]


class AccessDenied(Exception):
    """What AWS answers: the caller's role may not make this request."""

    def __init__(self, role: str, request: Request):
        super().__init__(f"User: {role} is not authorized to perform: {request.describe()}")
        self.role, self.request = role, request


def require(iam_client, role_arn: str, *requests: Request) -> None:
    """Raise AccessDenied for the first request the role's policies do not allow."""
    policies = role_policies(iam_client, role_arn.rsplit("/", 1)[-1])
    for request in requests:
        if not allowed(policies, request):
            raise AccessDenied(role_arn, request)
