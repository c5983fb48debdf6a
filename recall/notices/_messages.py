"""What a notice says: the webhook body (SPEC "Recall notice webhook") and the e-mail (no I/O).

The e-mail is bilingual, Indonesian first, then English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from recall.masterdata import BatchView
from recall.settings import Settings

REMINDER = "reminder"
UPDATE = "update"
URGENT_CLASSES = ("I", "II")
BATCHES_IN_SUBJECT = 3
DRILL_MARK = "[LATIHAN / DRILL]"

_DAYS_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_CLASS_ID = {
    "I": "dapat menyebabkan kematian atau efek serius bagi kesehatan",
    "II": "dapat menyebabkan efek kesehatan sementara atau dapat pulih",
    "III": "tidak diperkirakan menimbulkan efek kesehatan yang berarti",
}
_CLASS_EN = {
    "I": "may cause death or serious adverse health effects",
    "II": "may cause temporary or reversible adverse health effects",
    "III": "not likely to cause adverse health effects",
}
_DEPTH_ID = {
    "wholesale": "sampai tingkat distributor (PBF)",
    "retail": "sampai tingkat apotek, rumah sakit dan fasilitas kesehatan",
    "consumer": "sampai tingkat konsumen (pasien)",
}
_DEPTH_EN = {
    "wholesale": "down to wholesalers",
    "retail": "down to pharmacies, hospitals and health facilities",
    "consumer": "down to consumers (patients)",
}


@dataclass(frozen=True)
class Notification:
    """One message of one notice to its consignee, as every channel tells it."""

    message_id: str  # webhook-id and Message-ID: the same on every attempt
    message: str  # notice | reminder | update
    sequence: int  # 0 for the notice, n for the n-th reminder (or update)
    notice_id: int
    token: str
    consignee_name: str
    reference: str
    recall_class: str
    reason: str
    depth: str
    drill: bool
    batches: tuple[BatchView, ...]
    respond_by: datetime | None
    # An update's batches added to the consignee's notice since it went out.
    added_batches: tuple[BatchView, ...] = ()

    @property
    def is_reminder(self) -> bool:
        return self.message == REMINDER

    @property
    def is_update(self) -> bool:
        return self.message == UPDATE


def portal_url(public_url: str, token: str) -> str:
    """The consignee's page for this notice, no login needed."""
    return f"{public_url.rstrip('/')}/portal/notices/{token}"


def _batches_json(batches: tuple[BatchView, ...]) -> list[dict[str, str]]:
    return [
        {"gtin": b.gtin, "batch_no": b.batch_no, "expires_on": b.expires_on.isoformat()}
        for b in batches
    ]


def webhook_body(notification: Notification, public_url: str) -> dict[str, Any]:
    """The JSON the consignee's webhook receives (SPEC), plus whether it is a drill; an
    update also names the batches added and its number."""
    kind = "recall.notice"
    if notification.is_reminder:
        kind = "recall.reminder"
    elif notification.is_update:
        kind = "recall.update"
    body: dict[str, Any] = {
        "type": kind,
        "notice_id": notification.notice_id,
        "recall": {
            "reference": notification.reference,
            "recall_class": notification.recall_class,
            "reason": notification.reason,
            "depth": notification.depth,
            "batches": _batches_json(notification.batches),
        },
        "respond_by": _iso_utc(notification.respond_by),
        "portal_url": portal_url(public_url, notification.token),
        "drill": notification.drill,
    }
    if notification.is_update:
        body["update"] = notification.sequence
        body["added_batches"] = _batches_json(notification.added_batches)
    return body


def webhook_payload(notification: Notification, public_url: str) -> str:
    """The body as signed and sent: compact JSON, UTF-8 text."""
    return json.dumps(
        webhook_body(notification, public_url), separators=(",", ":"), ensure_ascii=False
    )


def _iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def message_id_header(message_id: str, sender: str) -> str:
    """An RFC 5322 Message-ID from the delivery's fixed id, so retries carry the same one."""
    domain = sender.rpartition("@")[2].strip(" >") or "recall.invalid"
    return f"<{message_id}@{domain}>"


def subject(notification: Notification) -> str:
    products = ", ".join(dict.fromkeys(b.product_name for b in notification.batches))
    numbers = [b.batch_no for b in notification.batches]
    batches = ", ".join(numbers[:BATCHES_IN_SUBJECT])
    if len(numbers) > BATCHES_IN_SUBJECT:
        batches += f" +{len(numbers) - BATCHES_IN_SUBJECT}"
    text = (
        f"PENARIKAN KEMBALI / RECALL kelas {notification.recall_class}: "
        f"{products} {batches} \u2013 {notification.reference}"
    )
    if notification.is_reminder:
        text = f"Pengingat / Reminder: {text}"
    elif notification.is_update:
        text = f"Pembaruan / Update: {text}"
    if notification.drill:
        text = f"{DRILL_MARK} {text}"
    return text


def format_deadline(moment: datetime | None, time_zone: str) -> tuple[str, str]:
    """The answer deadline in the plant's time zone and UTC: (Indonesian, English)."""
    if moment is None:
        return "secepatnya", "as soon as possible"
    local = moment.astimezone(ZoneInfo(time_zone))
    utc = moment.astimezone(UTC).strftime("%H:%M UTC")
    clock_time = local.strftime("%H:%M %Z")
    day, month = local.weekday(), local.month - 1
    indonesian = f"{_DAYS_ID[day]}, {local.day} {_MONTHS_ID[month]} {local.year} {clock_time}"
    english = f"{_DAYS_EN[day]}, {local.day} {_MONTHS_EN[month]} {local.year} {clock_time}"
    return f"{indonesian} ({utc})", f"{english} ({utc})"


