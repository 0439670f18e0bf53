"""The bundle rules without a database: cycles, what is ready to file, how status rolls up."""

from app.bundles import rules


def item(code, deps=(), fed_by=()):
    return {
        "matter_code": code,
        "depends_on": list(deps),
        "feeds": [{"material_key": "k", "from_matter": f} for f in fed_by],
    }


def test_cycles_are_found_through_dependencies_and_feeds():
    assert rules.dependency_cycle([item("A"), item("B", ["A"]), item("C", ["B"])]) is None
    assert rules.dependency_cycle([item("A", ["B"]), item("B", ["A"])]) == ["A", "B", "A"]
    cycle = rules.dependency_cycle([item("A", fed_by=["C"]), item("B", ["A"]), item("C", ["B"])])
    assert cycle is not None and cycle[0] == cycle[-1]


def test_children_are_filed_when_what_they_wait_for_completed():
    children = [
        {"matter_code": "A", "requires": [], "status": "completed"},
        {"matter_code": "B", "requires": ["A"], "status": rules.WAITING},
        {"matter_code": "C", "requires": ["B"], "status": rules.WAITING},
    ]
    assert rules.ready(children) == (["B"], [])
    children[0]["status"] = "rejected"
    # a failed item leaves everything behind it unfiled, through the whole chain
    assert rules.ready(children) == ([], ["B", "C"])


def test_status_rolls_up_only_when_every_child_is_terminal():
    assert rules.roll_up(["completed", "in_review"]) == rules.IN_PROGRESS
    assert rules.roll_up(["completed", rules.WAITING]) == rules.IN_PROGRESS
    assert rules.roll_up(["completed", "completed"]) == rules.COMPLETED
    assert rules.roll_up(["completed", rules.NOT_FILED]) == rules.PARTIALLY_COMPLETED
    assert rules.roll_up(["rejected", "withdrawn"]) == rules.REJECTED
