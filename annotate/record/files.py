"""Reading files with few system calls.

In a server thread every system call lets another thread take the interpreter lock, and
getting it back costs more than most calls themselves: on the save path, fewer calls is
fewer hand-overs.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import NotFound


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


def folder_state(root: Path, what: str) -> tuple[int, int]:
    """A folder's mtime (ns) and inode: what the store's index and the corpus compare to
    know whether it changed. :raise NotFound: naming the `what` folder (store, corpus) when
    it is not there or not a folder."""
    try:
        st = os.stat(root)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"{what} folder {root} does not exist") from None
    if not stat.S_ISDIR(st.st_mode):
        raise NotFound(f"{what} folder {root} does not exist")
    return (st.st_mtime_ns, st.st_ino)


def shown(name: str | Path) -> str:
    """A file name (or path) as text to show or write as UTF-8: bytes the file system's
    encoding could not decode, which Python holds as lone surrogates, as `\\xNN` escapes (a
    page or a JSON report holding the surrogate itself cannot be encoded)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")
