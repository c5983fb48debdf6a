"""What a notice says: the webhook body (SPEC contract) and the bilingual e-mail."""

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from recall.masterdata import BatchView
from recall.notices._messages import (
    Notification,
    alert_email,
    format_deadline,
    notice_email,
    portal_url,
    webhook_body,
    webhook_payload,
)
from recall.settings import Settings, Smtp

SETTINGS = Settings(
    public_url="https://recall.plant.example",
    smtp=Smtp(sender="Recall PT Farma <recall@plant.example>"),
    qa_alert_email="qa@plant.example",
)
SENT_AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
GTIN = "08991234567895"
NOTICE = Notification(
    message_id="msg_RCL-2026-0007_42",
    message="notice",
    sequence=0,
    notice_id=42,
    token="tok-abc",
    consignee_name="PBF Sehat Sentosa",
    reference="RCL-2026-0007",
    recall_class="I",
    reason="Diethylene glycol above limit",
    depth="retail",
    drill=False,
    batches=(
        BatchView(1, "B2026A", GTIN, "Paracetamol Syrup 120 mg/5 mL", date(2028, 1, 31)),
        BatchView(2, "B2026B", GTIN, "Paracetamol Syrup 120 mg/5 mL", date(2028, 2, 28)),
    ),
    respond_by=datetime(2026, 12, 14, 10, 0, tzinfo=UTC),
)


def test_webhook_body_has_exactly_the_contracted_shape():
    body = webhook_body(NOTICE, SETTINGS.public_url)
    assert body == {
        "type": "recall.notice",
        "notice_id": 42,
        "recall": {
            "reference": "RCL-2026-0007",
            "recall_class": "I",
            "reason": "Diethylene glycol above limit",
            "depth": "retail",
            "batches": [
                {"gtin": "08991234567895", "batch_no": "B2026A", "expires_on": "2028-01-31"},
                {"gtin": "08991234567895", "batch_no": "B2026B", "expires_on": "2028-02-28"},
            ],
        },
        "respond_by": "2026-12-14T10:00:00Z",
        "portal_url": "https://recall.plant.example/portal/notices/tok-abc",
        "drill": False,
    }


def test_reminders_and_drills_are_told_apart_in_the_webhook():
    reminder = replace(NOTICE, message="reminder", sequence=1, drill=True, respond_by=None)
    body = webhook_body(reminder, SETTINGS.public_url)
    assert body["type"] == "recall.reminder"
    assert body["drill"] is True
    assert body["respond_by"] is None


def test_the_signed_payload_is_compact_utf8_json_of_the_body():
    import json

    text = webhook_payload(replace(NOTICE, reason="Kadar DEG > batas — uji ulang"), "http://x")
    assert "\n" not in text and ": " not in text
    assert json.loads(text)["recall"]["reason"] == "Kadar DEG > batas — uji ulang"


def test_portal_link_has_no_double_slash():
    assert portal_url("http://127.0.0.1:8000/", "t") == "http://127.0.0.1:8000/portal/notices/t"


def test_email_is_urgent_bilingual_and_names_product_batches_and_reference():
    message = notice_email(NOTICE, "pbf@example.com", SETTINGS, SENT_AT)
    assert message["Subject"] == (
        "PENARIKAN KEMBALI / RECALL kelas I: Paracetamol Syrup 120 mg/5 mL B2026A, B2026B "
        "\u2013 RCL-2026-0007"
    )
    assert message["From"] == "Recall PT Farma <recall@plant.example>"
    assert message["To"] == "pbf@example.com"
    assert message["X-Priority"] == "1"
    assert message["Importance"] == "High"
    assert message["Priority"] == "urgent"
    text = message.get_content()
    assert text.index("Yth. PBF Sehat Sentosa") < text.index("Dear PBF Sehat Sentosa")
    for words in ("Hentikan distribusi", "karantina", "Stop distributing", "quarantine"):
        assert words in text
    assert text.count("https://recall.plant.example/portal/notices/tok-abc") == 2
    assert "B2026A, GTIN 08991234567895, kedaluwarsa 2028-01-31" in text
    assert "B2026B, GTIN 08991234567895, expires 2028-02-28" in text
    assert "LATIHAN" not in text


def test_email_deadline_is_in_the_plants_time_zone_and_utc():
    text = notice_email(NOTICE, "pbf@example.com", SETTINGS, SENT_AT).get_content()
    assert "Senin, 14 Desember 2026 17:00 WIB (10:00 UTC)" in text
    assert "Monday, 14 December 2026 17:00 WIB (10:00 UTC)" in text
    assert format_deadline(None, "Asia/Jakarta") == ("secepatnya", "as soon as possible")
    makassar, _ = format_deadline(NOTICE.respond_by, "Asia/Makassar")
    assert makassar == "Senin, 14 Desember 2026 18:00 WITA (10:00 UTC)"


def test_message_id_is_derived_from_the_delivery_and_stable_across_attempts():
    first = notice_email(NOTICE, "a@example.com", SETTINGS, SENT_AT)
    again = notice_email(NOTICE, "a@example.com", SETTINGS, datetime(2026, 12, 2, tzinfo=UTC))
    assert first["Message-ID"] == again["Message-ID"] == "<msg_RCL-2026-0007_42@plant.example>"


def test_drill_is_marked_in_subject_and_body():
    message = notice_email(replace(NOTICE, drill=True), "a@example.com", SETTINGS, SENT_AT)
    assert message["Subject"].startswith("[LATIHAN / DRILL] PENARIKAN KEMBALI")
    text = message.get_content()
    assert text.startswith("[LATIHAN / DRILL] INI ADALAH LATIHAN")
    assert "THIS IS A DRILL" in text
    assert message["X-Recall-Drill"] == "yes"


def test_reminder_says_so_in_both_languages():
    reminder = replace(NOTICE, message="reminder", sequence=2, message_id="msg_R_42_reminder2")
    message = notice_email(reminder, "a@example.com", SETTINGS, SENT_AT)
    assert message["Subject"].startswith("Pengingat / Reminder: PENARIKAN KEMBALI / RECALL")
    text = message.get_content()
    assert "PENGINGAT" in text and "REMINDER" in text
    assert message["Message-ID"] == "<msg_R_42_reminder2@plant.example>"


@pytest.mark.parametrize(("recall_class", "urgent"), [("I", True), ("II", True), ("III", False)])
def test_only_class_i_and_ii_are_sent_as_urgent(recall_class, urgent):
    message = notice_email(
        replace(NOTICE, recall_class=recall_class), "a@example.com", SETTINGS, SENT_AT
    )
    assert (message["Priority"] == "urgent") is urgent
    assert (message["X-Priority"] == "1") is urgent


def test_many_batches_are_summed_up_in_the_subject():
    batches = tuple(replace(NOTICE.batches[0], batch_no=f"B{i}") for i in range(7))
    subject = notice_email(replace(NOTICE, batches=batches), "a@x.id", SETTINGS, SENT_AT)["Subject"]
    assert "B0, B1, B2 +4 \u2013 RCL-2026-0007" in subject


def test_alert_email_goes_to_qa():
    message = alert_email(9, "[Recall] delivery failed", "PBF-1 unreachable", SETTINGS, SENT_AT)
    assert message["To"] == "qa@plant.example"
    assert message["Message-ID"] == "<alert_9@plant.example>"
    assert message.get_content().strip() == "PBF-1 unreachable"
