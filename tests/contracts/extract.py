#!/usr/bin/env python3
"""Cut the vendors' OpenAPI documents down to the endpoints the sandbox fakes serve.

    python3 tests/contracts/extract.py ../shared/api-specs

writes pagerduty.json and slack.json here: each endpoint's success-response
schema plus every definition it references, so the contract tests need
neither the full documents (3.7 MB) nor network access.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ENDPOINTS = {
    "pagerduty": ("pagerduty-rest-v2.openapi.json", "#/components/schemas/",
                  [("get", "/schedules/{id}"), ("get", "/users/{id}"), ("get", "/users"), ("get", "/schedules"),
                   ("get", "/v3/schedules/{id}")]),
    "slack": ("slack-web.openapi.json", "#/definitions/",
              [("get", "/conversations.history"), ("get", "/conversations.info"), ("get", "/conversations.replies"),
               ("post", "/chat.postMessage"), ("post", "/chat.update"), ("post", "/conversations.setTopic"),
               ("post", "/conversations.open"), ("get", "/users.lookupByEmail"), ("get", "/auth.test"),
               ("get", "/users.info"), ("get", "/chat.getPermalink")]),
}


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.add(node["$ref"])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def success_schema(operation: dict[str, Any]) -> dict[str, Any]:
    response = operation["responses"]["200"]
    if "content" in response:  # OpenAPI 3
        return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]
    return response["schema"]  # type: ignore[no-any-return]


def main(source: Path) -> None:
    for name, (filename, prefix, endpoints) in ENDPOINTS.items():
        spec = json.loads((source / filename).read_text())
        table = spec["components"]["schemas"] if prefix.startswith("#/components") else spec["definitions"]
        responses = {f"{m.upper()} {p}": success_schema(spec["paths"][p][m]) for m, p in endpoints}
        keep: dict[str, Any] = {}
        pending = refs(responses)
        while pending:
            ref = pending.pop()
            key = ref.removeprefix(prefix).split("/")[0]
            if key not in keep:
                keep[key] = table[key]
                pending |= refs(table[key])
        out = {"source": filename, "responses": responses}
        if prefix.startswith("#/components"):
            out["components"] = {"schemas": dict(sorted(keep.items()))}
        else:
            out["definitions"] = dict(sorted(keep.items()))
        (HERE / f"{name}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
        print(f"{name}.json: {len(responses)} endpoints, {len(keep)} definitions")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/api-specs"))
