"""Read template.yaml the way CloudFormation would, resolving intrinsics to local names, ARNs and URLs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from samtranslator.yaml_helper import yaml_parse

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class LocalResource:
    """What a logical resource is called locally: its name, ARN and (queues) URL."""

    logical_id: str
    type: str
    name: str
    arn: str = ""
    url: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Template:
    """A parsed SAM template plus the local physical identity of each resource."""

    body: dict[str, Any]
    parameters: dict[str, str]
    resources: dict[str, LocalResource] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, overrides: Mapping[str, str] | None = None) -> Template:
        body = yaml_parse(path.read_text())
        params = {name: str(spec.get("Default", "")) for name, spec in body.get("Parameters", {}).items()}
        unknown = set(overrides or {}) - set(params)
        if unknown:
            raise ValueError(f"unknown template parameters: {', '.join(sorted(unknown))}")
        params.update(overrides or {})
        template = cls(body, params)
        broken = template.broken_rules()
        if broken:
            raise ValueError(f"template rule {broken[0]}")  # CloudFormation refuses such a stack before creating it
        return template

    def broken_rules(self) -> list[str]:
        """Each ``Rules`` assertion these parameters break, as ``<rule>: <AssertDescription>`` (CloudFormation
        checks them before it creates or changes anything)."""
        broken = []
        for name, rule in self.body.get("Rules", {}).items():
            if "RuleCondition" in rule and not self.resolve(rule["RuleCondition"]):
                continue
            broken += [f"{name}: {' '.join(str(a.get('AssertDescription', '')).split())}"
                       for a in rule.get("Assertions", []) if not self.resolve(a["Assert"])]
        return broken

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.body["Resources"].items() if v["Type"] == resource_type}

    def properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.body["Resources"][logical_id].get("Properties", {}))

    # --- intrinsic functions, resolved against local resources ---------------------------------

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.body["Conditions"][name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        (key, arg), = value.items()
        if key == "Ref":
            return self._ref(arg)
        if key == "Fn::GetAtt":
            logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            return self._get_att(logical_id, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = (self.resolve(a) for a in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self.resolve(arg[0])
        if key == "Fn::Contains":  # Rules only: is the string in the list
            options, item = arg
            return str(self.resolve(item)) in [str(self.resolve(o)) for o in options]
        if key == "Fn::Join":
            sep, items = arg
            return sep.join(str(self.resolve(i)) for i in items)
        if key == "Condition":
            return self.condition(arg)
        return {key: self.resolve(arg)}

    _PSEUDO: ClassVar[dict[str, str]] = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws",
               "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "moodline-local"}

    def _ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if name in self._PSEUDO:
            return self._PSEUDO[name]
        resource = self.resources.get(name)
        if resource is None:
            raise KeyError(f"!Ref {name}: resource not created locally")
        if resource.type == "AWS::SQS::Queue":
            return resource.url
        if resource.type in {"AWS::SNS::Topic", "AWS::SecretsManager::Secret"}:
            return resource.arn
        return resource.name

    def _get_att(self, logical_id: str, attribute: str) -> str:
        resource = self.resources[logical_id]
        if attribute == "Arn":
            return resource.arn
        if attribute in resource.attributes:
            return resource.attributes[attribute]
        raise KeyError(f"!GetAtt {logical_id}.{attribute} is not known locally")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    # --- functions -----------------------------------------------------------------------------

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """Globals' variables, then the function's own, resolved: exactly what Lambda would set."""
        globals_env = self.body.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        own = self.properties(logical_id).get("Environment", {}).get("Variables", {})
        return {k: str(self.resolve(v)) for k, v in {**globals_env, **own}.items()}
