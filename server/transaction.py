"""The unit of work: one transaction per request, per CLI command and per job.

Services change rows and flush; they never commit. The request is committed once,
here, after its view returned, and rolled back on any error, before the error
becomes a response (Indico's `RH.process` is the model). A CLI command is wrapped
the same way by `UnitOfWorkGroup`. Reads commit too: loading the signed-in user
slides the device session's expiry, and that must persist.

Long work is the exception: it commits a chunk at a time through `Checkpoints`
(a job's progress, or `CommitEachChunk` for a command or an import request), since
one long write transaction would hold back every phone's sync.

Some bookkeeping must survive a failed request (the sliding expiry again: a user
whose every request is refused is still active). `keep_on_failure` registers it;
after the rollback it is re-applied and committed on its own.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, Protocol, TypeVar

import click
from flask import Flask, current_app, g, has_app_context, request
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError

from server.errors import ApiError, validation_fields
from server.extensions import begin_as_writer, db, is_sqlite_busy

_KEEP = "_fieldbook_keep_on_failure"
_RETRIED = "_fieldbook_retried_as_writer"
_ON_COMMIT = "_fieldbook_on_commit"


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll it all back if it raises (anything)."""
    try:
        yield
        commit()
    except BaseException:
        _roll_back()
        raise


def commit() -> None:
    """Commit the unit of work, then run what waited for it (`on_commit`)."""
    db.session.commit()
    waiting: list[Callable[[], None]] = g.pop(_ON_COMMIT, []) if has_app_context() else []
    for after in waiting:
        after()


def on_commit(after: Callable[[], None]) -> None:
    """Run `after` once this unit of work has committed (never if it rolls back).

    A job is queued this way: a worker must not look for a row not yet committed.
    """
    g.setdefault(_ON_COMMIT, []).append(after)


def keep_on_failure(reapply: Callable[[], None]) -> None:
    """Run `reapply` in a fresh transaction if this unit of work is rolled back."""
    if has_app_context():
        g.setdefault(_KEEP, []).append(reapply)


def _roll_back() -> None:
    db.session.rollback()
    if has_app_context():
        g.pop(_ON_COMMIT, None)
    kept: list[Callable[[], None]] = g.pop(_KEEP, []) if has_app_context() else []
    if not kept:
        return
    try:
        for reapply in kept:
            reapply()
        db.session.commit()
    except (OperationalError, InterfaceError):
        # The database is unreachable: the error being handled says so (a 503); raising
        # this one instead would turn that answer into a 500. The bookkeeping is lost.
        db.session.rollback()
        current_app.logger.warning("Could not keep a failed request's bookkeeping", exc_info=True)
    except Exception:
        db.session.rollback()
        raise


T = TypeVar("T")


class Checkpoints(Protocol):
    """Where long work reports a chunk done; each checkpoint commits the work so far.

    A job's `Progress` (server/jobs/services.py) also records how far it got; a CLI
    command passes `CommitEachChunk`. Long work takes either, so a job and its
    command run the same chunked code.
    """

    def checkpoint(self, percent: int, stage: str | None = None) -> None: ...


def in_chunks(
    items: Sequence[T], size: int, progress: Checkpoints | None, stage: str | None = None
) -> Iterator[list[T]]:
    """`items`, `size` at a time; once the caller has done each chunk's work (when it
    asks for the next), a checkpoint with the share done, which commits it."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
        if progress is not None:
            progress.checkpoint(100 * min(start + size, len(items)) // len(items), stage)


class CommitEachChunk:
    """`Checkpoints` with no job row to update: commit the chunk done, nothing else.

    For long work run by a CLI command or an import request: one long write
    transaction would hold back every phone's sync watermark (docs/sync.md). The
    command's (or request's) own unit of work commits whatever follows the last
    chunk, or rolls back only that.
    """

    def checkpoint(self, percent: int, stage: str | None = None) -> None:
        commit()


class Fieldbook(Flask):
    """Flask, with the request as the unit of work."""

    def dispatch_request(self) -> Any:
        rv = super().dispatch_request()
        # A failing commit raises here and is answered like any error of the view.
        commit()
        return rv

    def handle_user_exception(self, e: Exception) -> Any:
        # Every error of a before_request hook, the view or its commit comes here
        # first: nothing of the failed work is kept, whatever the answer will be.
        _roll_back()
        if request.method in ("GET", "HEAD") and is_sqlite_busy(e) and not g.get(_RETRIED):
            # A read that also writes (a pull registering its device, a session's
            # slide) began as a SQLite reader and could not become a writer once
            # another request had committed. It changed nothing: run it again, this
            # time holding the write lock from its start (server/extensions.py).
            setattr(g, _RETRIED, True)
            begin_as_writer()
            try:
                rv = self.preprocess_request()
                return rv if rv is not None else self.dispatch_request()
            except Exception as again:
                _roll_back()
                return super().handle_user_exception(again)
        return super().handle_user_exception(e)


def transactional(command: Callable) -> Callable:
    """A CLI command as one unit of work; a refusal ends it as a one-line message (exit 1)."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with unit_of_work():
                return command(*args, **kwargs)
        except ApiError as err:
            raise click.ClickException(err.message) from None
        except ValidationError as err:
            fields = validation_fields(err)
            parts = [f"{name}: {' '.join(map(str, msgs))}" for name, msgs in sorted(fields.items())]
            raise click.ClickException("; ".join(parts)) from None

    return wrapper


class UnitOfWorkGroup(AppGroup):
    """A CLI group whose every command runs in the app context as one unit of work."""

    def command(self, *args, **kwargs):
        def decorator(f):
            return AppGroup.command(self, *args, **kwargs)(transactional(f))

        return decorator
