"""Master data: products, batches, material lots, consignees, shipments, traceability."""

from recall.masterdata.models import Consignee
from recall.masterdata.service import consignee_by_code, get_consignee

__all__ = ["Consignee", "consignee_by_code", "get_consignee"]
