"""The words of the authority reports in Indonesian and English, and how numbers, quantities
and dates are written in each (an Indonesian page carries no English word)."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("id", "en")

# key: (Indonesian, English)
_LABELS: dict[str, tuple[str, str]] = {
    # Titles
    "title.initial": ("Laporan Awal Penarikan Obat", "Initial Drug Recall Report"),
    "title.progress": ("Laporan Perkembangan Penarikan Obat", "Progress Drug Recall Report"),
    "title.final": ("Laporan Akhir Penarikan Obat", "Final Drug Recall Report"),
    "fda.initial": ("Laporan Status Penarikan Awal", "Initial Recall Status Report"),
    "fda.progress": ("Laporan Status Penarikan", "Recall Status Report"),
    "fda.final": ("Laporan Status Penarikan Akhir", "Final Recall Status Report"),
    "fda.basis": ("Menurut 21 CFR 7.53(b)", "Under 21 CFR 7.53(b)"),
    "opening.initial": (
        "Dengan hormat, bersama ini kami sampaikan laporan awal penarikan obat sebagai berikut.",
        "We hereby submit the initial report of the drug recall below.",
    ),
    "opening.progress": (
        "Dengan hormat, bersama ini kami sampaikan laporan perkembangan penarikan obat "
        "sebagai berikut.",
        "We hereby submit the progress report of the drug recall below.",
    ),
    "opening.final": (
        "Dengan hormat, bersama ini kami sampaikan laporan akhir penarikan obat sebagai berikut.",
        "We hereby submit the final report of the drug recall below.",
    ),
    "closing": (
        "Demikian laporan ini kami sampaikan. Atas perhatian Bapak/Ibu, kami ucapkan terima kasih.",
        "Thank you for your attention.",
    ),
    "to": ("Kepada Yth.", "To:"),
    "bpom_head": (
        "Kepala Badan Pengawas Obat dan Makanan",
        "The Head of the Indonesian Food and Drug Authority (Badan Pengawas Obat dan Makanan)",
    ),
    "in_jakarta": ("di Jakarta", "in Jakarta"),
    "copies": ("Tembusan:", "Copies to:"),
    "number": ("Nomor", "Reference"),
    "subject": ("Perihal", "Subject"),
    "pharmacist": ("Apoteker Penanggung Jawab", "Responsible Pharmacist"),
    "official": ("Penanggung jawab", "Responsible official"),
    "generated": ("Dibuat", "Generated"),
    "page_of": ("Halaman {} dari {}", "Page {} of {}"),
    "drill_mark": ("LATIHAN", "DRILL"),
    "drill_note": (
        "Latihan penarikan (simulasi): tidak ada produk yang benar-benar ditarik.",
        "Mock recall (readiness drill): no product is actually being recalled.",
    ),
    "none": ("tidak ada", "none"),
    "not_recorded": ("tidak tercatat", "not recorded"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "of": ("dari", "of"),
    # Sections
    "s.company": ("Identitas Industri Farmasi", "Manufacturer"),
    "s.firm": ("Identitas Perusahaan", "Recalling firm"),
    "s.products": ("Produk", "Products"),
    "s.batches": ("Bets yang Ditarik", "Batches recalled"),
    "s.recall": ("Penarikan", "Recall"),
    "s.warning": ("Peringatan Publik", "Public warning"),
    "s.warning_fda": ("Peringatan Publik (21 CFR 7.50)", "Public warning (21 CFR 7.50)"),
    "s.distribution": ("Distribusi per Tingkat dan Provinsi", "Distribution per tier and region"),
    "s.execution": ("Pelaksanaan Penarikan", "Recall execution"),
    "s.deadlines": ("Tenggat Waktu", "Deadlines"),
    "s.submissions": ("Laporan yang Telah Disampaikan", "Submissions made"),
    "s.checks": ("Pemeriksaan Efektivitas", "Effectiveness checks"),
    "s.destructions": ("Berita Acara Pemusnahan", "Destruction records"),
    "s.closure": ("Penutupan Penarikan", "Recall closure"),
    "s.amendments": ("Perubahan Cakupan Penarikan", "Scope amendments"),
    "s.b1": ("(1) Penerima yang diberitahu", "(1) Consignees notified"),
    "s.b2": ("(2) Penerima yang menanggapi", "(2) Consignees responding"),
    "s.b3": ("(3) Penerima yang belum menanggapi", "(3) Consignees not responding"),
    "s.b4": ("(4) Jumlah yang dikembalikan atau dikoreksi", "(4) Quantity returned or corrected"),
    "s.b5": ("(5) Pemeriksaan efektivitas", "(5) Effectiveness checks"),
    "s.b6": ("(6) Perkiraan waktu penyelesaian", "(6) Estimated time frame for completion"),
    # Fields
    "f.name": ("Nama", "Name"),
    "f.address": ("Alamat", "Address"),
    "f.product": ("Nama produk", "Product name"),
    "f.strength": ("Kekuatan", "Strength"),
    "f.dosage_form": ("Bentuk sediaan", "Dosage form"),
    "f.nie": ("NIE", "NIE"),
    "f.gtin": ("GTIN", "GTIN"),
    "f.batch": ("Nomor bets", "Batch"),
    "f.expiry": ("Kedaluwarsa", "Expiry"),
    "f.produced": ("Diproduksi", "Produced"),
    "f.distributed": ("Didistribusikan", "Distributed"),
    "f.on_hand": ("Stok di penerima", "On hand"),
    "f.returned": ("Dikembalikan", "Returned"),
    "f.destroyed": ("Dimusnahkan", "Destroyed"),
    "f.unaccounted": ("Belum diketahui", "Unaccounted"),
    "f.reference": ("Nomor penarikan", "Recall reference"),
    "f.reason": ("Alasan penarikan", "Reason"),
    "f.class": ("Kelas", "Class"),
    "f.type": ("Jenis", "Type"),
    "f.order_reference": ("Nomor surat perintah", "Order reference"),
    "f.order_date": ("Tanggal surat perintah", "Order date"),
    "f.depth": ("Tingkat penarikan", "Depth"),
    "f.status": ("Status", "Status"),
    "f.approved": ("Disetujui", "Approved"),
    "f.closed": ("Ditutup", "Closed"),
    "f.justification": ("Pertimbangan penutupan", "Closure justification"),
    "f.hazard": ("Kajian risiko kesehatan", "Health-hazard assessment"),
    "f.decision": ("Keputusan", "Decision"),
    "f.published_on": ("Tanggal terbit", "Published on"),
    "f.channel": ("Media", "Channel"),
    "f.text": ("Isi", "Text"),
    "f.url": ("Tautan", "Link"),
    "f.tier": ("Tingkat", "Tier"),
    "f.province": ("Provinsi", "Province / region"),
    "f.country": ("Negara", "Country"),
    "f.office": ("Balai POM", "BPOM office"),
    "f.consignees": ("Penerima", "Consignees"),
    "f.notified": ("Diberitahu", "Notified"),
    "f.acknowledged": ("Dikonfirmasi", "Acknowledged"),
    "f.responded": ("Menanggapi", "Responded"),
    "f.total": ("Jumlah", "Total"),
    "f.deadline": ("Tenggat", "Deadline"),
    "f.basis": ("Dihitung dari", "Counted from"),
    "f.rule": ("Ketentuan", "Rule"),
    "f.due": ("Jatuh tempo", "Due"),
    "f.met_at": ("Dipenuhi", "Met"),
    "f.state": ("Keterangan", "State"),
    "f.overridden": ("Diubah", "Overridden"),
    "f.kind": ("Jenis", "Kind"),
    "f.submitted_at": ("Disampaikan", "Submitted"),
    "f.via": ("Melalui", "Channel"),
    "f.number": ("Nomor", "Reference"),
    "f.addressees": ("Tujuan", "Addressees"),
    "f.started": ("Dimulai", "Started"),
    "f.level": ("Tingkat", "Level"),
    "f.sample": ("Sampel", "Sample"),
    "f.contacts": ("Dihubungi", "Contacts"),
    "f.contacted": ("Terhubung", "Reached"),
    "f.effective": ("Efektif", "Effective"),
    "f.ineffective": ("Tidak efektif", "Ineffective"),
    "f.pending": ("Belum", "Pending"),
    "f.destroyed_on": ("Tanggal", "Date"),
    "f.quantity": ("Jumlah", "Quantity"),
    "f.where": ("Lokasi stok", "Stock at"),
    "f.method": ("Cara", "Method"),
    "f.place": ("Tempat", "Place"),
    "f.witnesses": ("Saksi (instansi)", "Witnesses (agency)"),
    "f.document_no": ("Nomor berita acara", "Record number"),
    "f.executor": ("Pelaksana", "Carried out by"),
    "f.files": ("Lampiran", "Attached files"),
    "f.amendment": ("Perubahan ke-", "Amendment"),
    "f.batches_added": ("Bets ditambahkan", "Batches added"),
    "f.consignees_added": ("Penerima baru", "Consignees added"),
    "f.amendment_reason": ("Alasan perubahan", "Reason"),
    "destruction": ("Berita acara pemusnahan", "Destruction record"),
    "f.code": ("Kode", "Code"),
    "f.first_notified": ("Pemberitahuan pertama", "First notified"),
    "f.last_notified": ("Pemberitahuan terakhir", "Last notified"),
    "f.methods": ("Cara pemberitahuan", "Method of notification"),
    "f.reminded": ("Diingatkan", "Reminded"),
    "f.completion": ("Perkiraan selesai", "Estimated completion"),
    "f.corrected": ("Dikembalikan dan dimusnahkan", "Returned and destroyed"),
    "plant_stock": ("pabrik (stok yang dikembalikan)", "plant (returned stock)"),
    "no_province": ("provinsi tidak tercatat", "province not recorded"),
    "no_office": ("tidak ada", "none"),
    "distribution_legend": (
        "Penerima, Diberitahu dan Menanggapi dalam jumlah penerima; Didistribusikan dan "
        "Dikembalikan dalam unit.",
        "Consignees, Notified and Responded count consignees; Distributed and Returned are "
        "in units.",
    ),
    "more_listed": (
        "dan {} penerima lain (daftar lengkap dalam laporan penarikan)",
        "and {} more (the full list is in the recall report)",
    ),
    # Coded values
    "type.mandatory": ("wajib", "mandatory"),
    "type.voluntary": ("sukarela", "voluntary"),
    "class.I": ("Kelas I", "Class I"),
    "class.II": ("Kelas II", "Class II"),
    "class.III": ("Kelas III", "Class III"),
    "depth.wholesale": ("tingkat distributor (PBF)", "wholesale level"),
    "depth.retail": ("tingkat apotek dan fasilitas kesehatan", "retail level"),
    "depth.consumer": ("tingkat konsumen", "consumer level"),
    "status.in_progress": ("sedang berlangsung", "in progress"),
    "status.closed": ("selesai", "closed"),
    "status.proposed": ("diusulkan", "proposed"),
    "warning.none": ("tanpa peringatan publik", "no public warning"),
    "warning.specialised": (
        "peringatan melalui media khusus tenaga kesehatan",
        "warning through specialised (trade, professional) media",
    ),
    "warning.general": ("peringatan melalui media umum", "warning through the general media"),
    "warning.undecided": ("belum diputuskan", "not decided"),
    "basis.order": ("surat perintah", "order"),
    "basis.approval": ("persetujuan", "approval"),
    "basis.amendment": ("perubahan cakupan", "scope amendment"),
    "deadline.notify_consignees": ("Pemberitahuan kepada penerima", "Consignees notified"),
    "deadline.initial_report": ("Laporan awal", "Initial report"),
    "deadline.status_report": ("Laporan perkembangan", "Status report"),
    "deadline.wholesale_complete": ("Selesai di tingkat PBF", "Wholesale level complete"),
    "deadline.retail_complete": ("Selesai di apotek/fasilitas kesehatan", "Retail level complete"),
    "deadline.consumer_complete": ("Selesai di tingkat konsumen", "Consumer level complete"),
    "state.on_time": ("dipenuhi tepat waktu", "met on time"),
    "state.late": ("dipenuhi, terlambat {}", "met, {} late"),
    "state.overdue": ("belum dipenuhi, lewat {}", "not met, {} overdue"),
    "state.ahead": ("belum jatuh tempo", "not yet due"),
    "submission.initial_report": ("Laporan awal", "Initial report"),
    "submission.status_report": ("Laporan perkembangan", "Status report"),
    "submission.final_report": ("Laporan akhir", "Final report"),
    "submission.termination_request": ("Permohonan penghentian", "Termination request"),
    "submission.public_warning": ("Peringatan publik", "Public warning"),
    "channel.portal": ("portal daring", "portal"),
    "channel.email": ("surel", "e-mail"),
    "channel.letter": ("surat", "letter"),
    "channel.hand_delivery": ("diantar langsung", "hand delivery"),
    "channel.other": ("lainnya", "other"),
    "channel.webhook": ("pesan elektronik ke sistem penerima", "webhook"),
    "nothing.submissions": ("Belum ada laporan yang disampaikan.", "No submission made yet."),
    "nothing.warnings": ("Belum ada peringatan yang diterbitkan.", "Nothing published yet."),
    "nothing.checks": ("Belum ada pemeriksaan efektivitas.", "No effectiveness check yet."),
    "nothing.destructions": ("Belum ada pemusnahan yang dicatat.", "No destruction recorded."),
    "nothing.distribution": ("Belum ada penerima.", "No consignee reached."),
    "nothing.deadlines": ("Tidak ada tenggat.", "No deadline."),
    "nothing.not_responding": ("Semua penerima telah menanggapi.", "Every consignee responded."),
}

_UNITS = {
    "units": (("unit", "unit"), ("unit", "units")),
    "consignees": (("penerima", "penerima"), ("consignee", "consignees")),
    "days": (("hari", "hari"), ("day", "days")),
    "notices": (("pemberitahuan", "pemberitahuan"), ("notice", "notices")),
}

# A deadline rule as profiles word it: "5 working days (BPOM class I)", "every 1 week (...)".
_RULE = re.compile(r"^(every )?(\d+) (hour|day|working day|week)s? \((\S+) class (\w+)\)$")
_RULE_UNITS = {
    "hour": ("jam", "hour"),
    "day": ("hari", "day"),
    "working day": ("hari kerja", "working day"),
    "week": ("minggu", "week"),
}


class Words:
    """The vocabulary and number, quantity and date formats of one language."""

    def __init__(self, language: str, time_zone: str) -> None:
        self.language = language
        self.index = LANGUAGES.index(language)
        self.zone = ZoneInfo(time_zone)

    def __call__(self, key: str) -> str:
        return _LABELS[key][self.index]

    def coded(self, group: str, code: str | None) -> str:
        """The label of a coded value; the code itself when it has none."""
        if code is None:
            return "-"
        found = _LABELS.get(f"{group}.{code}")
        return found[self.index] if found else code

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.language)

    def counted(self, value: int | None, unit: str = "units") -> str:
        """A number with its unit: "1.200 unit", "1 unit" / "2 units", "3 penerima"."""
        if value is None:
            return "-"
        one, many = _UNITS[unit][self.index]
        return f"{self.number(value)} {one if abs(value) == 1 else many}"

    def day(self, value: date | None) -> str:
        return "-" if value is None else format_date(value, "d MMM y", locale=self.language)

    def long_date(self, value: date) -> str:
        return format_date(value, format="long", locale=self.language)

    def moment(self, value: datetime | None) -> str:
        """A time in the authority's time zone, with the zone's name (WIB, EST)."""
        if value is None:
            return "-"
        pattern = "d MMM y HH.mm zzz" if self.language == "id" else "d MMM y HH:mm zzz"
        return format_datetime(value, pattern, tzinfo=self.zone, locale=self.language)

    def short(self, value: datetime | None) -> str:
        """A time in the authority's time zone for a table (the zone in its header)."""
        if value is None:
            return "-"
        pattern = "d MMM y HH.mm" if self.language == "id" else "d MMM y HH:mm"
        return format_datetime(value, pattern, tzinfo=self.zone, locale=self.language)

    def zone_name(self, value: datetime) -> str:
        return value.astimezone(self.zone).tzname() or str(self.zone)

    def local_date(self, value: datetime) -> date:
        return value.astimezone(self.zone).date()

    def rule(self, text: str) -> str:
        """A deadline's rule in this language ("5 hari kerja (BPOM kelas I)")."""
        found = _RULE.match(text)
        if found is None:
            return text if self.language == "en" else "-"
        every, amount, unit, authority, recall_class = found.groups()
        amount_number = int(amount)
        name = _RULE_UNITS[unit][self.index]
        if self.language == "en":
            name += "s" if amount_number != 1 else ""
            return f"{'every ' if every else ''}{amount} {name} ({authority} class {recall_class})"
        return f"{'setiap ' if every else ''}{amount} {name} ({authority} kelas {recall_class})"
