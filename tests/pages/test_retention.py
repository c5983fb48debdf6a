"""The complaint file says until when the record is kept, in Indonesian and English."""

from datetime import date

from tests.factories import make_batch, make_complaint
from tests.pages.helpers import EN, signed_in_as


async def test_the_complaint_file_shows_until_when_it_is_kept(client):
    batch = await make_batch(expires_on=date(2032, 2, 29))
    complaint = await make_complaint(client, batch=batch)
    await signed_in_as(client, "qa")
    english = (await client.get(f"/complaints/{complaint['id']}", headers=EN)).text
    assert "<dt>Retain until</dt><dd>28-02-2033</dd>" in english
    indonesian = (await client.get(f"/complaints/{complaint['id']}")).text
    assert "<dt>Simpan sampai</dt><dd>28-02-2033</dd>" in indonesian
