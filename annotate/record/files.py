"""Reading files with few system calls.

In a server thread every system call lets another thread take the interpreter lock, and
getting it back costs more than most calls themselves: on the save path, fewer calls is
fewer hand-overs.
"""

from __future__ import annotations

import os
from pathlib import Path


def read_bytes(path: Path | str) -> bytes:
    """A whole file, in as few system calls as the OS allows (`Path.read_bytes` makes seven:
    each one lets another thread take the interpreter, which costs more than the call).

    A read of one byte more than the size returns less at the end of a regular file; only a
    file that grew meanwhile needs more reads.
    """
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        want = os.fstat(fd).st_size + 1
        chunks = [os.read(fd, want)]
        while len(chunks[-1]) == want:
            want = 1 << 16
            chunks.append(os.read(fd, want))
    finally:
        os.close(fd)
    return b"".join(chunks)