def _batch_lines(
    notification: Notification, batch: str, expiry: str, added: bool = False
) -> list[str]:
    return [
        f"  - {b.product_name}, {batch} {b.batch_no}, GTIN {b.gtin}, "
        f"{expiry} {b.expires_on.isoformat()}"
        for b in (notification.added_batches if added else notification.batches)
    ]


def email_text(notification: Notification, settings: Settings) -> str:
    """The plain-text body: Indonesian, then English."""
    n = notification
    link = portal_url(settings.public_url, n.token)
    due_id, due_en = format_deadline(n.respond_by, settings.time_zone)
    lines: list[str] = []
    if n.drill:
        lines += [
            f"{DRILL_MARK} INI ADALAH LATIHAN (MOCK RECALL). Tidak ada produk yang benar-benar "
            "ditarik; tanggapi seperti penarikan sungguhan agar waktu tanggap dapat diukur.",
            f"{DRILL_MARK} THIS IS A DRILL (MOCK RECALL). No product is actually recalled; "
            "respond as you would to a real recall so the response time can be measured.",
            "",
        ]
    lines += [f"Yth. {n.consignee_name},", ""]
    if n.is_reminder:
        lines += [
            "PENGINGAT: kami belum menerima laporan lengkap Anda atas penarikan ini.",
            "",
        ]
    if n.is_update:
        lines += [
            "PEMBARUAN: bets berikut yang Anda terima kini juga termasuk dalam penarikan ini:",
            *_batch_lines(n, "bets", "kedaluwarsa", added=True),
            "",
        ]
    lines += [
        f"Kami menarik kembali produk berikut (penarikan kelas {n.recall_class}: "
        f"{_CLASS_ID.get(n.recall_class, '')}), {_DEPTH_ID.get(n.depth, n.depth)}:",
        *_batch_lines(n, "bets", "kedaluwarsa"),
        "",
        f"Alasan: {n.reason}",
        "",
        "Yang harus Anda lakukan segera:",
        "  1. Hentikan distribusi dan penjualan bets tersebut.",
        "  2. Pisahkan dan karantina seluruh stok bets tersebut.",
        "  3. Hitung stok yang ada dan yang sudah Anda salurkan ke pelanggan Anda.",
        f"  4. Laporkan stok, pengembalian dan pelanggan Anda melalui tautan ini, "
        f"paling lambat {due_id}:",
        f"     {link}",
        "",
        f"Referensi: {n.reference}",
        "",
        "----- English -----",
        "",
        f"Dear {n.consignee_name},",
        "",
    ]
    if n.is_reminder:
        lines += ["REMINDER: we have not yet received your full report on this recall.", ""]
    if n.is_update:
        lines += [
            "UPDATE: these batches you received are now also part of this recall:",
            *_batch_lines(n, "batch", "expires", added=True),
            "",
        ]
    lines += [
        f"We are recalling the following product (class {n.recall_class} recall: "
        f"{_CLASS_EN.get(n.recall_class, '')}), {_DEPTH_EN.get(n.depth, n.depth)}:",
        *_batch_lines(n, "batch", "expires"),
        "",
        f"Reason: {n.reason}",
        "",
        "What to do now:",
        "  1. Stop distributing and selling these batches.",
        "  2. Segregate and quarantine all stock of these batches.",
        "  3. Count the stock you hold and what you passed on to your own customers.",
        f"  4. Report stock, returns and your customers on this page by {due_en}:",
        f"     {link}",
        "",
        f"Reference: {n.reference}",
        "",
    ]
    return "\n".join(lines)


def notice_email(
    notification: Notification, to: str, settings: Settings, sent_at: datetime
) -> EmailMessage:
    """The notice (or reminder) as an e-mail; urgent headers for class I and II."""
    message = EmailMessage()
    message["Subject"] = subject(notification)
    message["From"] = settings.smtp.sender
    message["To"] = to
    message["Date"] = format_datetime(sent_at.astimezone(UTC))
    message["Message-ID"] = message_id_header(notification.message_id, settings.smtp.sender)
    message["Auto-Submitted"] = "auto-generated"  # no out-of-office replies
    message["X-Recall-Reference"] = notification.reference
    if notification.drill:
        message["X-Recall-Drill"] = "yes"
    if notification.recall_class in URGENT_CLASSES:
        message["X-Priority"] = "1"
        message["Importance"] = "High"
        message["Priority"] = "urgent"
    message.set_content(email_text(notification, settings))
    return message


def alert_email(
    alert_id: int, subject_text: str, text: str, settings: Settings, sent_at: datetime
) -> EmailMessage:
    """An alert for QA as an e-mail to settings.qa_alert_email."""
    message = EmailMessage()
    message["Subject"] = subject_text
    message["From"] = settings.smtp.sender
    message["To"] = settings.qa_alert_email
    message["Date"] = format_datetime(sent_at.astimezone(UTC))
    message["Message-ID"] = message_id_header(f"alert_{alert_id}", settings.smtp.sender)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Priority"] = "1"
    message["Importance"] = "High"
    message.set_content(text)
    return message
