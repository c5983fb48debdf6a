"""Products, batches, material lots, consignees and shipments (distribution records)."""

from piccolo.columns import (
    Boolean,
    Date,
    Integer,
    Numeric,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key


class Product(Table, tablename="product"):
    id: Serial
    gtin = Varchar(length=14, unique=True, index=True)
    nie = Varchar(length=30)
    name = Varchar(length=200)
    strength = Varchar(length=100)
    dosage_form = Varchar(length=100)
    created_at = Timestamptz()


class Batch(Table, tablename="batch"):
    id: Serial
    product = foreign_key(Product)
    batch_no = Varchar(length=40, index=True)
    manufactured_on = Date()
    expires_on = Date()
    quantity_produced = Integer()
    created_at = Timestamptz()
    status = Varchar(length=20, default="released")  # released | on_hold | recalled
    # When the hold (or the recall) began: shipments dated on or after its day are refused.
    held_at = Timestamptz(null=True, default=None)
    status_reason = Text(null=True, default=None)


class MaterialLot(Table, tablename="material_lot"):
    id: Serial
    material = Varchar(length=200)
    lot_no = Varchar(length=60, index=True)
    supplier = Varchar(length=200)
    created_at = Timestamptz()


class BatchMaterial(Table, tablename="batch_material"):
    """A material lot that went into a finished batch."""

    id: Serial
    batch = foreign_key(Batch)
    material_lot = foreign_key(MaterialLot)
    quantity = Numeric(digits=(14, 3))
    created_at = Timestamptz()


class Consignee(Table, tablename="consignee"):
    id: Serial
    code = Varchar(length=40, unique=True, index=True)
    name = Varchar(length=200)
    kind = Varchar(length=20)
    parent = foreign_key(LazyTableReference("Consignee", module_path=__name__), null=True)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=40, null=True, default=None)
    after_hours_phone = Varchar(length=40, null=True, default=None)
    webhook_url = Text(null=True, default=None)
    webhook_secret = Varchar(length=100, null=True, default=None)
    province = Varchar(length=100, null=True, default=None)
    # ISO 3166 alpha-2; the recall splits its deadlines and figures by market.
    country = Varchar(length=2, default="ID")
    active = Boolean(default=True)
    created_at = Timestamptz()


class Shipment(Table, tablename="shipment"):
    """Units of one batch sent to one consignee; `sender` is null when we shipped it."""

    id: Serial
    batch = foreign_key(Batch)
    consignee = foreign_key(Consignee)
    sender = foreign_key(Consignee, null=True)
    quantity = Integer()
    shipped_on = Date()
    created_at = Timestamptz()


class ShipmentImport(Table, tablename="shipment_import"):
    """A shipments CSV file uploaded for import, and how its import went (watched on a page)."""

    id: Serial
    file_name = Varchar(length=255)
    sha256 = Varchar(length=64, index=True)
    size_bytes = Integer()
    # The file as uploaded: any process can run the import, and the record keeps what came in.
    content = Text()
    # Who uploaded it: the import runs (and is audited) as that person, in whichever process.
    uploaded_by_id = Integer(null=True, default=None)
    uploaded_by = Varchar(length=100)  # username
    uploaded_by_name = Varchar(length=200)
    uploaded_at = Timestamptz()
    status = Varchar(length=20, index=True)  # queued, checking, writing, done, failed
    lines_total = Integer(default=0)
    lines_checked = Integer(default=0)
    imported = Integer(default=0)
    error_count = Integer(default=0)
    errors = Text(default="[]")  # JSON [[line, column, problem], …], every problem found
    updated_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
