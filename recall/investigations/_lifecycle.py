"""Investigation use cases that change one: open, findings, CAPA and conclusion."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from recall import alerts, audit, auth, clock, complaints, db
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from recall.investigations._models import (
    CONCLUSION_MAX,
    DESCRIPTION_MAX,
    EVIDENCE_MAX,
    FINDINGS_MAX,
    MAX_AFFECTED_BATCHES,
    MAX_COMPLAINTS,
    MEANING_MAX,
    NOTE_MAX,
    OWNER_MAX,
    PASSWORD_MAX,
    REFERENCES,
    ROOT_CAUSE_MAX,
    TITLE_MAX,
    Capa,
    CapaKind,
    CapaPlan,
    CapaStatus,
    ContainmentAction,
    Investigation,
    InvestigationChange,
    InvestigationStatus,
    Risk,
    RootCauseCategory,
    Unchanged,
    assess_risk,
    capa_transition,
    check_concludable,
    check_containment,
    check_due_on,
    check_editable,
    check_effectiveness_check_due_on,
    check_reopenable,
    investigation_transition,
)
from recall.investigations._service import (
    _capa_row,
    _investigation_row,
    containment_of,
    get_capa,
    get_investigation,
)
from recall.rules import check_ids, choice, required_text, text

# Opening --------------------------------------------------------------------------------


async def open_investigation(actor: Actor, title: str, complaint_ids: list[int]) -> Investigation:
    """Open an investigation over triaged complaints; their status becomes under_investigation."""
    checked_title = text(title, "title", TITLE_MAX, one_line=True)
    ids = check_ids(complaint_ids, "complaint_ids", at_least=1, at_most=MAX_COMPLAINTS)
    opened_at = clock.now()
    async with db.transaction():
        reference = await db.next_reference(REFERENCES, opened_at)
        row = {
            "reference": reference,
            "title": checked_title,
            "status": InvestigationStatus.OPEN.value,
            "created_at": opened_at,
            "created_by": actor.id,
            "concluded_by": 0,  # the column's default, kept for stored rows to read alike
            "version": 1,
        }
        investigation_id = await db.insert("investigation", row)
        try:
            await complaints.attach_to_investigation(actor, ids, investigation_id)
        except complaints.AlreadyInvestigated as exc:
            other = await _reference_of(exc.investigation_id)
            raise Conflict(
                f"complaint {exc.complaint_reference} already belongs to investigation {other}"
            ) from None
        new = {
            "reference": reference,
            "title": checked_title,
            "status": InvestigationStatus.OPEN.value,
            "complaint_ids": ids,
        }
        await audit.record(
            actor, audit.Change("investigation", investigation_id, "opened", new=new)
        )
    return await get_investigation(investigation_id)


async def _reference_of(investigation_id: int) -> str:
    rows = await db.fetch("SELECT reference FROM investigation WHERE id = {}", investigation_id)
    return str(rows[0]["reference"]) if rows else str(investigation_id)


# Complaints of an investigation ---------------------------------------------------------


async def _concluded(investigation_id: int) -> bool:
    rows = await db.fetch("SELECT status FROM investigation WHERE id = {}", investigation_id)
    return bool(rows) and rows[0]["status"] == InvestigationStatus.CONCLUDED


async def close_complaint(actor: Actor, complaint_id: int, resolution: str) -> complaints.Complaint:
    """Close a triaged complaint not under investigation, or one whose investigation concluded."""
    return await complaints.close_complaint(actor, complaint_id, resolution, _concluded)


async def complaint_closable(complaint: complaints.Complaint) -> bool:
    """Whether close_complaint would close it now."""
    concluded = complaint.investigation_id is not None and await _concluded(
        complaint.investigation_id
    )
    try:
        complaints.check_closable(complaint.status, complaint.investigate, concluded)
    except Conflict:
        return False
    return True


async def _update_at_version(
    table: str, row_id: int, version: int, changes: dict[str, Any], *, named: str
) -> None:
    """Set the row's columns to `changes` if it is still at `version`; Conflict naming the
    record `named` when another change came first."""
    assignments = [f"{column} = {{}}" for column in changes] + ["version = version + 1"]
    updated = await db.fetch(
        f"UPDATE {table} SET {', '.join(assignments)} WHERE id = {{}} AND version = {{}} "
        "RETURNING id",
        *changes.values(),
        row_id,
        version,
    )
    if not updated:
        raise Conflict(f"the {named} changed meanwhile; reload and try again")


# Findings -------------------------------------------------------------------------------


async def _existing_batches(batch_ids: list[int]) -> None:
    if not batch_ids:
        return
    rows = await db.fetch_in("SELECT id FROM batch WHERE id IN (*)", batch_ids)
    known = {row["id"] for row in rows}
    missing = [str(batch_id) for batch_id in batch_ids if batch_id not in known]
    if missing:
        raise InvalidInput("affected_batch_ids", f"no batch with id {', '.join(missing)}")


async def update_investigation(
    actor: Actor, investigation_id: int, change: InvestigationChange
) -> Investigation:
    """Change the given fields only; None clears a text field. Conflict once concluded.

    `affected_batch_ids` replaces the whole set. With `version`, a stale copy is a Conflict.
    """
    wanted: dict[str, Any] = {}
    if not isinstance(change.root_cause_category, Unchanged):
        wanted["root_cause_category"] = (
            choice(RootCauseCategory, change.root_cause_category, "root_cause_category").value
            if change.root_cause_category is not None and change.root_cause_category.strip()
            else None
        )
    if not isinstance(change.root_cause, Unchanged):
        wanted["root_cause"] = text(change.root_cause, "root_cause", ROOT_CAUSE_MAX, required=False)
    if not isinstance(change.findings, Unchanged):
        wanted["findings"] = text(change.findings, "findings", FINDINGS_MAX, required=False)
    batch_ids: list[int] | None = None
    if not isinstance(change.affected_batch_ids, Unchanged):
        batch_ids = check_ids(
            change.affected_batch_ids,
            "affected_batch_ids",
            at_least=0,
            at_most=MAX_AFFECTED_BATCHES,
        )
        await _existing_batches(batch_ids)
    if not isinstance(change.risk, Unchanged):
        wanted.update(_risk_columns(assess_risk(change.risk)))
    if not isinstance(change.containment, Unchanged):
        actions = check_containment(change.containment, clock.today())
        wanted["containment"] = _containment_json(actions)

    async with db.transaction():
        row = await _investigation_row(investigation_id)
        check_editable(row["status"])
        if change.version is not None and change.version != row["version"]:
            raise Conflict(
                f"the investigation changed meanwhile (version {row['version']}, "
                f"not {change.version}); reload and try again"
            )
        old = {key: row[key] for key in wanted if row[key] != wanted[key]}
        new = {key: wanted[key] for key in old}
        if "containment" in old:  # audited as lists, not as the column's JSON text
            old["containment"] = _containment_listed(row["containment"])
            new["containment"] = _containment_listed(wanted["containment"])
        replace_batches = False
        if batch_ids is not None:
            current = await db.fetch(
                "SELECT batch FROM investigation_batch WHERE investigation = {}", investigation_id
            )
            before = sorted(r["batch"] for r in current)
            if before != sorted(batch_ids):
                replace_batches = True
                old["affected_batch_ids"], new["affected_batch_ids"] = before, sorted(batch_ids)
        if new:
            columns = [key for key in new if key != "affected_batch_ids"]
            await _update_at_version(
                "investigation",
                investigation_id,
                row["version"],
                {column: wanted[column] for column in columns},
                named="investigation",
            )
            if replace_batches:
                await db.execute(
                    "DELETE FROM investigation_batch WHERE investigation = {}", investigation_id
                )
                await db.insert_many(
                    "investigation_batch",
                    (("investigation", "int"), ("batch", "int")),
                    [(investigation_id, batch_id) for batch_id in batch_ids or []],
                )
            await audit.record(
                actor, audit.Change("investigation", investigation_id, "updated", old=old, new=new)
            )
    return await get_investigation(investigation_id)


def _risk_columns(risk: Risk) -> dict[str, int]:
    return {
        "risk_severity": risk.severity,
        "risk_occurrence": risk.occurrence,
        "risk_detectability": risk.detectability,
        "risk_priority": risk.priority,
    }


def _listed(actions: Iterable[ContainmentAction]) -> list[dict[str, Any]]:
    return [
        {"action": item.action, "done_on": item.done_on.isoformat() if item.done_on else None}
        for item in actions
    ]


def _containment_json(actions: Iterable[ContainmentAction]) -> str:
    return json.dumps(_listed(actions), ensure_ascii=False, separators=(",", ":"))


def _containment_listed(stored: str | None) -> list[dict[str, Any]]:
    return _listed(containment_of(stored))


# CAPA -------------------------------------------------------------------------------------


async def add_capa(actor: Actor, investigation_id: int, plan: CapaPlan) -> Capa:
    """A corrective or preventive action owned by someone, due on a day not in the past."""
    values: dict[str, Any] = {
        "kind": choice(CapaKind, plan.kind, "kind").value,
        "description": text(plan.description, "description", DESCRIPTION_MAX),
        "owner": text(plan.owner, "owner", OWNER_MAX, one_line=True),
        "due_on": check_due_on(plan.due_on, clock.today()),
    }
    async with db.transaction():
        investigation = await _investigation_row(investigation_id)
        row = {
            **values,
            "investigation": investigation["id"],
            "status": CapaStatus.OPEN.value,
            "created_at": clock.now(),
            "completed_by": 0,  # the column's default, kept for stored rows to read alike
            "version": 1,
        }
        capa_id = await db.insert("capa", row)
        new = {
            **values,
            "due_on": values["due_on"].isoformat(),
            "investigation_id": investigation_id,
            "status": CapaStatus.OPEN.value,
        }
        await audit.record(actor, audit.Change("capa", capa_id, "created", new=new))
    return await get_capa(capa_id)


async def complete_capa(
    actor: Actor,
    capa_id: int,
    note: str | None = None,
    effectiveness_check_due_on: date | None = None,
) -> Capa:
    """Mark a CAPA done, optionally scheduling the check that it worked; Conflict if done."""
    checked_note = text(note, "note", NOTE_MAX, required=False)
    check_due = check_effectiveness_check_due_on(effectiveness_check_due_on, clock.today())
    completed_at = clock.now()
    async with db.transaction():
        row = await _capa_row(capa_id)
        status = capa_transition(row["status"], CapaStatus.DONE)
        await _update_at_version(
            "capa",
            capa_id,
            row["version"],
            {
                "status": status.value,
                "completed_at": completed_at,
                "completed_by": actor.id,
                "completion_note": checked_note,
                "effectiveness_check_due_on": check_due,
            },
            named="CAPA",
        )
        new = {
            "status": status.value,
            "completed_at": completed_at.isoformat(),
            "completion_note": checked_note,
            "effectiveness_check_due_on": check_due.isoformat() if check_due else None,
        }
        await audit.record(
            actor,
            audit.Change("capa", capa_id, "completed", old={"status": row["status"]}, new=new),
        )
    return await get_capa(capa_id)


# Effectiveness ------------------------------------------------------------------------------


async def record_effectiveness(actor: Actor, capa_id: int, effective: bool, evidence: str) -> Capa:
    """Record whether a done CAPA worked, with its evidence; Conflict unless it is done.

    An ineffective CAPA is open again and QA is alerted, in the same transaction.
    """
    checked = required_text(evidence, "evidence", EVIDENCE_MAX)
    recorded_at = clock.now()
    async with db.transaction():
        row = await _capa_row(capa_id)
        reopened = check_reopenable(row["status"])
        await db.insert(
            "capa_effectiveness",
            {
                "capa": capa_id,
                "effective": bool(effective),
                "evidence": checked,
                "recorded_at": recorded_at,
                "recorded_by": actor.id,
            },
        )
        new: dict[str, Any] = {
            "effective": bool(effective),
            "evidence": checked,
            "recorded_at": recorded_at.isoformat(),
        }
        old: dict[str, Any] = {}
        if not effective:
            await _update_at_version(
                "capa", capa_id, row["version"], {"status": reopened.value}, named="CAPA"
            )
            old["status"], new["status"] = row["status"], reopened.value
            reference = (await _investigation_row(row["investigation"]))["reference"]
            await alerts.raise_alert(
                alerts.AlertKind.CAPA_INEFFECTIVE,
                f"CAPA {capa_id} of investigation {reference} was found ineffective and is "
                f"open again: {checked}",
            )
        await audit.record(
            actor,
            audit.Change("capa", capa_id, "effectiveness_checked", old=old or None, new=new),
        )
    return await get_capa(capa_id)


# Conclusion -------------------------------------------------------------------------------


def conclusion_record(
    row: Mapping[str, Any], conclusion: str, recall_recommended: bool, batch_ids: list[int]
) -> dict[str, Any]:
    """What the signature of a conclusion covers: the finding and the decision drawn from it."""
    return {
        "reference": row["reference"],
        "title": row["title"],
        "root_cause_category": row["root_cause_category"],
        "root_cause": row["root_cause"],
        "findings": row["findings"],
        "affected_batch_ids": sorted(batch_ids),
        "risk": [row["risk_severity"], row["risk_occurrence"], row["risk_detectability"]],
        "containment": _containment_listed(row["containment"]),
        "conclusion": conclusion,
        "recall_recommended": recall_recommended,
    }


async def conclude_investigation(
    actor: Actor,
    investigation_id: int,
    conclusion: str,
    recall_recommended: bool,
    password: str | None,
    meaning: str | None,
) -> Investigation:
    """Draw the conclusion and recommend a recall or not, with the signer's electronic
    signature; needs the root cause recorded.

    A wrong password changes nothing and is audited as "signature_refused" (and counted
    towards the signing lockout) in a transaction of its own.
    """
    checked = required_text(conclusion, "conclusion", CONCLUSION_MAX)
    if not password:
        raise InvalidInput("password", "required: the signer's password")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput("password", f"at most {PASSWORD_MAX} characters")
    signed_meaning = required_text(meaning, "meaning", MEANING_MAX, one_line=True)
    recommended = bool(recall_recommended)
    concluded_at = clock.now()
    async with (
        auth.signature_refusals_recorded(actor, "investigation", investigation_id),
        db.transaction(),
    ):
        row = await _investigation_row(investigation_id)
        check_concludable(row["status"], row["root_cause_category"], row["root_cause"])
        status = investigation_transition(row["status"], InvestigationStatus.CONCLUDED)
        batches = await db.fetch(
            "SELECT batch FROM investigation_batch WHERE investigation = {}", investigation_id
        )
        await _update_at_version(
            "investigation",
            investigation_id,
            row["version"],
            {
                "status": status.value,
                "conclusion": checked,
                "recall_recommended": recommended,
                "concluded_at": concluded_at,
                "concluded_by": actor.id,
            },
            named="investigation",
        )
        signature = await auth.sign(
            actor,
            password,
            entity="investigation",
            entity_id=investigation_id,
            action="conclude",
            meaning=signed_meaning,
            record=conclusion_record(row, checked, recommended, [r["batch"] for r in batches]),
        )
        new = {
            "status": status.value,
            "conclusion": checked,
            "recall_recommended": recommended,
            "concluded_at": concluded_at.isoformat(),
            "signature_hash": signature.record_hash,
            "meaning": signed_meaning,
        }
        await audit.record(
            actor,
            audit.Change(
                "investigation",
                investigation_id,
                "concluded",
                old={"status": row["status"]},
                new=new,
            ),
        )
    return await get_investigation(investigation_id)
