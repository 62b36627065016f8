"""Per-user reports for analysts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from ingest_api.deps import State, require_role
from ingest_api.reports.connection import Reader
from ingest_api.reports.exceptions import UnknownUser
from ingest_api.reports.models import UserSummary
from ingest_api.reports.summary import user_summary
from ingest_api.responses import AUTH_ERRORS, RETRY_AFTER, error

router = APIRouter(
    prefix="/v1/users",
    tags=["reports"],
    dependencies=[Depends(require_role("analyst", "admin"))],
    responses={
        **AUTH_ERRORS,
        503: error("ClickHouse did not answer; retry later.", RETRY_AFTER),
    },
)


@router.get(
    # ``path``: a user id may hold "/" (sent as %2F), which a plain parameter never matches.
    "/{user_id:path}/summary",
    response_model=UserSummary,
    summary="One user's activity, time per assignment and LLM usage",
    responses={404: error("No event of this user was accepted.")},
)
async def summary(
    client: Reader, state: State, user_id: Annotated[str, Path(min_length=1, max_length=128)]
) -> UserSummary:
    """Events, active UTC days, first and last event, time per assignment (gaps capped at
    300 s) and LLM calls, tokens and cost per model and in total. With pseudonymisation on,
    send the raw user id: it is looked up by its pseudonym, and the answer names the raw id."""
    try:
        found = await user_summary(client, state.pseudonymise(user_id))
    except UnknownUser:  # named by the id the analyst sent, never by its pseudonym
        raise UnknownUser(f"no events of user {user_id!r}: check the user id") from None
    return found.model_copy(update={"user_id": user_id})
