"""The phone's field limits (webclient/src/limits.ts) are the server's schemas' own.

Each limit there names the schema field it copies; a limit changed on one side only
would let the phone accept text the server refuses, or refuse text it would take.
"""

import importlib
import re
from pathlib import Path

import pytest
from marshmallow import validate

LIMITS_TS = Path(__file__).parent.parent / "webclient/src/limits.ts"
LINE = re.compile(r"^\s+(\w+): (\d+), // (\w+)\.(\w+)\.(\w+)$", re.MULTILINE)


def _limits() -> list[tuple[str, int, str, str, str]]:
    found = [(n, int(v), m, s, f) for n, v, m, s, f in LINE.findall(LIMITS_TS.read_text())]
    body = LIMITS_TS.read_text().split("export const LIMITS = {")[1].split("} as const")[0]
    entries = [line for line in body.splitlines() if line.strip()]
    # Every entry is in the checked shape: none escapes the comparison below.
    assert len(found) == len(entries), entries
    return found


def _server_max(module: str, schema: str, field: str) -> int:
    cls = getattr(importlib.import_module(f"server.{module}.schemas"), schema)
    lengths = [v for v in cls().fields[field].validators if isinstance(v, validate.Length)]
    assert len(lengths) == 1 and lengths[0].max is not None, (schema, field)
    return lengths[0].max


@pytest.mark.parametrize(("name", "limit", "module", "schema", "field"), _limits())
def test_the_phone_limit_is_the_server_schema_limit(name, limit, module, schema, field):
    assert limit == _server_max(module, schema, field), name


def test_the_limits_file_covers_the_fields_the_issue_named():
    names = {name for name, *_ in _limits()}
    assert {"visitOutcome", "visitNotes", "complaintNote", "taskNotes"} <= names


def test_the_server_refuses_text_over_the_limit_and_keeps_none_of_it(client, auth, team_setup):
    """What the phone counts against is what the server enforces: a 422 on the field,
    nothing saved, nothing cut (one character over, counted as characters)."""
    auth.login(team_setup["mgr_a1"].username)
    over = {"title": "Call", "notes": "长" * 4001}
    response = client.post("/api/v1/tasks", json=over)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["notes"]
    at_limit = client.post("/api/v1/tasks", json={"title": "Call", "notes": "😀" * 4000})
    assert at_limit.status_code == 201, at_limit.json
    assert at_limit.json["notes"] == "😀" * 4000
    listed = client.get("/api/v1/tasks").json["items"]
    assert [task["notes"] for task in listed] == ["😀" * 4000]
