#!/usr/bin/env python3
"""Benchmark traffic for bench/dataplane: 60-byte frames (64 on the wire with the FCS) to the web VIP of examples/.

established.pcap:     one TCP ACK for each of 10,000 flows; replayed forever by net_pcap's infinite_rx, so after
                      the first pass every packet hits its connection entry.
established-700k.pcap: the same for 700,000 flows (a third of a 2^21-entry table).
syn.pcap:             1,000,000 TCP SYNs, all distinct 5-tuples: every packet goes through Maglev and an insert.
Clients come from 198.18.0.0/15, the range RFC 2544 sets aside for benchmarks.
Usage: make_pcaps.py OUT_DIR
"""
import struct
import sys

VIP = bytes([192, 0, 2, 10])
FRAME = 60


def checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        record = struct.pack("<IIII", 0, 0, FRAME, FRAME)
        for frame in frames:
            out.write(record)
            out.write(frame)


def frames(count, flags):
    eth = bytes.fromhex("020000000102" "020000000001" "0800")
    headers = {}
    for i in range(count):
        host, port = divmod(i, 50000)
        src = bytes([198, 18 + (host >> 16 & 1), host >> 8 & 0xFF, host & 0xFF])
        ip = headers.get(src)
        if ip is None:
            ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, VIP))
            ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
            ip = headers[src] = bytes(ip)
        tcp = struct.pack("!HHIIBBHHH", 1024 + port, 80, i, 0, 0x50, flags, 65535, 0, 0)
        yield (eth + ip + tcp).ljust(FRAME, b"\0")


out = sys.argv[1]
write(f"{out}/established.pcap", frames(10_000, 0x10))
write(f"{out}/established-700k.pcap", frames(700_000, 0x10))
write(f"{out}/syn.pcap", frames(1_000_000, 0x02))
