"""A visit's prescriptions and orders: drafts until a doctor signs them."""

from __future__ import annotations

from app.ops.base import operation, query
from app.services import orders

#: (prescriptions, orders) of an encounter
of_encounter = query(orders.encounter_orders)
create_prescription = operation(orders.create_prescription)
sign_prescription = operation(orders.sign_prescription)
create_order = operation(orders.create_order)
sign_order = operation(orders.sign_order)
