#!/usr/bin/env python3
"""A snapshot world for the fetch benchmark: N invoices, each with v1 line-item feeds that take
several pages (offset-paged legacy Office lines, seek-paged new-commerce lines), in the contract
layout, so the fake Partner Center can serve it.

    python3 benches/gen_fetch_world.py --invoices 200 --lines 120 --out /tmp/fetch-world

Deterministic for given arguments. Dates are before February 2024, so line_items = "auto"
fetches every feed through v1 paging (no export polling in the measurement)."""
import argparse
import json
import os
import uuid


def guid(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, parts))))


def page(items):
    return {"totalCount": len(items), "items": items, "links": {"self": {"uri": "/x", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--invoices", type=int, default=200)
    ap.add_argument("--lines", type=int, default=120, help="line items per feed")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    invoices = []
    for i in range(a.invoices):
        legacy = i % 2 == 0
        inv_id = f"D{i:09d}" if legacy else f"G{i:09d}"
        cur = "USD" if i % 3 else "EUR"
        lines = []
        for k in range(a.lines):
            cents = 1000 + (i * 7919 + k * 104729) % 90000
            amount = f"{cents // 100}.{cents % 100:02d}"
            if legacy:
                lines.append({"customerId": guid("c", i % 17), "customerName": f"Customer {i % 17}", "orderId": f"{i:06d}{k:06d}",
                              "subscriptionId": guid("s", i, k % 5), "offerId": guid("o", k % 7), "offerName": "OFFICE 365 E3",
                              "chargeStartDate": "2023-10-01T00:00:00", "chargeEndDate": "2023-10-31T00:00:00",
                              "chargeType": "Cycle fee", "unitPrice": 20.0, "quantity": 1 + k % 9, "subtotal": amount,
                              "tax": "0.00", "totalForCustomer": amount, "currency": cur,
                              "invoiceLineItemType": "billing_line_items", "billingProvider": "office"})
            else:
                lines.append({"customerId": guid("c", i % 17), "customerName": f"Customer {i % 17}", "invoiceNumber": inv_id,
                              "orderId": f"{i:06x}{k:06x}", "productId": "CFQ7TTC0LF8Q", "skuId": "0001",
                              "chargeType": "cycleCharge", "subscriptionId": guid("s", i, k % 5), "unitPrice": "12.5",
                              "effectiveUnitPrice": "12.5", "quantity": 1, "billableQuantity": 1, "subtotal": amount,
                              "taxTotal": "0", "totalForCustomer": amount, "currency": cur,
                              "chargeStartDate": "2023-10-01T00:00:00Z", "chargeEndDate": "2023-10-31T00:00:00Z",
                              "invoiceLineItemType": "billing_line_items", "billingProvider": "one_time"})
        feed = "office-billinglineitems" if legacy else "onetime-billinglineitems"
        d = os.path.join(a.out, "invoices", inv_id, "lineitems", feed)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "page-0001.json"), "w") as f:
            json.dump(page(lines), f)
        total = sum(int(x["subtotal"].replace(".", "")) for x in lines)
        invoices.append({"id": inv_id, "invoiceDate": "2023-11-06T00:00:00Z", "totalCharges": f"{total // 100}.{total % 100:02d}",
                         "currencyCode": cur, "invoiceType": "Recurring" if legacy else "OneTime", "documentType": "invoice",
                         "invoiceDetails": [{"invoiceLineItemType": "billing_line_items",
                                             "billingProvider": "office" if legacy else "one_time"}]})
    os.makedirs(os.path.join(a.out, "invoices"), exist_ok=True)
    with open(os.path.join(a.out, "invoices", "page-0001.json"), "w") as f:
        json.dump(page(invoices), f)
    print(f"{a.invoices} invoices x {a.lines} lines -> {a.out}")


if __name__ == "__main__":
    main()
