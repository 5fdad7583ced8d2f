"""The two shapes of a call into the core: an operation (writes, one transaction, a change set back)
and a query (reads). Each turns a service-style function of a session into a function of the
Workspace, so the window never opens a session or chains two of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from app.ops.changes import Outcome

if TYPE_CHECKING:
    from app.workspace import Workspace

P = ParamSpec("P")
T = TypeVar("T")


def operation(step: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Workspace, P], Outcome[T]]:
    """A user action: ``step`` runs in one transaction as the signed-in user, all or nothing, and its
    result comes back with the change set of everything it wrote."""

    @functools.wraps(step)
    def run(workspace: Workspace, /, *args: P.args, **kwargs: P.kwargs) -> Outcome[T]:
        with workspace.transaction() as transaction:
            value = step(transaction.session, *args, **kwargs)
        return Outcome(value, transaction.changes)

    return run


def query(read: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Workspace, P], T]:
    """A read in one short session as the signed-in user; it returns frozen records."""

    @functools.wraps(read)
    def run(workspace: Workspace, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with workspace.reading() as session:
            return read(session, *args, **kwargs)

    return run
