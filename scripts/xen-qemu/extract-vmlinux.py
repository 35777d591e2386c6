#!/usr/bin/env python3
"""extract-vmlinux.py BZIMAGE OUT: writes the ELF kernel inside an xz-compressed x86 bzImage (Debian's kernels).

Xen boots dom0 from the plain ELF about 1.5 s sooner under TCG (no xz inside the hypervisor), and `xl create` loads a
gzip'ed copy of it faster than the bzImage."""
import lzma
import sys

data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("extract-vmlinux: no xz stream in %s" % sys.argv[1])
kernel = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
if kernel[:4] != b"\x7fELF":
    sys.exit("extract-vmlinux: the xz payload of %s is not an ELF image" % sys.argv[1])
with open(sys.argv[2], "wb") as out:
    out.write(kernel)
