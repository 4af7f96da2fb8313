"""The shape of server/: imports at the top only, and who reacts to the domain events.

Which module may import which is checked by import-linter (`lint-imports`, run by
./dev test, contracts in pyproject.toml); these tests cover what it cannot see.
"""

import ast
from pathlib import Path

from server import events

SERVER = Path(__file__).resolve().parent.parent / "server"


def test_no_module_imports_inside_a_function():
    """An import hidden in a function is how a cycle hides from the contracts."""
    hidden = []
    for path in sorted(SERVER.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        hidden.append(f"{path.relative_to(SERVER.parent)}:{inner.lineno}")
    assert hidden == []


def _receivers(signal) -> set[str]:
    return {
        f"{receiver.__module__}.{receiver.__name__}"
        for receiver in (ref() for ref in signal.receivers.values())
        if receiver is not None
    }


def test_open_work_follows_a_reassigned_customer_through_each_domain(app):
    assert _receivers(events.customer_reassigned) == {
        "server.plans.services._follow_the_customer",
        "server.tasks.services._follow_the_customer",
        "server.complaints.services._follow_the_customer",
    }


def test_a_churned_customer_gets_a_win_back_plan_from_the_plans_domain(app):
    assert _receivers(events.customer_churned) == {"server.plans.services.plan_win_back"}
