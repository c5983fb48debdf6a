"""The sections the authority reports share (products, batches, distribution, deadlines,
submissions, checks, destruction, public warning, signature), drawn in the report's language."""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from recall import regulatory
from recall.recalls._authority_report_data import AuthorityReport
from recall.recalls._authority_report_text import Words
from recall.recalls._destruction_sheet import draw_destructions
from recall.recalls._markets import BPOM_HEAD, ProvinceDistribution
from recall.recalls._models import Deadline
from recall.recalls._pdf_document import FONT, _Column, _Document, printable

SIGNATURE_SPACE = 20  # mm left blank for the handwritten signature and stamp


class Sheet:
    """A report's document and words, with the sections drawn on it."""

    def __init__(self, report: AuthorityReport, title: str) -> None:
        self.report = report
        self.words = words = Words(report.language, report.rules.time_zone)
        recall = report.recall
        self.title = title
        self.pdf = _Document(
            running_head=printable(f"{recall.reference} \u2014 {title}"),
            running_foot=printable(f"{words('generated')} {words.moment(report.generated_at)}"),
            drill=recall.drill,
            page_of=words("page_of"),
            drill_mark=words("drill_mark"),
        )
        self.pdf.set_title(printable(f"{recall.reference} {title}"))
        self.pdf.set_creator("Recall")
        self.pdf.add_page()

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def columns(self, *spec: tuple[str, float] | tuple[str, float, bool]) -> list[_Column]:
        """Columns titled in the report's language (a key of the words, and a width)."""
        return [_Column(self.words(item[0]), *item[1:]) for item in spec]

    def quantity_title(self, key: str) -> str:
        return f"{self.words(key)} (unit)"

    # Letter parts ------------------------------------------------------------------------

    def letterhead(self) -> None:
        pdf, company = self.pdf, self.report.company
        if company.name:
            pdf.set_font(FONT, "B", 13)
            pdf.cell(0, 7, printable(company.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8.5)
        if company.address:
            pdf.multi_cell(0, 4.2, printable(company.address), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(0, 0, 0)
        pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
        pdf.ln(4)
        if self.report.recall.drill:
            pdf.set_font(FONT, "B", 10)
            pdf.set_text_color(190, 0, 0)
            pdf.cell(0, 5, self.words("drill_note"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)

    def place_and_date(self) -> str:
        words, company = self.words, self.report.company
        day = words.long_date(words.local_date(self.report.generated_at))
        return f"{company.city}, {day}" if company.city else day

    def addressed(self, subject: str) -> None:
        """Reference and subject, then the addressee (the head of the authority)."""
        pdf, words = self.pdf, self.words
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(0, 5, printable(self.place_and_date()), align="R",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        for label, value in ((words("number"), self.report.recall.reference),
                             (words("subject"), subject)):  # fmt: skip
            pdf.cell(22, 5, label)
            # A subject naming many products wraps under itself instead of running off the page.
            pdf.multi_cell(0, 5, printable(f": {value}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        pdf.cell(0, 5, words("to"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        head = self.report.addressees[0] if self.report.addressees else ""
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(0, 5, printable(words("bpom_head") if head == BPOM_HEAD else head),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        pdf.set_font(FONT, "", 9.5)
        if head == BPOM_HEAD:
            pdf.cell(0, 5, words("in_jakarta"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)

    def heading_title(self, subtitle: str = "") -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B", 14)
        pdf.cell(0, 8, printable(self.title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            pdf.set_font(FONT, "", 9)
            pdf.cell(0, 5, printable(subtitle), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(FONT, "", 9.5)
        self.pdf.multi_cell(0, 5, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_font(FONT, "", 8.5)

    def signature(self, role: str) -> None:
        """Place and date, the role, room to sign, and the signer's printed name."""
        pdf = self.pdf
        if pdf.will_page_break(SIGNATURE_SPACE + 24):
            pdf.add_page()
        pdf.ln(4)
        left = pdf.l_margin + pdf.epw * 0.55
        for text, style in ((self.place_and_date(), ""), (role + ",", "")):
            pdf.set_x(left)
            pdf.set_font(FONT, style, 9.5)
            pdf.cell(0, 5, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(SIGNATURE_SPACE)
        pdf.set_x(left)
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(0, 5, printable(self.report.pharmacist or "-"), new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)  # fmt: skip
        if self.report.company.name:
            pdf.set_x(left)
            pdf.set_font(FONT, "", 8.5)
            pdf.cell(0, 4.5, printable(self.report.company.name), new_x=XPos.LMARGIN,
                     new_y=YPos.NEXT)  # fmt: skip

    def copies(self) -> None:
        """Tembusan: the regional offices of the provinces the batches reached."""
        offices = self.report.addressees[1:]
        if not offices:
            return
        pdf = self.pdf
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.ln(6)
        pdf.set_font(FONT, "B", 9)
        pdf.cell(0, 5, self.words("copies"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 9)
        for number, office in enumerate(offices, start=1):
            pdf.cell(0, 4.6, printable(f"{number}. {office}"), new_x=XPos.LMARGIN,
                     new_y=YPos.NEXT)  # fmt: skip

    # Sections ----------------------------------------------------------------------------

    def company(self, key: str = "s.company") -> None:
        words, company = self.words, self.report.company
        self.pdf.heading(words(key))
        self.pdf.fields([(words("f.name"), company.name or "-"),
                         (words("f.address"), company.address or "-")])  # fmt: skip

    def products(self) -> None:
        words, pdf = self.words, self.pdf
        pdf.heading(words("s.products"))
        seen: dict[str, list[str]] = {}
        for line in self.report.batches:
            key = f"{line.gtin}"
            seen.setdefault(key, [line.product_name, line.strength, line.dosage_form, line.nie])
        pdf.grid(
            self.columns(("f.product", 62), ("f.strength", 34), ("f.dosage_form", 44),
                         ("f.nie", 50)),
            list(seen.values()),
        )  # fmt: skip

    def batches(self) -> None:
        words, pdf = self.words, self.pdf
        pdf.heading(words("s.batches"))
        total = self.report.totals
        # The NIE stands in the products table: the product's name gets the room here.
        rows = [
            [b.batch_no, b.product_name, words.day(b.expires_on),
             words.counted(b.figures.quantity_produced),
             words.counted(b.figures.quantity_distributed)]
            for b in self.report.batches
        ]  # fmt: skip
        rows.append([words("f.total"), "", "", words.counted(total.quantity_produced),
                     words.counted(total.quantity_distributed)])  # fmt: skip
        pdf.grid(
            self.columns(("f.batch", 26), ("f.product", 76), ("f.expiry", 24),
                         ("f.produced", 32, True), ("f.distributed", 32, True)),
            rows,
            bold=frozenset({len(rows) - 1}),
        )  # fmt: skip

    def recall_fields(self) -> None:
        words, recall = self.words, self.report.recall
        self.pdf.heading(words("s.recall"))
        self.pdf.fields(
            [
                (words("f.reference"), recall.reference),
                (words("f.reason"), recall.reason),
                (words("f.hazard"), recall.health_hazard_assessment),
                (words("f.class"), words.coded("class", recall.recall_class)),
                (words("f.type"), words.coded("type", recall.recall_type)),
                (words("f.order_reference"), recall.authority_reference or "-"),
                (words("f.order_date"), words.day(recall.ordered_on)),
                (words("f.depth"), words.coded("depth", recall.depth)),
                (words("f.status"), words.coded("status", recall.status)),
                (words("f.approved"), words.moment(recall.approved_at)),
            ],
            label_width=50,
        )

    def amendments(self) -> None:
        """The approved scope amendments (none: no section, as before they existed)."""
        words, pdf = self.words, self.pdf
        approved = [a for a in self.report.recall.amendments if a.approved_at is not None]
        if not approved:
            return
        pdf.heading(words("s.amendments"))
        for amendment in approved:
            pdf.fields(
                [
                    (words("f.amendment"), str(amendment.number)),
                    (words("f.approved"), words.moment(amendment.approved_at)),
                    (words("f.batches_added"), ", ".join(
                        f"{b.batch_no} ({b.product_name})" for b in amendment.batches_added)),
                    (words("f.consignees_added"),
                     words.counted(amendment.consignees_added, "consignees")),
                    (words("f.amendment_reason"), amendment.reason),
                ],
                label_width=50,
            )  # fmt: skip
            pdf.ln(1.5)

    def public_warning(self, key: str = "s.warning") -> None:
        words, recall, pdf = self.words, self.report.recall, self.pdf
        pdf.heading(words(key))
        decision = words.coded("warning", recall.public_warning or "undecided")
        pdf.fields([(words("f.decision"), decision)], label_width=50)
        if not recall.public_warnings:
            pdf.note(words("nothing.warnings"))
        for warning in recall.public_warnings:
            pdf.ln(1)
            pdf.fields(
                [
                    (words("f.published_on"), words.day(warning.published_on)),
                    (words("f.channel"), warning.channel),
                    (words("f.text"), warning.text),
                    *([(words("f.url"), warning.url)] if warning.url else []),
                ],
                label_width=50,
            )

    def _place(self, place: ProvinceDistribution, bpom: bool) -> list[str]:
        words = self.words
        province = place.province or words("no_province")
        if bpom:
            office = regulatory.regional_office(place.province) if place.province else None
            return [province, office.name if office else words("no_office")]
        return [province, regulatory.country_name(place.country, words.language)]

    def distribution(self) -> None:
        words, pdf, market = self.words, self.pdf, self.report.market
        pdf.heading(words("s.distribution"))
        if not market.tiers:
            pdf.note(words("nothing.distribution"))
            return
        bpom = market.profile == "bpom"
        rows: list[list[object]] = []
        bold = set()
        for tier in market.tiers:
            for place in tier.provinces:
                rows.append([tier.tier, *self._place(place, bpom), words.number(place.consignees),
                             words.counted(place.quantity_distributed),
                             words.number(place.notified), words.number(place.responded),
                             words.counted(place.quantity_returned)])  # fmt: skip
            bold.add(len(rows))
            places = tier.provinces
            rows.append([tier.tier, words("f.total"), "", words.number(tier.consignees),
                         words.counted(tier.quantity_distributed),
                         words.number(sum(p.notified for p in places)),
                         words.number(sum(p.responded for p in places)),
                         words.counted(sum(p.quantity_returned for p in places))])  # fmt: skip
        pdf.grid(
            self.columns(("f.tier", 12), ("f.province", 35),
                         ("f.office" if bpom else "f.country", 43), ("f.consignees", 17, True),
                         ("f.distributed", 24, True), ("f.notified", 17, True),
                         ("f.responded", 20, True), ("f.returned", 22, True)),
            rows,
            size=6.5,
            bold=frozenset(bold),
        )  # fmt: skip
        pdf.note(words("distribution_legend"))

    def execution(self) -> None:
        """Notified, acknowledged and responded; each batch's quantities accounted for."""
        words, pdf, report = self.words, self.pdf, self.report
        pdf.heading(words("s.execution"))
        provinces = [p for tier in report.market.tiers for p in tier.provinces]
        pdf.fields(
            [
                (words("f.consignees"), words.counted(report.market.consignees, "consignees")),
                (words("f.notified"), words.counted(sum(p.notified for p in provinces),
                                                    "consignees")),
                (words("f.acknowledged"), words.counted(sum(p.acknowledged for p in provinces),
                                                        "consignees")),
                (words("f.responded"), words.counted(sum(p.responded for p in provinces),
                                                     "consignees")),
            ],
            label_width=50,
        )  # fmt: skip
        rows = [
            [b.batch_no, *(words.counted(n) for n in _accounted(b.figures))] for b in report.batches
        ]
        rows.append([words("f.total"), *(words.counted(n) for n in _accounted(report.totals))])
        pdf.grid(
            self.columns(("f.batch", 30), ("f.distributed", 32, True), ("f.on_hand", 32, True),
                         ("f.returned", 32, True), ("f.destroyed", 32, True),
                         ("f.unaccounted", 32, True)),
            rows,
            bold=frozenset({len(rows) - 1}),
        )  # fmt: skip

    def state(self, deadline: Deadline) -> str:
        words = self.words
        if deadline.met_at is not None:
            if deadline.late and deadline.days_late:
                return words("state.late").format(words.counted(deadline.days_late, "days"))
            return words("state.on_time")
        if deadline.due_at < self.report.generated_at:
            days = max(1, (self.report.generated_at - deadline.due_at).days)
            return words("state.overdue").format(words.counted(days, "days"))
        return words("state.ahead")

    def deadlines(self) -> None:
        words, pdf, deadlines = self.words, self.pdf, self.report.deadlines
        pdf.heading(words("s.deadlines"))
        if not deadlines:
            pdf.note(words("nothing.deadlines"))
            return
        zone = words.zone_name(self.report.generated_at)
        pdf.grid(
            [*self.columns(("f.deadline", 49), ("f.basis", 27)),
             _Column(f"{words('f.due')} ({zone})", 28),
             _Column(f"{words('f.met_at')} ({zone})", 27),
             *self.columns(("f.state", 41), ("f.overridden", 18))],
            [[words.coded("deadline", d.key or d.name), words.coded("basis", d.basis),
              words.short(d.due_at), words.short(d.met_at), self.state(d),
              words("yes") if d.overridden else words("no")] for d in deadlines],
            size=7,
        )  # fmt: skip
        for d in deadlines:
            if d.overridden and d.override_reason:
                label = words.coded("deadline", d.key or d.name)
                pdf.note(f"{label}, {words('f.overridden').lower()}: {d.override_reason}")

    def submissions(self) -> None:
        words, pdf, submissions = self.words, self.pdf, self.report.submissions
        pdf.heading(words("s.submissions"))
        if not submissions:
            pdf.note(words("nothing.submissions"))
            return
        zone = words.zone_name(self.report.generated_at)
        pdf.grid(
            [*self.columns(("f.kind", 34)), _Column(f"{words('f.submitted_at')} ({zone})", 30),
             *self.columns(("f.via", 26), ("f.number", 36), ("f.addressees", 64))],
            [[words.coded("submission", s.kind), words.short(s.submitted_at),
              words.coded("channel", s.channel), s.reference or "-",
              "; ".join(s.addressees) or "-"] for s in submissions],
            size=7,
        )  # fmt: skip

    def checks(self, key: str = "s.checks") -> None:
        words, pdf, checks = self.words, self.pdf, self.report.checks
        pdf.heading(words(key))
        if not checks:
            pdf.note(words("nothing.checks"))
            return
        zone = words.zone_name(self.report.generated_at)
        pdf.grid(
            [_Column(f"{words('f.started')} ({zone})", 32),
             *self.columns(("f.level", 14), ("f.sample", 16, True),
                         ("f.contacts", 26, True), ("f.contacted", 25, True),
                         ("f.effective", 25, True), ("f.ineffective", 26, True),
                         ("f.pending", 26, True))],
            [[words.short(c.created_at), c.level, f"{c.sample_percent} %",
              *(words.counted(n, "consignees") for n in (c.contacts_total, c.contacted,
                                                         c.effective, c.ineffective, c.pending))]
             for c in checks],
            size=7,
        )  # fmt: skip

    def destructions(self) -> None:
        self.pdf.heading(self.words("s.destructions"))
        report = self.report
        draw_destructions(self.pdf, self.words, report.destructions, report.destruction_files)

    def closure(self) -> None:
        words, recall = self.words, self.report.recall
        self.pdf.heading(words("s.closure"))
        self.pdf.fields(
            [(words("f.closed"), words.moment(recall.closed_at)),
             (words("f.justification"), recall.closure_justification or "-")],
            label_width=50,
        )  # fmt: skip


def _accounted(line: object) -> list[int]:
    return [
        getattr(line, name)
        for name in ("quantity_distributed", "quantity_on_hand", "quantity_returned",
                     "quantity_destroyed", "quantity_unaccounted")
    ]  # fmt: skip
