"""An order's results: sending the order, entering what came back, the ordering doctor's review."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import results

of_order = query(results.order_results)
of_patient = query(results.patient_results)
mark_sent = operation(results.mark_sent)
#: all the results of one entry, or none (an abnormal one alerts the ordering doctor)
enter = operation(results.enter_results)
#: the ordering doctor signs the results off; their alerts resolve
review = operation(results.review)
