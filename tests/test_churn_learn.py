"""The tree's splits in words (server/churn/learn.py): a whole number's two sides never
overlap, wherever the tree put its threshold."""

import pytest

from server.churn.learn import Column, _condition


@pytest.mark.parametrize(
    ("threshold", "left", "right"),
    [
        (2.5, ("le", 2.0), ("ge", 3.0)),
        (1.0, ("le", 1.0), ("ge", 2.0)),
        (0.5, ("le", 0.0), ("ge", 1.0)),
    ],
)
def test_a_whole_numbers_split_reads_as_two_sides_that_do_not_overlap(threshold, left, right):
    column = Column("number", "complaints_unresolved", whole=True)
    _, went_left = _condition(column, True, threshold)
    _, went_right = _condition(column, False, threshold)
    assert (went_left["op"], went_left["value"]) == left
    assert (went_right["op"], went_right["value"]) == right
