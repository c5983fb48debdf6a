"""Evidence files: immutable, stored by content hash, attached to a record."""

from piccolo.columns import Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class Attachment(Table, tablename="attachment"):
    id: Serial
    entity = Varchar(length=20)  # complaint | investigation | recall | destruction
    entity_id = Integer(index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=100)  # detected from the bytes, not the name
    size = Integer()
    sha256 = Varchar(length=64, index=True)
    uploaded_at = Timestamptz()
    uploaded_by = Integer(null=True)
