"""A recall's dealings with authorities: reports sent, public warnings published, deadlines
set by an authority's order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter, PathParameter

from recall import recalls
from recall.actors import Actor
from recall.recalls import SubmissionKind
from recall.regulatory import SubmissionChannel
from web.api.recalls import INVALID, NOT_FOUND, RecallApprove, RecallId, RecallRead, recall_read
from web.api.schemas import ErrorRead, Page, command
from web.security import QA_MANAGER_ONLY, QA_STAFF, QUALITY_READ

DeadlineKey = Annotated[str, PathParameter(description="The deadline's key, e.g. initial_report")]
NOT_PROPOSED = {
    409: ResponseSpec(ErrorRead, description="The recall is only proposed: nothing was sent yet")
}
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]


class SubmissionCreate(msgspec.Struct):
    kind: SubmissionKind
    # The authority's name or its profile key, in any case ("BPOM" = "bpom").
    authority: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["BPOM"])]
    submitted_at: AwareTime
    channel: SubmissionChannel
    reference: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    addressees: Annotated[
        tuple[Annotated[str, msgspec.Meta(min_length=1, max_length=200)], ...],
        msgspec.Meta(max_length=50),
    ] = ()


class PublicWarningCreate(msgspec.Struct):
    published_on: date
    channel: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    url: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


class DeadlineOverride(RecallApprove):
    due_at: AwareTime
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class AuthorityController(Controller):
    path = "/api/recalls/{recall_id:int}"
    tags = ["authorities"]

    @post(
        "/submissions",
        operation_id="RecordSubmission",
        guards=[QA_STAFF],
        description=(
            "Record a report or request sent to one of the recall's authorities. A submission "
            "meets the deadline its profile says its kind meets (initial_report meets "
            "initial_report); `meets`, `late` and `days_late` say which and how."
        ),
        responses={**NOT_FOUND, **INVALID, **NOT_PROPOSED},
    )
    async def record_submission(
        self,
        recall_id: RecallId,
        data: JSONBody[SubmissionCreate],
        request: Request[Actor, Any, Any],
    ) -> recalls.Submission:
        record = command(recalls.SubmissionRecord, data)
        return await recalls.record_submission(request.user, recall_id, record)

    @get(
        "/submissions",
        operation_id="ListSubmissions",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
    )
    async def list_submissions(self, recall_id: RecallId) -> Page[recalls.Submission]:
        items = await recalls.list_submissions(recall_id)
        return Page(items=items, total=len(items))

    @post(
        "/public-warnings",
        operation_id="RecordPublicWarning",
        guards=[QA_STAFF],
        description="Record a public warning published about the recall (http(s) url only).",
        responses={**NOT_FOUND, **INVALID, **NOT_PROPOSED},
    )
    async def record_public_warning(
        self,
        recall_id: RecallId,
        data: JSONBody[PublicWarningCreate],
        request: Request[Actor, Any, Any],
    ) -> recalls.PublicWarning:
        record = command(recalls.PublicWarningRecord, data)
        return await recalls.record_public_warning(request.user, recall_id, record)

    @post(
        "/deadlines/{key:str}/override",
        operation_id="OverrideDeadline",
        guards=[QA_MANAGER_ONLY],
        status_code=200,
        description=(
            "Set a deadline's due time (an authority's order may set its own dates), with the "
            "reason and an electronic signature. `profile` is needed only when several of the "
            "recall's profiles have the deadline."
        ),
        responses={
            **NOT_FOUND,
            **INVALID,
            401: ResponseSpec(ErrorRead, description="Wrong password; nothing changed"),
            409: ResponseSpec(ErrorRead, description="The recall is closed"),
            429: ResponseSpec(ErrorRead, description="Signing locked after wrong passwords"),
        },
    )
    async def override_deadline(
        self,
        recall_id: RecallId,
        key: DeadlineKey,
        data: JSONBody[DeadlineOverride],
        request: Request[Actor, Any, Any],
        profile: Annotated[
            str | None,
            Parameter(description="The profile whose deadline it is", max_length=20),
        ] = None,
    ) -> RecallRead:
        recall = await recalls.override_deadline(
            request.user,
            recall_id,
            key,
            profile,
            data.due_at,
            data.reason,
            data.password,
            data.meaning,
        )
        return recall_read(recall)
