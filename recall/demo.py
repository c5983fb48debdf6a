"""Demo data for `recall demo`: an Indonesian manufacturer, its products, PBFs and outlets.

Everything goes through the real use cases (so it is validated and audited) in one
transaction, and only once per database. Dates are relative to `clock.now()` so the
demo stays plausible in any year.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from recall import auth, clock, complaints, db, demo_recall, masterdata, notices
from recall.actors import SYSTEM, Actor, Role

MANUFACTURER = "PT Sehat Farma Nusantara"
# The manufacturer as its letters to authorities name it (settings the demo sets).
COMPANY = {
    "RECALL_COMPANY_NAME": MANUFACTURER,
    "RECALL_COMPANY_ADDRESS": "Jl. Industri Farmasi No. 12, Kawasan Industri Jababeka, "
    "Cikarang, Bekasi 17530",
    "RECALL_COMPANY_CITY": "Bekasi",
}
PASSWORD = "demo"
LOADED_MARKER = "demo_data_loaded"


def gtin_13(body: str) -> str:
    """A GTIN-13 from its first 12 digits, with the GS1 mod-10 check digit appended."""
    weighted = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(body))
    return body + str((10 - weighted % 10) % 10)


@dataclass(frozen=True)
class DemoProduct:
    code: str  # prefix of its batch numbers
    gtin: str
    nie: str
    name: str
    strength: str
    dosage_form: str
    shelf_life_months: int
    batch_size: int
    solvent_kg: Decimal | None = None  # propylene glycol per batch (syrups only)


# GS1 Indonesia prefix 899, a made-up company prefix 7715, item references 00001-00006.
# NIE: D = brand / G = generic, B = OTC / T = limited OTC / K = prescription, L = local.
PRODUCTS = [
    DemoProduct("PCS", gtin_13("899771500001"), "DBL2107712337A1",
                "Sehatol Paracetamol Syrup", "120 mg/5 mL", "syrup", 24, 24_000,
                Decimal("144.000")),
    DemoProduct("BTK", gtin_13("899771500002"), "DTL1907712437A1",
                "Batusan Guaifenesin Cough Syrup", "100 mg/5 mL", "syrup", 24, 18_000,
                Decimal("121.500")),
    DemoProduct("ANT", gtin_13("899771500003"), "GBL1807712533A1",
                "Antasida DOEN Suspension", "200 mg/200 mg per 5 mL", "oral suspension", 24,
                15_000, Decimal("60.000")),
    DemoProduct("PCT", gtin_13("899771500004"), "GBL1607712610A1",
                "Paracetamol Tablet", "500 mg", "tablet", 36, 12_000),
    DemoProduct("AMX", gtin_13("899771500005"), "GKL1707712701A1",
                "Amoxicillin Capsule", "500 mg", "capsule", 36, 10_000),
    DemoProduct("AML", gtin_13("899771500006"), "GKL2007712804A1",
                "Amlodipine Besilate Tablet", "5 mg", "tablet", 36, 8_000),
]  # fmt: skip

# How long ago each batch of a product was made; the oldest syrup batches used the first
# propylene glycol lot, the newer ones the second.
BATCH_AGES_DAYS = [400, 250, 130, 45]

# (material, days since receipt, receipt number of the month, supplier)
MATERIAL_LOTS = [
    ("Propylene glycol USP", 430, 117, "PT Kimia Prima Distribusi"),
    ("Propylene glycol USP", 160, 52, "CV Solvenindo Jaya Kimia"),
]


# Notices reach the sample consignees by e-mail (kept as .eml files under the data dir in
# demo mode): webhooks to loopback receivers would be refused, as in every installation.
@dataclass(frozen=True)
class DemoConsignee:
    code: str
    name: str
    kind: str
    province: str
    email: str
    phone: str
    parent_code: str | None = None
    distributor_login: str | None = None
    country: str = "ID"


WHOLESALERS = [
    DemoConsignee("PBF-JKT-001", "PT Mitra Sehat Distribusi", "pbf", "DKI Jakarta",
                  "recall@mitrasehat.example.co.id", "+62 21 5550 1201",
                  distributor_login="pbf-jakarta"),
    DemoConsignee("PBF-SBY-001", "PT Nusantara Farma Niaga", "pbf", "Jawa Timur",
                  "qa@nusantarafarma.example.co.id", "+62 31 5550 2202",
                  distributor_login="pbf-surabaya"),
    DemoConsignee("PBF-MDN-001", "PT Medika Utama Sumatera", "pbf", "Sumatera Utara",
                  "apoteker@medikautama.example.co.id", "+62 61 5550 3303",
                  distributor_login="pbf-medan"),
]  # fmt: skip

OUTLETS = [
    DemoConsignee("RS-JKT-001", "RS Harapan Sehat Jakarta", "hospital", "DKI Jakarta",
                  "farmasi@rsharapansehat.example.co.id", "+62 21 5550 4101", "PBF-JKT-001"),
    DemoConsignee("APT-JKT-001", "Apotek Sehat Sentosa", "pharmacy", "DKI Jakarta",
                  "apotek@sehatsentosa.example.co.id", "+62 21 5550 4102", "PBF-JKT-001"),
    DemoConsignee("APT-JKT-002", "Apotek Melati Kebayoran", "pharmacy", "DKI Jakarta",
                  "melati@apotekmelati.example.co.id", "+62 21 5550 4103", "PBF-JKT-001"),
    DemoConsignee("KLN-JKT-001", "Klinik Pratama Cempaka", "clinic", "DKI Jakarta",
                  "klinik@cempaka.example.co.id", "+62 21 5550 4104", "PBF-JKT-001"),
    DemoConsignee("RS-SBY-001", "RS Husada Utama Surabaya", "hospital", "Jawa Timur",
                  "instalasi.farmasi@husadautama.example.co.id", "+62 31 5550 4201",
                  "PBF-SBY-001"),
    DemoConsignee("APT-SBY-001", "Apotek Kenanga Surabaya", "pharmacy", "Jawa Timur",
                  "kenanga@apotekkenanga.example.co.id", "+62 31 5550 4202", "PBF-SBY-001"),
    DemoConsignee("APT-SBY-002", "Apotek Sumber Waras Sidoarjo", "pharmacy", "Jawa Timur",
                  "sumberwaras@example.co.id", "+62 31 5550 4203", "PBF-SBY-001"),
    DemoConsignee("RS-MDN-001", "RS Permata Medan", "hospital", "Sumatera Utara",
                  "farmasi@rspermata.example.co.id", "+62 61 5550 4301", "PBF-MDN-001"),
    DemoConsignee("APT-MDN-001", "Apotek Deli Farma", "pharmacy", "Sumatera Utara",
                  "delifarma@example.co.id", "+62 61 5550 4302", "PBF-MDN-001"),
    DemoConsignee("TO-MDN-001", "Toko Obat Berkat", "drugstore", "Sumatera Utara",
                  "tokoberkat@example.co.id", "+62 61 5550 4303", "PBF-MDN-001"),
]  # fmt: skip

# The importer abroad that buys the syrups: its recalls run under the FDA profile.
IMPORTER = DemoConsignee("US-NJ-001", "Garden State Pharma Distributors Inc.", "other",
                         "New Jersey", "recalls@gardenstatepharma.example.com",
                         "+1 732 555 0140", country="US")  # fmt: skip
SYRUPS = ("PCS", "BTK", "ANT")
IMPORTER_SHARE = 0.08

# Share of each batch shipped to each wholesaler, and of that passed on to each outlet.
WHOLESALER_SHARE = {"PBF-JKT-001": 0.40, "PBF-SBY-001": 0.30, "PBF-MDN-001": 0.20}
OUTLET_SHARE = 0.20

STAFF = [
    ("admin", "Administrator Sistem", Role.ADMIN),
    ("cs", "Dewi Lestari", Role.CS),
    ("qa", "Budi Santoso", Role.QA),
    ("manager", "apt. Sri Wahyuni, S.Farm.", Role.QA_MANAGER),
    ("inspector", "Inspektur BPOM (demo)", Role.INSPECTOR),
]


def logins() -> list[tuple[str, str]]:
    """(username, what it is) of every demo login; all use the password `demo`."""
    staff = [(username, role.value) for username, _, role in STAFF]
    distributors = [
        (str(w.distributor_login), f"distributor of {w.code} {w.name}") for w in WHOLESALERS
    ]
    return staff + distributors


async def is_loaded() -> bool:
    rows = await db.fetch("SELECT value FROM counter WHERE name = {}", LOADED_MARKER)
    return bool(rows)


async def load(sender: notices.Sender | None = None) -> bool:
    """Load the demo data unless it is already there; True when it was loaded now.

    With a `sender`, the running recall's notices are delivered at the time of its approval
    (the demo's history); without one the worker delivers them when it starts.
    """
    async with db.transaction():
        if await is_loaded():
            return False
        staff = await _create_staff()
        batches, solvent_lots = await _create_products_and_batches(staff["qa"])
        await _create_consignees(staff["qa"])
        await _record_shipments(staff["qa"], batches)
        officers = await _create_distributor_logins(staff["admin"])
        adverse_event, defect = await _log_complaints(staff["cs"], batches)
        await demo_recall.triage_for_reports(staff["qa"], adverse_event.id, defect.id)
        await demo_recall.open_recall(staff, officers, solvent_lots, sender)
        await demo_recall.hold_batch(staff["qa"], batches["PCT"][-1])
        await db.next_number(LOADED_MARKER)
    return True


async def _create_staff() -> dict[str, Actor]:
    actors = {}
    for username, full_name, role in STAFF:
        user = await auth.create_user(
            SYSTEM, username, PASSWORD, full_name, [role.value], enforce_password_policy=False
        )
        actors[username] = Actor(user.id, user.username, user.full_name, frozenset({role}))
    return actors


def _today() -> date:
    return clock.now().date()


def _end_of_month_after(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


async def _create_products_and_batches(
    qa: Actor,
) -> tuple[dict[str, list[masterdata.Batch]], list[masterdata.MaterialLot]]:
    lots = []
    for material, age, receipt, supplier in MATERIAL_LOTS:
        lot_no = f"PG{_today() - timedelta(days=age):%y%m}{receipt:03d}"
        lots.append(await masterdata.create_material_lot(qa, material, lot_no, supplier))
    batches: dict[str, list[masterdata.Batch]] = {}
    for product in PRODUCTS:
        await masterdata.create_product(
            qa, product.gtin, product.nie, product.name, product.strength, product.dosage_form
        )
        batches[product.code] = []
        for sequence, age in enumerate(BATCH_AGES_DAYS, start=1):
            made = _today() - timedelta(days=age)
            batch = await masterdata.create_batch(
                qa,
                product.gtin,
                f"{product.code}{made:%y%m}{sequence:02d}",
                made,
                _end_of_month_after(made, product.shelf_life_months),
                product.batch_size + 500 * sequence,
            )
            batches[product.code].append(batch)
            if product.solvent_kg is not None:
                lot = lots[0] if sequence <= 2 else lots[1]
                await masterdata.add_batch_material(qa, batch.id, lot.id, product.solvent_kg)
    return batches, lots


async def _create_consignees(qa: Actor) -> None:
    for consignee in [*WHOLESALERS, *OUTLETS, IMPORTER]:
        await masterdata.create_consignee(
            qa,
            consignee.code,
            consignee.name,
            consignee.kind,
            parent_code=consignee.parent_code,
            email=consignee.email,
            phone=consignee.phone,
            after_hours_phone=consignee.phone if consignee.kind == "pbf" else None,
            province=consignee.province,
            country=consignee.country,  # whatever the plant's country
        )


def _shipped_on(batch: masterdata.Batch, days_after_manufacture: int) -> date:
    return min(batch.manufactured_on + timedelta(days=days_after_manufacture),
               _today() - timedelta(days=1))  # fmt: skip


async def _record_shipments(qa: Actor, batches: dict[str, list[masterdata.Batch]]) -> None:
    for product_index, product in enumerate(PRODUCTS):
        for batch_index, batch in enumerate(batches[product.code]):
            for wholesaler_index, wholesaler in enumerate(WHOLESALERS):
                received = int(batch.quantity_produced * WHOLESALER_SHARE[wholesaler.code])
                await masterdata.record_shipment(
                    qa, batch.gtin, batch.batch_no, wholesaler.code, received,
                    _shipped_on(batch, 14 + 3 * wholesaler_index),
                )  # fmt: skip
                outlets = [o for o in OUTLETS if o.parent_code == wholesaler.code]
                for outlet_index, outlet in enumerate(outlets):
                    # Not every outlet stocks every batch.
                    if (product_index + batch_index + outlet_index) % 3 == 2:
                        continue
                    await masterdata.record_shipment(
                        qa, batch.gtin, batch.batch_no, outlet.code,
                        int(received * OUTLET_SHARE) - 10 * outlet_index,
                        _shipped_on(batch, 24 + 3 * wholesaler_index + outlet_index),
                        from_consignee_code=wholesaler.code,
                    )  # fmt: skip
            if product.code in SYRUPS:
                await masterdata.record_shipment(
                    qa, batch.gtin, batch.batch_no, IMPORTER.code,
                    int(batch.quantity_produced * IMPORTER_SHARE), _shipped_on(batch, 30),
                )  # fmt: skip


async def _create_distributor_logins(admin: Actor) -> list[Actor]:
    """The wholesalers' recall officers, as they act on their notices."""
    officers = []
    for wholesaler in WHOLESALERS:
        user = await auth.create_user(
            admin,
            str(wholesaler.distributor_login),
            PASSWORD,
            f"Recall officer, {wholesaler.name}",
            [Role.DISTRIBUTOR.value],
            wholesaler.code,
            enforce_password_policy=False,
        )
        consignee = await masterdata.consignee_by_code(wholesaler.code)
        officers.append(
            Actor(user.id, user.username, user.full_name, frozenset({Role.DISTRIBUTOR}),
                  consignee_id=consignee.id)
        )  # fmt: skip
    return officers


def _days_ago(days: int, hour: int) -> datetime:
    moment = clock.now() - timedelta(days=days)
    return moment.replace(hour=hour, minute=15, second=0, microsecond=0)


async def _log_complaints(
    cs: Actor, batches: dict[str, list[masterdata.Batch]]
) -> tuple[complaints.Complaint, complaints.Complaint]:
    """Four complaints; returns the adverse event and the newest quality defect."""
    syrup, cough, tablets, capsules = (
        batches["PCS"][0], batches["BTK"][1], batches["PCT"][2], batches["AMX"][1]
    )  # fmt: skip
    Reporter = complaints.Reporter
    await complaints.log_complaint(
        cs,
        complaints.ComplaintIntake(
            channel="phone",
            reporter=Reporter(
                "apt. Rina Kartika", "pharmacist", "Apotek Sehat Sentosa", "+62 21 5550 4102"
            ),
            description="Dark sediment and a changed colour in several bottles from one carton; "
            "two bottles were returned by customers.",
            adverse_event=False,
            sample_available=True,
            gtin=syrup.gtin,
            batch_no=syrup.batch_no,
            received_at=_days_ago(12, 2),
        ),
    )
    adverse_event = await complaints.log_complaint(
        cs,
        complaints.ComplaintIntake(
            channel="email",
            reporter=Reporter(
                "dr. Andi Pratama, Sp.A",
                "physician",
                "RS Harapan Sehat Jakarta",
                "andi.pratama@rsharapansehat.example.co.id",
            ),
            description="A 4-year-old was admitted with sharply reduced urine output after five "
            "days of this cough syrup; acute kidney injury is suspected. The bottle is kept.",
            adverse_event=True,
            sample_available=True,
            gtin=cough.gtin,
            batch_no=cough.batch_no,
            received_at=_days_ago(6, 4),
        ),
    )
    await complaints.log_complaint(
        cs,
        complaints.ComplaintIntake(
            channel="distributor",
            reporter=Reporter(
                "Hendra Wijaya",
                "distributor",
                "PT Nusantara Farma Niaga",
                "qa@nusantarafarma.example.co.id",
            ),
            description="Outer cartons arrived with broken tamper seals; packs quarantined.",
            adverse_event=False,
            sample_available=True,
            barcode=f"(01){capsules.gtin}(17){capsules.expires_on:%y%m%d}"
            f"(10){capsules.batch_no}(21)SN40127731",
            received_at=_days_ago(3, 7),
        ),
    )
    defect = await complaints.log_complaint(
        cs,
        complaints.ComplaintIntake(
            channel="web",
            reporter=Reporter("Siti Aminah", "patient", None, "siti.aminah@example.co.id"),
            description="The tablets crumble when pushed out of the blister.",
            adverse_event=False,
            sample_available=False,
            gtin=tablets.gtin,
            batch_no=tablets.batch_no,
            received_at=demo_recall.received_with_field_alert_due_soon(),
        ),
    )
    return adverse_event, defect
