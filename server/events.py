"""Domain events: how one domain's change reaches the domains that react to it.

The domain that owns a change announces it; every domain with something to do about
it subscribes in its own `services.py` and acts through its own rules, inside the
same unit of work (blinker calls receivers synchronously, so a receiver's failure
rolls the whole change back). The announcing domain knows nothing of its
subscribers, so dependencies point one way only (see the import-linter contracts in
pyproject.toml). Subscribers are listed in docs/overview.md.

(Indico's `indico/core/signals/` is the model.)
"""

from blinker import Namespace

_signals = Namespace()

customer_reassigned = _signals.signal(
    "customer-reassigned",
    doc="""A customer changed manager (customers.services.assign).

    sender: the Customer, already carrying its new manager_id.
    previous_manager_id: the manager it had, or None (it came from the pool).
    new_manager_id: the manager it has now, or None (back to the pool).
    at: when (the assignment history row's time).
    """,
)

customer_churned = _signals.signal(
    "customer-churned",
    doc="""A churn warning was resolved as churned: the customer has left.

    sender: the Customer (its stage already churned).
    warning: the ChurnWarning, with exit_reason set.
    actor: who recorded it.
    at: when.
    """,
)

customer_erased = _signals.signal(
    "customer-erased",
    doc="""A customer's personal data was erased (customers.personal_data.erase_customer).

    sender: the Customer, its personal fields already cleared.
    at: when.
    Each domain clears the free text it keeps about the customer (visit notes,
    complaint descriptions...) and keeps what the statistics count.
    """,
)
