#!/usr/bin/env python3
"""Hostile inputs for benches/hostile.sh, written in streamed chunks so this generator stays small
whatever the size asked for, plus a tiny Partner Center that serves one hostile line-item page.

    hostile_inputs.py blob-line OUT BYTES     gzip JSON-lines blob holding one line of BYTES
    hostile_inputs.py bomb OUT BYTES          gzip blob of blank lines inflating to BYTES
    hostile_inputs.py page-items OUT N        v1 line-item page of N tiny items ({})
    hostile_inputs.py page-bytes OUT BYTES    v1 line-item page of BYTES (one item, one long field)
    hostile_inputs.py manifest OUT N          export manifest listing N blobs (blobCount agreeing)
    hostile_inputs.py ledger OUT BYTES        ledger CSV whose second row has a BYTES-long description
    hostile_inputs.py serve PORT_FILE PAGE    Partner Center on 127.0.0.1 (port written to PORT_FILE):
                                              tokens, one invoice, and its Office feed answered with PAGE
"""
import http.server
import json
import os
import shutil
import sys
import zlib

CHUNK = 1 << 20


def write_repeated(out, byte, n):
    block = byte * CHUNK
    while n > 0:
        k = min(n, CHUNK)
        out.write(block[:k])
        n -= k


def gzip_member(block, member_bytes):
    """One gzip member of `member_bytes` bytes of `block` (1 MiB) repeated: compressed once and
    written many times by callers (a multi-member stream inflates to the sum of its members)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = []
    left = member_bytes
    while left > 0:
        k = min(left, CHUNK)
        parts.append(c.compress(block[:k]))
        left -= k
    parts.append(c.flush())
    return b"".join(parts)


def gzip_repeated(out_path, head, block, total, tail):
    """A multi-member gzip file inflating to head + `total` bytes of `block` repeated + tail."""
    member = max(1, min(total, 64 * CHUNK))
    body = gzip_member(block, member)
    with open(out_path, "wb") as out:
        out.write(gzip_bytes(head))
        n = total
        while n >= member:
            out.write(body)
            n -= member
        if n:
            out.write(gzip_member(block, n))
        out.write(gzip_bytes(tail))


def gzip_bytes(data):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def page_items(out_path, n):
    with open(out_path, "w") as out:
        out.write('{"totalCount":%d,"items":[' % n)
        batch = ",".join(["{}"] * 100_000)
        left = n
        first = True
        while left > 0:
            k = min(left, 100_000)
            out.write(("" if first else ",") + (batch if k == 100_000 else ",".join(["{}"] * k)))
            first = False
            left -= k
        out.write('],"links":{"self":{"uri":"/x","method":"GET","headers":[]}}}')


def page_bytes(out_path, n):
    with open(out_path, "wb") as out:
        out.write(b'{"totalCount":1,"items":[{"subtotal":"1.00","description":"')
        write_repeated(out, b"x", n)
        out.write(b'"}],"links":{}}')


def manifest(out_path, n):
    with open(out_path, "w") as out:
        out.write('{"rootDirectory":"https://x.example/r","blobCount":%d,"blobs":[' % n)
        for i in range(n):
            out.write(('' if i == 0 else ',') + '{"name":"part-%07d.json.gz"}' % i)
        out.write("]}")


def ledger(out_path, n):
    with open(out_path, "wb") as out:
        out.write(b"entry_id,posting_date,invoice_number,customer_id,amount,currency,description\n")
        out.write(b"H-1,2025-03-01,,c1,1.00,EUR,short\n")
        out.write(b"H-2,2025-03-01,,c1,2.00,EUR,")
        write_repeated(out, b"x", n)
        out.write(b"\nH-3,2025-03-01,,c1,3.00,EUR,fine\n")


INVOICE = {"id": "D000000001", "invoiceDate": "2023-01-05T00:00:00Z", "currencyCode": "USD",
           "totalCharges": 1, "invoiceDetails": [{"billingProvider": "office",
                                                  "invoiceLineItemType": "billingLineItems"}]}


def serve(port_file, page):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send_json(self, body):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_json({"access_token": "t", "token_type": "Bearer", "expires_in": 3600})

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/v1/invoices":
                self.send_json({"totalCount": 1, "items": [INVOICE], "links": {}})
            elif "/lineitems" in path:
                # no Content-Length: the client sees the size only as the body streams in
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                with open(page, "rb") as f:
                    try:
                        shutil.copyfileobj(f, self.wfile, CHUNK)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                self.close_connection = True
            else:
                self.send_response(404)
                self.end_headers()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(httpd.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    httpd.serve_forever()


def main():
    cmd, out, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "serve":
        return serve(out, arg)
    n = int(float(arg))
    if cmd == "blob-line":
        gzip_repeated(out, b'{"Subtotal":"1.00","X":"', b"x" * CHUNK, n, b'"}\n')
    elif cmd == "bomb":
        # lines of 1,023 spaces: blank (skipped), never one long line
        gzip_repeated(out, b"", (b" " * 1023 + b"\n") * 1024, n, b"")
    elif cmd == "page-items":
        page_items(out, n)
    elif cmd == "page-bytes":
        page_bytes(out, n)
    elif cmd == "manifest":
        manifest(out, n)
    elif cmd == "ledger":
        ledger(out, n)
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
