#!/usr/bin/python3
"""USB board emulator harness for XbarLab.

Creates a umockdev testbed that contains exactly one emulated USB device
(vendor-specific interface 0, one bulk OUT and one bulk IN endpoint), runs a
child command inside that testbed (LD_PRELOAD=libumockdev-preload, UMOCKDEV_DIR)
and answers the child's usbdevfs ioctls in this process.  The device is a
transparent byte pipe: bulk OUT payloads are written to the "board endpoint"
(a PTY or a unix stream socket), bulk IN URBs are completed with whatever
bytes the board endpoint produced.

Must run under Debian's /usr/bin/python3 (it has the `gi` module).
See README.md next to this file.
"""

import argparse
import collections
import errno
import os
import select
import shutil
import signal
import socket
import stat
import struct
import sys
import termios
import threading
import time
import tty

APT_CMD = "apt-get install -y umockdev gir1.2-umockdev-1.0 python3-gi"
PRELOAD_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libumockdev-preload.so.0",
    "/usr/lib/aarch64-linux-gnu/libumockdev-preload.so.0",
    "/usr/lib64/libumockdev-preload.so.0",
    "/usr/lib/libumockdev-preload.so.0",
)
EXIT_SKIP = 77

PROG = "usb_board_emulator"


def log(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.stderr.flush()


def find_preload():
    for p in PRELOAD_CANDIDATES:
        if os.path.exists(p):
            return p
    return None


def load_umockdev():
    """Import UMockdev through GObject introspection or exit 77."""
    try:
        import gi
        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev  # noqa: F401
    except (ImportError, ValueError) as e:
        log("umockdev GObject introspection is not available (%s)." % e)
        log("install it with:  %s" % APT_CMD)
        log("and run this script with /usr/bin/python3 (Debian's python, which has gi)")
        sys.exit(EXIT_SKIP)
    if find_preload() is None:
        log("libumockdev-preload.so.0 not found; install it with:  %s" % APT_CMD)
        sys.exit(EXIT_SKIP)
    return UMockdev


# --------------------------------------------------------------------------
# usbdevfs ABI (x86_64 / LP64; values checked against <linux/usbdevice_fs.h>)
# --------------------------------------------------------------------------
def _ioc(d, nr, size):
    return (d << 30) | (size << 16) | (ord("U") << 8) | nr


_NONE, _W, _R = 0, 1, 2
PTR = struct.calcsize("P")
USBDEVFS_CONTROL = _ioc(_R | _W, 0, 24)
USBDEVFS_BULK = _ioc(_R | _W, 2, 24)
USBDEVFS_SETINTERFACE = _ioc(_R, 4, 8)
USBDEVFS_SETCONFIGURATION = _ioc(_R, 5, 4)
USBDEVFS_GETDRIVER = _ioc(_W, 8, 260)
USBDEVFS_SUBMITURB = _ioc(_R, 10, 56)
USBDEVFS_DISCARDURB = _ioc(_NONE, 11, 0)
USBDEVFS_REAPURB = _ioc(_W, 12, PTR)
USBDEVFS_REAPURBNDELAY = _ioc(_W, 13, PTR)
USBDEVFS_CLAIMINTERFACE = _ioc(_R, 15, 4)
USBDEVFS_RELEASEINTERFACE = _ioc(_R, 16, 4)
USBDEVFS_CONNECTINFO = _ioc(_W, 17, 8)
USBDEVFS_IOCTL = _ioc(_R | _W, 18, 16)
USBDEVFS_RESET = _ioc(_NONE, 20, 0)
USBDEVFS_CLEAR_HALT = _ioc(_R, 21, 4)
USBDEVFS_GET_CAPABILITIES = _ioc(_R, 26, 4)
USBDEVFS_DISCONNECT_CLAIM = _ioc(_R, 27, 264)
USBDEVFS_ALLOC_STREAMS = _ioc(_R, 28, 8)
USBDEVFS_FREE_STREAMS = _ioc(_R, 29, 8)
USBDEVFS_DROP_PRIVILEGES = _ioc(_W, 30, 4)
USBDEVFS_GET_SPEED = _ioc(_NONE, 31, 0)

IOCTL_NAMES = {v: k for k, v in globals().items() if k.startswith("USBDEVFS_")}

# struct usbdevfs_urb (56 bytes on LP64)
URB_SIZE = 56
URB_OFF_STATUS = 4
URB_OFF_BUFFER = 16
URB_OFF_ACTUAL = 28
URB_FMT = "<BBxxiI4xQii"  # type, endpoint, status, flags, buffer, buffer_length, actual_length

URB_TYPE_ISO, URB_TYPE_INTERRUPT, URB_TYPE_CONTROL, URB_TYPE_BULK = 0, 1, 2, 3

# USBDEVFS_CAP_*
CAP_ZERO_PACKET = 0x01
CAP_BULK_CONTINUATION = 0x02
CAP_NO_PACKET_SIZE_LIM = 0x04
CAP_REAP_AFTER_DISCONNECT = 0x10
CAPS = CAP_ZERO_PACKET | CAP_NO_PACKET_SIZE_LIM | CAP_REAP_AFTER_DISCONNECT

USB_SPEED_HIGH = 3


# --------------------------------------------------------------------------
# Descriptors
# --------------------------------------------------------------------------
class Descriptors:
    def __init__(self, vid, pid, bcd_device, manufacturer, product, serial,
                 out_ep, in_ep, max_packet=512):
        self.strings = {1: manufacturer, 2: product, 3: serial}
        self.device = struct.pack(
            "<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, vid, pid,
            bcd_device, 1, 2, 3, 1)
        iface = struct.pack("<BBBBBBBBB", 9, 4, 0, 0, 2, 0xFF, 0, 0, 0)
        ep_out = struct.pack("<BBBBHB", 7, 5, out_ep, 0x02, max_packet, 0)
        ep_in = struct.pack("<BBBBHB", 7, 5, in_ep, 0x02, max_packet, 0)
        body = iface + ep_out + ep_in
        total = 9 + len(body)
        self.config = struct.pack("<BBHBBBBB", 9, 2, total, 1, 1, 0, 0x80, 50) + body

    def string(self, index, langid):
        if index == 0:
            return bytes([4, 3, 0x09, 0x04])
        s = self.strings.get(index)
        if s is None:
            return None
        enc = s.encode("utf-16-le")[:252]
        return bytes([2 + len(enc), 3]) + enc


# --------------------------------------------------------------------------
# URB bookkeeping
# --------------------------------------------------------------------------
class Urb:
    __slots__ = ("cs", "iodata", "buf", "type", "ep", "addr", "length",
                 "status", "actual", "data", "out_payload", "written",
                 "cancelled", "done")

    def __init__(self, cs, iodata, buf, utype, ep, addr, length):
        self.cs = cs
        self.iodata = iodata
        self.buf = buf
        self.type = utype
        self.ep = ep
        self.addr = addr
        self.length = length
        self.status = 0
        self.actual = 0
        self.data = None
        self.out_payload = b""
        self.written = 0
        self.cancelled = False
        self.done = False


class ClientState:
    """Per opened usbfs fd (one UMockdevIoctlClient)."""

    def __init__(self, client):
        self.client = client
        self.inflight = {}            # client URB address -> Urb
        self.completed = collections.deque()
        self.last_reap_empty = False
        self.parked = None            # (ptrdata, deadline or None)
        self.claimed = set()


class UsbPipeDevice:
    """Answers usbdevfs ioctls; pipes bulk data to/from the board fd."""

    def __init__(self, UMockdev, desc, out_ep, in_ep, board_fd, reap_wait, verbose):
        self.UMockdev = UMockdev
        self.desc = desc
        self.out_ep = out_ep
        self.in_ep = in_ep
        self.board_fd = board_fd
        self.reap_wait = reap_wait
        self.verbose = verbose
        self.cond = threading.Condition()
        self.clients = {}
        self.rx = bytearray()
        self.pending_in = collections.deque()
        self.out_queue = collections.deque()
        self.unplugged = False
        self.board_eof = False
        self.stats = collections.Counter()
        self.on_board_eof = None
        self.devnum = 0
        self.handler = UMockdev.IoctlBase()
        self.handler.connect("handle-ioctl", self._on_ioctl)

    def start(self):
        for fn in (self._reader_loop, self._writer_loop, self._parker_loop):
            threading.Thread(target=fn, daemon=True).start()

    # ---------------------------------------------------------------- helpers
    def _cs(self, client):
        key = hash(client)
        cs = self.clients.get(key)
        if cs is None or cs.client is not client:
            cs = ClientState(client)
            self.clients[key] = cs
        return cs

    def _complete_urb(self, urb, status, actual, data=None):
        """Mark an URB as finished (caller holds self.cond)."""
        if urb.done:
            return
        urb.done = True
        urb.status = status
        urb.actual = actual
        urb.data = data
        cs = urb.cs
        cs.inflight.pop(urb.addr, None)
        cs.completed.append(urb)
        if cs.parked is not None:
            ptrdata, _ = cs.parked
            cs.parked = None
            self._finish_reap(cs, ptrdata)
        self.cond.notify_all()

    def _finish_reap(self, cs, ptrdata):
        """Answer a REAPURB(NDELAY) (caller holds self.cond)."""
        client = cs.client
        if cs.completed:
            urb = cs.completed.popleft()
            cs.last_reap_empty = False
            if urb.data and urb.buf is not None:
                urb.buf.update(0, bytes(urb.data))
            urb.iodata.update(URB_OFF_STATUS, struct.pack("<i", urb.status))
            urb.iodata.update(URB_OFF_ACTUAL, struct.pack("<i", urb.actual))
            ptrdata.set_ptr(0, urb.iodata)
            client.complete(0, 0)
            return
        cs.last_reap_empty = True
        client.complete(-1, errno.ENODEV if self.unplugged else errno.EAGAIN)

    def _pump_in(self):
        """Complete pending IN URBs with buffered board bytes (holds cond)."""
        while self.rx and self.pending_in:
            urb = self.pending_in.popleft()
            if urb.done or not urb.cs.client.get_connected():
                continue
            n = min(len(self.rx), urb.length)
            data = bytes(self.rx[:n])
            del self.rx[:n]
            self.stats["in_bytes"] += n
            self._complete_urb(urb, 0, n, data)

    # ---------------------------------------------------------------- threads
    def _reader_loop(self):
        fd = self.board_fd
        while True:
            try:
                chunk = os.read(fd, 65536)
            except InterruptedError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:   # PTY master went away
                    chunk = b""
                else:
                    log("board read error: %s" % e)
                    chunk = b""
            if not chunk:
                with self.cond:
                    self.board_eof = True
                if self.on_board_eof is not None:
                    self.on_board_eof()
                elif self.verbose:
                    log("board endpoint closed (EOF); IN URBs will stay pending")
                return
            with self.cond:
                self.rx += chunk
                self._pump_in()

    def _writer_loop(self):
        fd = self.board_fd
        while True:
            with self.cond:
                while not self.out_queue:
                    self.cond.wait()
                urb = self.out_queue[0]
            while True:
                with self.cond:
                    if urb.cancelled or urb.done or self.unplugged:
                        break
                    remaining = urb.out_payload[urb.written:]
                if not remaining:
                    break
                try:
                    _, w, _ = select.select([], [fd], [], 0.05)
                    if not w:
                        continue
                    n = os.write(fd, remaining)
                except InterruptedError:
                    continue
                except BlockingIOError:
                    continue
                except OSError as e:
                    log("board write error: %s" % e)
                    with self.cond:
                        self._complete_urb(urb, -errno.EPROTO, urb.written)
                    break
                with self.cond:
                    urb.written += n
                    self.stats["out_bytes"] += n
            with self.cond:
                if self.out_queue and self.out_queue[0] is urb:
                    self.out_queue.popleft()
                if not urb.done:
                    self._complete_urb(urb, 0, urb.written)

    def _parker_loop(self):
        """Times out parked REAPURBNDELAY calls (answers EAGAIN)."""
        with self.cond:
            while True:
                now = time.monotonic()
                nearest = None
                for cs in list(self.clients.values()):
                    if cs.parked is None:
                        continue
                    ptrdata, deadline = cs.parked
                    if deadline is not None and deadline <= now:
                        cs.parked = None
                        self._finish_reap(cs, ptrdata)
                    elif deadline is not None:
                        nearest = deadline if nearest is None else min(nearest, deadline)
                self.cond.wait(None if nearest is None else max(0.0, nearest - now))

    # ---------------------------------------------------------------- unplug
    def unplug(self):
        with self.cond:
            if self.unplugged:
                return
            self.unplugged = True
            for cs in list(self.clients.values()):
                for urb in list(cs.inflight.values()):
                    urb.cancelled = True
                    self._complete_urb(urb, -errno.ESHUTDOWN, urb.written)
            self.pending_in.clear()
            self.out_queue.clear()
            for cs in list(self.clients.values()):
                if cs.parked is not None:
                    ptrdata, _ = cs.parked
                    cs.parked = None
                    self._finish_reap(cs, ptrdata)
            self.cond.notify_all()

    # ---------------------------------------------------------------- ioctls
    def _on_ioctl(self, handler, client):
        req = client.get_request()
        try:
            with self.cond:
                self.stats[IOCTL_NAMES.get(req, hex(req))] += 1
                res = self._dispatch(client, req)
        except Exception as e:  # never leave the client hanging
            log("internal error handling ioctl %s: %r" % (IOCTL_NAMES.get(req, hex(req)), e))
            import traceback
            traceback.print_exc()
            client.complete(-1, errno.EIO)
            return True
        if res is not None:
            rc, err = res
            if self.verbose > 1:
                log("ioctl %s -> %d errno %d" % (IOCTL_NAMES.get(req, hex(req)), rc, err))
            client.complete(rc, err)
        return True

    def _arg_ptr(self, client):
        return struct.unpack("<Q", bytes(client.get_arg().retrieve()))[0]

    def _dispatch(self, client, req):
        """Returns (rc, errno) or None if the answer is sent later."""
        cs = self._cs(client)
        arg = client.get_arg()

        if req in (USBDEVFS_REAPURBNDELAY, USBDEVFS_REAPURB):
            ptrdata = arg.resolve(0, PTR)
            if ptrdata is None:
                return (-1, errno.EFAULT)
            if cs.completed or self.unplugged or not cs.inflight:
                self._finish_reap(cs, ptrdata)
                return None
            if req == USBDEVFS_REAPURB:
                cs.parked = (ptrdata, None)
                return None
            if self.reap_wait > 0 and cs.last_reap_empty:
                # Nothing to reap: hold the answer back a little (until an URB
                # completes or reap_wait passes) so libusb does not spin.
                cs.parked = (ptrdata, time.monotonic() + self.reap_wait)
                self.cond.notify_all()
                return None
            self._finish_reap(cs, ptrdata)
            return None

        if self.unplugged:
            return (-1, errno.ENODEV)

        if req == USBDEVFS_SUBMITURB:
            return self._submit(cs, arg)
        if req == USBDEVFS_DISCARDURB:
            addr = self._arg_ptr(client)
            urb = cs.inflight.get(addr)
            if urb is None or urb.done:
                return (-1, errno.EINVAL)
            urb.cancelled = True
            try:
                self.pending_in.remove(urb)
            except ValueError:
                pass
            self._complete_urb(urb, -errno.ENOENT, urb.written)
            self.stats["discarded"] += 1
            return (0, 0)
        if req == USBDEVFS_GET_CAPABILITIES:
            d = arg.resolve(0, 4)
            d.update(0, struct.pack("<I", CAPS))
            return (0, 0)
        if req in (USBDEVFS_CLAIMINTERFACE, USBDEVFS_RELEASEINTERFACE,
                   USBDEVFS_DISCONNECT_CLAIM):
            d = arg.resolve(0, 4)
            iface = struct.unpack("<I", bytes(d.retrieve())[:4])[0]
            if iface != 0:
                return (-1, errno.ENOENT if req != USBDEVFS_RELEASEINTERFACE else errno.EINVAL)
            if req == USBDEVFS_RELEASEINTERFACE:
                if iface not in cs.claimed:
                    return (-1, errno.EINVAL)
                cs.claimed.discard(iface)
                return (0, 0)
            for other in self.clients.values():
                if other is not cs and iface in other.claimed and other.client.get_connected():
                    return (-1, errno.EBUSY)
            cs.claimed.add(iface)
            return (0, 0)
        if req == USBDEVFS_SETINTERFACE:
            d = arg.resolve(0, 8)
            iface, alt = struct.unpack("<II", bytes(d.retrieve()))
            return (0, 0) if (iface, alt) == (0, 0) else (-1, errno.EINVAL)
        if req == USBDEVFS_SETCONFIGURATION:
            d = arg.resolve(0, 4)
            cfg = struct.unpack("<i", bytes(d.retrieve()))[0]
            return (0, 0) if cfg in (1, -1, 0) else (-1, errno.EINVAL)
        if req in (USBDEVFS_GETDRIVER, USBDEVFS_IOCTL):
            return (-1, errno.ENODATA)      # no kernel driver bound
        if req in (USBDEVFS_CLEAR_HALT, USBDEVFS_RESET, USBDEVFS_DROP_PRIVILEGES):
            return (0, 0)
        if req == USBDEVFS_GET_SPEED:
            return (USB_SPEED_HIGH, 0)
        if req == USBDEVFS_CONNECTINFO:
            d = arg.resolve(0, 8)
            d.update(0, struct.pack("<IB3x", self.devnum, 0))
            return (0, 0)
        if req == USBDEVFS_CONTROL:
            d = arg.resolve(0, 24)
            raw = bytes(d.retrieve())
            setup = raw[:8]
            wlength = struct.unpack("<H", setup[6:8])[0]
            ok, reply = self._control(setup)
            if not ok:
                return (-1, errno.EPIPE)
            if setup[0] & 0x80 and wlength:
                buf = d.resolve(16, wlength)
                reply = reply[:wlength]
                if buf is not None and reply:
                    buf.update(0, reply)
                return (len(reply), 0)
            return (0, 0)
        return (-1, errno.ENOTTY)

    def _submit(self, cs, arg):
        urbdata = arg.resolve(0, URB_SIZE)
        if urbdata is None:
            return (-1, errno.EFAULT)
        addr = urbdata.client_addr
        raw = bytes(urbdata.retrieve())
        utype, ep, _status, _flags, _bufptr, buflen, _actual = struct.unpack_from(URB_FMT, raw)
        buf = urbdata.resolve(URB_OFF_BUFFER, buflen) if buflen > 0 else None
        if utype == URB_TYPE_CONTROL:
            if buf is None or buflen < 8:
                return (-1, errno.EINVAL)
            data = bytes(buf.retrieve())
            setup = data[:8]
            wlength = struct.unpack("<H", setup[6:8])[0]
            urb = Urb(cs, urbdata, buf, utype, ep, addr, buflen)
            cs.inflight[addr] = urb
            self.stats["control"] += 1
            ok, reply = self._control(setup)
            if not ok:
                self._complete_urb(urb, -errno.EPIPE, 0)
            elif setup[0] & 0x80:
                reply = reply[:min(wlength, buflen - 8)]
                self._complete_urb(urb, 0, len(reply), setup + reply)
            else:
                self._complete_urb(urb, 0, wlength)
            return (0, 0)
        if utype not in (URB_TYPE_BULK, URB_TYPE_INTERRUPT):
            return (-1, errno.EINVAL)
        if ep not in (self.out_ep, self.in_ep):
            return (-1, errno.ENOENT)
        urb = Urb(cs, urbdata, buf, utype, ep, addr, buflen)
        cs.inflight[addr] = urb
        if ep & 0x80:
            self.stats["bulk_in"] += 1
            if buflen == 0:
                self._complete_urb(urb, 0, 0)
            else:
                self.pending_in.append(urb)
                self._pump_in()
        else:
            self.stats["bulk_out"] += 1
            if buflen == 0:
                self._complete_urb(urb, 0, 0)
            else:
                urb.out_payload = bytes(buf.retrieve())
                self.out_queue.append(urb)
                self.cond.notify_all()
        return (0, 0)

    def _control(self, setup):
        """Standard requests on EP0. Returns (ok, reply_bytes)."""
        bm, breq, wvalue, windex, wlength = struct.unpack("<BBHHH", setup)
        rtype = bm & 0x60
        if rtype != 0:                       # class / vendor: not implemented
            return (False, b"")
        if bm & 0x80:
            if breq == 6:                    # GET_DESCRIPTOR
                dtype, idx = wvalue >> 8, wvalue & 0xFF
                if dtype == 1:
                    return (True, self.desc.device)
                if dtype == 2 and idx == 0:
                    return (True, self.desc.config)
                if dtype == 3:
                    s = self.desc.string(idx, windex)
                    return (s is not None, s or b"")
                return (False, b"")
            if breq == 0:                    # GET_STATUS
                return (True, b"\x00\x00")
            if breq == 8:                    # GET_CONFIGURATION
                return (True, b"\x01")
            if breq == 10:                   # GET_INTERFACE
                return (True, b"\x00")
            return (False, b"")
        if breq in (1, 3, 9, 11):            # CLEAR/SET_FEATURE, SET_CONFIG/INTERFACE
            return (True, b"")
        return (False, b"")


# --------------------------------------------------------------------------
# Board endpoint
# --------------------------------------------------------------------------
def open_board(path):
    st = os.stat(path)
    if stat.S_ISSOCK(st.st_mode):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        fd = s.detach()
        return fd, "unix socket"
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    if os.isatty(fd):
        tty.setraw(fd, termios.TCSANOW)   # cfmakeraw equivalent
        return fd, "tty (raw)"
    return fd, "file"


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def parse_args(argv):
    if "--" in argv:
        i = argv.index("--")
        own, cmd = argv[:i], argv[i + 1:]
    else:
        own, cmd = argv, []

    def num(s):
        return int(s, 0)

    p = argparse.ArgumentParser(
        prog="usb_board_emulator.py",
        description="Run CMD with one emulated USB device (umockdev) that pipes "
                    "bulk transfers to a board endpoint (PTY or unix socket).",
        usage="%(prog)s --vid V --pid P --board PATH [options] -- CMD [ARGS...]")
    p.add_argument("--vid", type=num, required=True)
    p.add_argument("--pid", type=num, required=True)
    p.add_argument("--serial", default="XB0001")
    p.add_argument("--manufacturer", default="XbarLab")
    p.add_argument("--product", default="Crossbar Test Board")
    p.add_argument("--bcd-device", type=num, default=0x0100)
    p.add_argument("--out-ep", type=num, default=0x01)
    p.add_argument("--in-ep", type=num, default=0x81)
    p.add_argument("--bus", type=int, default=1)
    p.add_argument("--devnum", type=int, default=2)
    p.add_argument("--board", required=True,
                   help="PTY device (e.g. /dev/pts/7) or unix stream socket path")
    p.add_argument("--unplug-after", type=float, default=None, metavar="SECONDS",
                   help="remove the device SECONDS after the child started "
                        "(SIGUSR1 does the same at any time)")
    p.add_argument("--unplug-on-board-eof", action="store_true",
                   help="unplug the USB device when the board endpoint closes "
                        "(board emulator exited / PTY master closed)")
    p.add_argument("--reap-wait-ms", type=float, default=2.0,
                   help="hold back an empty REAPURBNDELAY answer up to this long "
                        "to stop libusb from busy-polling (0 = answer at once)")
    p.add_argument("--stats", action="store_true", help="print ioctl counters at exit")
    p.add_argument("-v", "--verbose", action="count", default=0)
    a = p.parse_args(own)
    if not cmd:
        p.error("missing child command after --")
    if not (a.out_ep & 0x80 == 0 and a.in_ep & 0x80 and 0 < (a.out_ep & 0x0F) and 0 < (a.in_ep & 0x0F)):
        p.error("--out-ep must be 0x01..0x0f and --in-ep 0x81..0x8f")
    a.cmd = cmd
    return a


def device_record(a):
    bus, dev = a.bus, a.devnum
    sysname = "%d-1" % bus
    syspath = "/devices/pci0000:00/0000:00:14.0/usb%d/%s" % (bus, sysname)
    node = "bus/usb/%03d/%03d" % (bus, dev)
    desc = Descriptors(a.vid, a.pid, a.bcd_device, a.manufacturer, a.product,
                       a.serial, a.out_ep, a.in_ep)
    minor = (bus - 1) * 128 + (dev - 1)

    def esc(s):
        return s.replace("\\", "\\\\").replace("\n", "\\n")

    lines = [
        "P: " + syspath,
        "N: " + node,
        "E: SUBSYSTEM=usb",
        "E: DEVTYPE=usb_device",
        "E: DEVNAME=/dev/" + node,
        "E: DRIVER=usb",
        "E: PRODUCT=%x/%x/%x" % (a.vid, a.pid, a.bcd_device),
        "E: TYPE=0/0/0",
        "E: BUSNUM=%03d" % bus,
        "E: DEVNUM=%03d" % dev,
        "E: MAJOR=189",
        "E: MINOR=%d" % minor,
        "E: ID_VENDOR_ID=%04x" % a.vid,
        "E: ID_MODEL_ID=%04x" % a.pid,
        "E: ID_SERIAL_SHORT=" + esc(a.serial),
        "A: busnum=%d" % bus,
        "A: devnum=%d" % dev,
        "A: devpath=1",
        "A: dev=189:%d" % minor,
        "A: speed=480",
        "A: version= 2.00",
        "A: maxchild=0",
        "A: bConfigurationValue=1",
        "A: bNumConfigurations=1",
        "A: bNumInterfaces= 1",
        "A: bDeviceClass=00",
        "A: bDeviceSubClass=00",
        "A: bDeviceProtocol=00",
        "A: bMaxPacketSize0=64",
        "A: bmAttributes=80",
        "A: bMaxPower=100mA",
        "A: idVendor=%04x" % a.vid,
        "A: idProduct=%04x" % a.pid,
        "A: bcdDevice=%04x" % a.bcd_device,
        "A: manufacturer=" + esc(a.manufacturer),
        "A: product=" + esc(a.product),
        "A: serial=" + esc(a.serial),
        "H: descriptors=" + (desc.device + desc.config).hex().upper(),
        "",
    ]
    return "\n".join(lines) + "\n", syspath, "/dev/" + node, desc


def reexec_with_preload(preload):
    """Run this emulator process itself under libumockdev-preload.

    umockdev sends uevents (our "remove" on unplug) from the process that owns
    the testbed, and it looks the device up with libudev in /sys first; that
    only finds the testbed's /sys if this process is preloaded too (the same
    thing umockdev-wrapper does).  The redirection only becomes active once
    Testbed.new() sets UMOCKDEV_DIR, so everything opened before (the board
    PTY) is untouched.
    """
    if os.environ.get("_USB_BOARD_EMULATOR_PRELOADED") == "1":
        return
    env = dict(os.environ)
    env.pop("UMOCKDEV_DIR", None)
    old = env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = preload + ((":" + old) if old else "")
    env["_USB_BOARD_EMULATOR_PRELOADED"] = "1"
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


_KEEP_ALIVE = []

HANDLED_SIGNALS = (signal.SIGCHLD, signal.SIGUSR1, signal.SIGINT,
                   signal.SIGTERM, signal.SIGHUP)


def main(argv):
    # All signals we act on are blocked in every thread (GLib's worker thread
    # and ours inherit the mask) and collected by the main thread with
    # sigtimedwait().  A plain Python handler is not enough: the kernel may
    # deliver a process signal to any thread, and then the main thread stays
    # blocked in waitpid() until the child exits.  The mask survives the
    # re-exec below, so an early SIGUSR1 stays pending instead of killing us.
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
    signal.signal(signal.SIGCHLD, lambda s, f: None)   # make SIGCHLD queue
    a = parse_args(argv)
    UMockdev = load_umockdev()
    preload = find_preload()
    reexec_with_preload(preload)

    try:
        board_fd, board_kind = open_board(a.board)
    except OSError as e:
        log("cannot open board endpoint %s: %s" % (a.board, e))
        return 2

    testbed = UMockdev.Testbed.new()
    # Keep the Testbed alive until os._exit(): its destructor would try to
    # remove the directory we delete ourselves, and abort with a GLib ERROR.
    _KEEP_ALIVE.append(testbed)
    root = testbed.get_root_dir()
    rc = 1
    child = None
    try:
        record, syspath, devnode, desc = device_record(a)
        testbed.add_from_string(record)
        dev = UsbPipeDevice(UMockdev, desc, a.out_ep, a.in_ep, board_fd,
                            a.reap_wait_ms / 1000.0, a.verbose)
        dev.devnum = a.devnum
        testbed.attach_ioctl(devnode, dev.handler)
        if a.verbose:
            log("testbed %s: %04x:%04x serial %s at %s (%s), board %s (%s)" % (
                root, a.vid, a.pid, a.serial, devnode, syspath, a.board, board_kind))

        removed = [False]

        def do_unplug(reason):
            if removed[0]:
                return
            removed[0] = True
            log("unplugging %04x:%04x (%s)" % (a.vid, a.pid, reason))
            # First the sysfs removal + "remove" uevent (libusb's hotplug
            # thread drops the device from its list), then fail the URBs.
            try:
                # umockdev 0.17.16's remove_device() sends no uevent itself.
                testbed.uevent("/sys" + syspath, "remove")
                testbed.remove_device("/sys" + syspath)
            except Exception as e:  # pragma: no cover
                log("remove_device failed: %s" % e)
            dev.unplug()

        env = dict(os.environ)
        env.pop("_USB_BOARD_EMULATOR_PRELOADED", None)
        env["UMOCKDEV_DIR"] = root
        old = env.get("LD_PRELOAD", "")
        if preload not in old.split(":"):
            env["LD_PRELOAD"] = preload + ((":" + old) if old else "")

        try:
            # The child gets an empty signal mask and default SIGPIPE/SIGXFSZ
            # (Python ignores those two).
            child = os.posix_spawnp(a.cmd[0], a.cmd, env, setsigmask=(),
                                    setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
        except OSError as e:
            log("cannot start %s: %s" % (a.cmd[0], e))
            return 127

        if a.unplug_on_board_eof:
            def board_gone():
                log("board endpoint closed")
                os.kill(os.getpid(), signal.SIGUSR1)
            dev.on_board_eof = board_gone
        dev.start()

        deadline = None
        if a.unplug_after is not None:
            deadline = time.monotonic() + a.unplug_after
        status = 0
        while True:
            try:
                pid, st = os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                status = st
                break
            wait = 1.0
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            info = signal.sigtimedwait(HANDLED_SIGNALS, wait)
            if deadline is not None and time.monotonic() >= deadline:
                deadline = None
                do_unplug("--unplug-after %g" % a.unplug_after)
            if info is None or info.si_signo == signal.SIGCHLD:
                continue
            if info.si_signo == signal.SIGUSR1:
                do_unplug("SIGUSR1")
            elif info.si_code <= 0:
                # Sent with kill(): pass it on.  (A terminal's ^C already
                # reaches the child through the process group.)
                try:
                    os.kill(child, info.si_signo)
                except ProcessLookupError:
                    pass
        if os.WIFEXITED(status):
            rc = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            rc = 128 + os.WTERMSIG(status)
            log("child killed by signal %d" % os.WTERMSIG(status))
        if a.stats:
            log("stats: " + ", ".join("%s=%d" % kv for kv in sorted(dev.stats.items())))
    finally:
        try:
            testbed.disable()
        except Exception:
            pass
        shutil.rmtree(root, ignore_errors=True)
    return rc


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    # Leave without running GLib finalizers (the testbed dtor would try to
    # remove the already removed testbed dir and abort).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if code is not None else 0)
