# Test helper (root): every new process the kernel creates, from the proc connector (NETLINK_CONNECTOR,
# the interface `forkstat` uses), printed as one JSON line with its parent's command name and network
# namespace. Lets a test prove what a harness spawned in a lab VM, and when. Stops on SIGTERM.
#   python3 forkwatch.py NETNS_NAME...   ->  {"t": epoch, "parent": pid, "comm": "...", "ns": "...", "child": pid}
import json
import os
import signal
import socket
import struct
import sys
import time

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_EVENT_FORK = 0x00000001


def netns_inode(path):
    return 'net:[%d]' % os.stat(path).st_ino


def main():
    wanted = dict((netns_inode('/run/netns/' + n), n) for n in sys.argv[1:])
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
    s.bind((os.getpid(), CN_IDX_PROC))
    op = struct.pack('I', PROC_CN_MCAST_LISTEN)
    cn = struct.pack('IIIIHH', CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
    s.send(struct.pack('IHHII', 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
    # Kernel timestamps are CLOCK_MONOTONIC: to wall-clock time with one offset.
    offset = time.time() - time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(json.dumps({'ready': True}), flush=True)
    while True:
        data = s.recv(65536)
        what, _cpu, ts = struct.unpack_from('IIQ', data, 36)
        if what != PROC_EVENT_FORK:
            continue
        _ppid, ptgid, cpid, ctgid = struct.unpack_from('IIII', data, 52)
        if cpid != ctgid:
            continue  # a thread, not a process
        try:
            ns = os.readlink('/proc/%d/ns/net' % ptgid)
            with open('/proc/%d/comm' % ptgid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if ns in wanted:
            print(json.dumps({'t': ts / 1e9 + offset, 'parent': ptgid, 'comm': comm, 'ns': wanted[ns], 'child': cpid}), flush=True)


if __name__ == '__main__':
    main()
