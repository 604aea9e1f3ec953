"""AWS IAM over the Query protocol, checked against the service model botocore ships (AWS's own description).

A request must name an IAM operation (`Action`), the API version, and only the
operation's input members. An answer must be `<ActionResponse>` holding
`<ActionResult>` (the model's result wrapper) whose elements are the output
shape's members, enum values included (a report's State is STARTED,
INPROGRESS or COMPLETE). An error must be one the operation declares, with the
declared HTTP status, or one of AWS's common errors.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, StructureShape

from oncall_lib.sandbox.http import Exchange

# AWS's common errors for every Query API action ("Common Errors" in the IAM API reference), with their status.
COMMON_ERRORS = {"AccessDenied": 403, "AccessDeniedException": 400, "IncompleteSignature": 400,
                 "InternalFailure": 500, "InvalidAction": 400, "InvalidClientTokenId": 403,
                 "MissingAuthenticationToken": 403, "ServiceUnavailable": 503, "Throttling": 400,
                 "ThrottlingException": 400, "ValidationError": 400, "RequestExpired": 400}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class IamContract:
    def __init__(self) -> None:
        self.model: ServiceModel = botocore.session.get_session().get_service_model("iam")
        self.source = f"botocore {botocore.__version__}, data/iam/{self.model.api_version}/service-2.json"
        self.seen: set[str] = set()

    def problems(self, exchange: Exchange) -> list[str]:
        args = exchange.request.form() if exchange.request.body else {k: v[-1] for k, v in
                                                                       exchange.request.query.items()}
        action = args.pop("Action", "")
        if action not in self.model.operation_names:
            return [f"IAM has no operation {action!r}"]
        self.seen.add(action)
        operation = self.model.operation_model(action)
        problems = []
        if args.pop("Version", None) != self.model.api_version:
            problems.append(f"{action}: Version must be {self.model.api_version}")
        members = operation.input_shape.members if operation.input_shape else {}
        problems += [f"{action}: {name} is not an input of the operation" for name in args
                     if name.split(".")[0] not in members]
        return problems + [f"{action} -> {exchange.response.status}: {p}"
                           for p in self.response_problems(operation, exchange)]

    def response_problems(self, operation: OperationModel, exchange: Exchange) -> list[str]:
        try:
            root = ET.fromstring(exchange.response.raw or b"")
        except ET.ParseError as error:
            return [f"not XML: {error}"]
        if exchange.response.status >= 300:
            return self._error_problems(operation, exchange.response.status, root)
        problems = []
        if _local(root.tag) != f"{operation.name}Response":
            problems.append(f"the root element is <{_local(root.tag)}>, not <{operation.name}Response>")
        wrapper = operation.output_shape.serialization.get("resultWrapper") if operation.output_shape else None
        result = next((child for child in root if _local(child.tag) == wrapper), None)
        if wrapper and result is None:
            return [*problems, f"no <{wrapper}> element"]
        if result is not None and operation.output_shape is not None:
            problems += _structure_problems(operation.output_shape, result)
        return problems

    def _error_problems(self, operation: OperationModel, status: int, root: ET.Element) -> list[str]:
        code = next((e.text for e in root.iter() if _local(e.tag) == "Code"), None)
        if _local(root.tag) != "ErrorResponse" or code is None:
            return ["an error must be <ErrorResponse><Error><Code>"]
        declared = {shape.metadata["error"]["code"]: shape.metadata["error"].get("httpStatusCode")
                    for shape in operation.error_shapes if "error" in shape.metadata}
        expected = declared.get(code, COMMON_ERRORS.get(code))
        if expected is None:
            return [f"{code} is neither an error of {operation.name} nor a common AWS error"]
        return [] if expected == status else [f"{code} comes with HTTP {expected}, not {status}"]


def _structure_problems(shape: StructureShape, element: ET.Element) -> list[str]:
    problems: list[str] = []
    present: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        member = shape.members.get(name)
        if member is None:
            problems.append(f"<{name}> is not a member of {shape.name}")
            continue
        present[name] = child.text
        enum = member.metadata.get("enum") if hasattr(member, "metadata") else None
        enum = enum or getattr(member, "enum", None)
        if enum and child.text not in enum:
            problems.append(f"{name}={child.text!r} is not one of {enum}")
    problems += [f"required <{name}> is missing" for name in shape.required_members if name not in present]
    return problems
